"""How two RPN heads start: the objectness logits and the gradient into the shared conv at step 0.

A head that replaces mmdet's RPNHead should start at its scale, or a comparison after a short schedule
measures the initialisation rather than the method. Both models are built from their configs and
initialised; the candidate takes the reference's backbone, neck, shared conv and regression weights, so
that both heads see the same features and differ only in their objectness path; each then computes its
RPN loss on the same boxes with the same sampled anchors and back-propagates it.
"""
from typing import Dict, Optional, Sequence

import torch
from mmengine.structures import InstanceData

# shared between the heads: everything but the objectness path (RPNHead's rpn_cls; SASL's rpn_embed, rpn_cls)
SHARED_HEAD_LAYERS = ('rpn_head.rpn_conv.', 'rpn_head.rpn_reg.')


def _build(config: str, options: Optional[dict]):
    from mmdet.registry import MODELS

    from qmat.engine import load_config
    cfg = load_config(config, options)
    cfg.model.backbone.init_cfg = None  # no ImageNet download: the comparison is about the heads
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def boxes_for(size: Sequence[int], batch: int, count: int, generator: torch.Generator) -> list:
    """``count`` random boxes of 12-96 px per image, inside an image of ``size`` (h, w)."""
    h, w = size
    result = []
    for _ in range(batch):
        wh = 12 + 84 * torch.rand(count, 2, generator=generator)
        xy = torch.rand(count, 2, generator=generator) * (torch.tensor([w, h]) - wh)
        result.append(InstanceData(bboxes=torch.cat([xy, xy + wh], dim=1),
                                   labels=torch.zeros(count, dtype=torch.long)))
    return result


def head_start(reference: str, candidate: str, size: Sequence[int] = (256, 256), batch: int = 2,
               boxes: int = 4, seed: int = 0, reference_options: Optional[dict] = None,
               candidate_options: Optional[dict] = None) -> Dict[str, Dict[str, float]]:
    """Objectness logits (mean, std over every anchor) and the norm of the gradient that reaches the shared
    conv's weights (``rpn_conv``), for the RPN heads of two configs on the same random images and boxes.

    Returns:
        ``{'reference': {...}, 'candidate': {...}, 'ratio': {...}}``: ``logit_mean``, ``logit_std``,
        ``rpn_conv_grad`` and ``loss_rpn_cls`` of each, and candidate / reference for the last three.
    """
    from mmdet.utils import register_all_modules
    register_all_modules()
    torch.manual_seed(seed)
    models = dict(reference=_build(reference, reference_options),
                  candidate=_build(candidate, candidate_options))
    state = models['reference'].state_dict()
    shared = {key: value for key, value in state.items()
              if not key.startswith('rpn_head.') or key.startswith(SHARED_HEAD_LAYERS)}
    models['candidate'].load_state_dict(shared, strict=False)
    generator = torch.Generator().manual_seed(seed)
    images = torch.randn(batch, 3, *size, generator=generator)
    gts = boxes_for(size, batch, boxes, generator)
    metas = [dict(img_shape=tuple(size), pad_shape=tuple(size), scale_factor=(1.0, 1.0))] * batch
    with torch.no_grad():
        models['reference'].train()
        features = [f.detach() for f in models['reference'].extract_feat(images)]
    result = {}
    for name, model in models.items():
        head = model.rpn_head
        head.train()
        head.zero_grad()
        outs = head(features)
        torch.manual_seed(seed)  # the same sampled anchors for both heads
        losses = head.loss_by_feat(*outs, gts, metas)
        loss = sum(value.sum() if isinstance(value, torch.Tensor) else sum(value)
                   for key, value in losses.items() if 'loss' in key)
        loss.backward()
        logits = torch.cat([score.detach().flatten() for score in outs[0]])
        cls = losses['loss_rpn_cls']
        result[name] = dict(logit_mean=float(logits.mean()), logit_std=float(logits.std()),
                            rpn_conv_grad=float(head.rpn_conv.weight.grad.norm()),
                            loss_rpn_cls=float(sum(cls) if isinstance(cls, (list, tuple)) else cls))
    result['ratio'] = {key: result['candidate'][key] / result['reference'][key]
                       for key in ('logit_std', 'rpn_conv_grad', 'loss_rpn_cls')}
    return result

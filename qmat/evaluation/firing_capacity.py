"""Whether SASL-RPN's rule can fire at all on a training set, whatever the network learns.

With Norm the L2 normalisation, every similarity of Eq. 5 lies in [-1, 1], so a negative's best attention
over n keys is at most ``e^(2/tau) / (e^(2/tau) + n - 1)`` (a negative equal to one key and opposite to
all others). The threshold t can therefore be reached only where a group of the softmax (an image, or the
batch with ``scope='batch'``) has at most :func:`max_keys_to_fire` keys. :func:`keys_per_group` counts
the keys that the RPN's assigner and sampler give each group, as in training, for the paper's keys (every
sampled positive anchor) and for qmat's (one prototype per annotated flake that has a sampled positive),
with or without the background key.
"""
import math
from typing import Dict, Iterable, List

import numpy as np
import torch
from mmdet.models.utils import unpack_gt_instances
from mmengine.structures import InstanceData


def max_keys_to_fire(threshold: float, temperature: float) -> float:
    """The largest number of keys n at which ``max_j A_ij >= threshold`` is still possible:
    ``1 + e^(2/tau) (1 - t) / t`` (the softmax bound above, solved for n)."""
    if not 0 < threshold <= 1 or not temperature > 0:
        raise ValueError(f'threshold must be in (0, 1] and temperature > 0, got {threshold}, {temperature}')
    return 1 + math.exp(2 / temperature) * (1 - threshold) / threshold


@torch.no_grad()
def keys_per_group(model: torch.nn.Module, batches: Iterable[dict],
                   scope: str = 'image') -> List[Dict[str, int]]:
    """Per softmax group: the sampled positive anchors and the annotated flakes among them.

    Args:
        model: A two-stage detector whose ``rpn_head`` assigns and samples anchors (no forward pass is
            run: the counts do not depend on the weights).
        batches: Training batches (the training pipeline: boxes at the training scale).
        scope: ``'image'`` (one group per image) or ``'batch'`` (one per batch), as SASLRPNHead's ``scope``.

    Returns:
        One dict per group with ``positives`` and ``instances``.
    """
    head = model.rpn_head
    groups = []
    for batch in batches:
        data = model.data_preprocessor(batch, True)
        gts, ignored, metas = unpack_gt_instances(data['data_samples'])
        height, width = data['inputs'].shape[-2:]
        # the feature maps of a stride-s level of the padded batch (ResNet and FPN round up)
        sizes = [(math.ceil(height / stride[1]), math.ceil(width / stride[0]))
                 for stride in head.prior_generator.strides]
        anchors, valid = head.get_anchors(sizes, metas, device=data['inputs'].device)
        rpn_gts = [InstanceData(bboxes=g.bboxes, labels=torch.zeros_like(g.labels)) for g in gts]  # one class
        sampling = head.get_targets(anchors, valid, rpn_gts, metas, batch_gt_instances_ignore=ignored,
                                    return_sampling_results=True)[5]
        counts = [dict(positives=len(s.pos_inds), instances=len(torch.unique(s.pos_assigned_gt_inds)))
                  for s in sampling]
        if scope == 'batch':
            counts = [{key: sum(c[key] for c in counts) for key in ('positives', 'instances')}]
        groups.extend(counts)
    return groups


def firing_capacity(groups: List[Dict[str, int]], threshold: float, temperature: float) -> List[dict]:
    """Per key choice (paper's and qmat's, with and without the background key): the keys per group
    (median, min, max) and the groups where ``threshold`` can be reached."""
    limit = max_keys_to_fire(threshold, temperature)
    rows = []
    for keys, name in (('positives', 'sampled positive anchors'), ('instances', 'annotated flakes')):
        for background in (False, True):
            # no positive in a group: no key to attend to, so no soft label there
            counts = np.array([g[keys] + background for g in groups if g[keys] > 0], dtype=float)
            rows.append(dict(keys=keys, name=name + (' + background key' if background else ''),
                             background=background, groups=len(groups),
                             median=float(np.median(counts)) if len(counts) else float('nan'),
                             min=int(counts.min()) if len(counts) else 0,
                             max=int(counts.max()) if len(counts) else 0,
                             can_fire=int((counts <= limit).sum())))
    return rows

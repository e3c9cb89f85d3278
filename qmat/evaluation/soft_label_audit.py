"""How well SASL-RPN's soft labels find unannotated flakes: precision and recall against the known truth.

On a training set made by ``tools/data_tools/drop_annotations.py --keep-as-ignored`` the removed flakes ride
along as ignored instances. A sampled negative anchor "sits on a removed flake" when a complete annotation
would not have called it background (IoU >= the RPN assigner's ``neg_iou_thr`` with a removed flake). For
every attention variant (keys, background key, scope, temperature) and threshold this module counts how many
sampled negatives get a soft label, how many of those sit on removed flakes (precision) and how many of the
negatives on removed flakes get one (recall), plus the threshold-free ROC AUC of max_j A_ij between the two
kinds of negatives; and, for reference, the same for the RPN's own objectness probability. The network is the
trained one; only the soft-label rule varies, so one checkpoint answers for every variant on identical sampled
anchors.
"""
import dataclasses
import itertools
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Sequence

import numpy as np
import torch
from scipy.stats import rankdata

from qmat.models.losses import SoftLabelRule
from qmat.utils.errors import UserInputError

VARIED = ('keys', 'background', 'scope', 'temperature')  # what the audit varies; the rest is the head's


@dataclass
class _Tally:
    best: List[np.ndarray] = field(default_factory=list)  # max_j A_ij of every sampled negative
    removed: List[np.ndarray] = field(default_factory=list)  # whether it sits on a removed flake


def variant_grid(temperatures: Sequence[float] = (1.0, 0.5, 0.2, 0.1, 0.05)) -> List[SoftLabelRule]:
    """Every combination of keys, background key, scope and temperature (the rest: the defaults)."""
    return [SoftLabelRule(keys=k, background=b, scope=s, temperature=t) for k, b, s, t in
            itertools.product(('anchors', 'instances'), (False, True), ('image', 'batch'), temperatures)]


def roc_auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """Area under the ROC curve: the Mann-Whitney U of the positives over the negatives (ties count half),
    over n_pos x n_neg; NaN without both kinds."""
    positive = np.asarray(positive, dtype=bool)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return float('nan')
    # the Mann-Whitney U from the ranks (ties take their mean rank), without mannwhitneyu's p-value
    u = rankdata(scores)[positive].sum() - n_pos * (n_pos + 1) / 2
    return float(u / (n_pos * n_neg))


@torch.no_grad()
def audit_soft_labels(model: torch.nn.Module, batches: Iterable[dict], variants: Sequence[SoftLabelRule],
                      thresholds: Sequence[float]) -> Dict:
    """Soft-label statistics of every variant on the sampled anchors of ``batches``.

    Args:
        model: A two-stage detector whose ``rpn_head`` is a SASLRPNHead (train mode: the loss's sampling).
        batches: Training batches (dicts of ``inputs`` and ``data_samples``) with ignored instances.
        variants: Soft-label rules to compare: their keys, background key, scope and temperature (the
            head's own norm and key pool are kept).
        thresholds: Values of t.

    Returns:
        ``dict(images, negatives, removed_negatives, rows)``: one row per variant and threshold with
        ``fired_per_image``, ``precision``, ``recall`` and the variant's ``auc``.
    """
    head = model.rpn_head
    rules = {v.name: dataclasses.replace(head.rule, **{name: getattr(v, name) for name in VARIED})
             for v in variants}
    tallies = {v.name: _Tally() for v in variants}
    objectness = []  # the RPN's own logit of each sampled negative: the reference ranking
    images = 0
    for batch in batches:
        data = model.data_preprocessor(batch, True)
        samples = data['data_samples']
        cls_scores, _, embeddings = head(model.extract_feat(data['inputs']))
        ignored = [s.ignored_instances if 'ignored_instances' in s else None for s in samples]
        sample = head.sample_anchors(cls_scores, embeddings, [s.gt_instances for s in samples],
                                     [s.metainfo for s in samples], ignored)
        if sample['on_removed'] is None:
            continue  # no removed flake in this batch: nothing to score against
        images += len(samples)
        negative = (sample['weights'] > 0) & (sample['labels'] == head.num_classes)
        on_removed = sample['on_removed'][negative].cpu().numpy()
        logits = torch.cat([s.permute(0, 2, 3, 1).reshape(len(samples), -1) for s in cls_scores], dim=1)
        objectness.append(logits[negative].cpu().numpy())
        for variant in variants:
            _, best = head.soft_targets(sample['labels'], sample['weights'], sample['embeddings'],
                                        sample['instances'], rules[variant.name])
            tallies[variant.name].best.append(best[negative].cpu().numpy())
            tallies[variant.name].removed.append(on_removed)
    if not images:
        raise UserInputError('no batch carried ignored (removed) instances: make the training annotation '
                             'file with tools/data_tools/drop_annotations.py --keep-as-ignored')

    removed = np.concatenate(tallies[variants[0].name].removed).astype(bool)
    rows = []

    def add_rows(rule: dict, best: np.ndarray) -> None:
        auc = roc_auc(best, removed)
        for t in thresholds:
            fired = best >= t
            hits = int((fired & removed).sum())
            rows.append(dict(**rule, threshold=t, fired_per_image=float(fired.sum()) / images,
                             precision=hits / fired.sum() if fired.any() else float('nan'),
                             recall=hits / removed.sum() if removed.any() else float('nan'), auc=auc))

    for variant in variants:
        add_rows({name: getattr(variant, name) for name in VARIED},
                 np.concatenate(tallies[variant.name].best))
    # reference: the RPN's own probability, BRL's signal (it recalibrates negatives with p > 1 - thresh)
    objectness_p = 1 / (1 + np.exp(-np.concatenate(objectness)))
    add_rows(dict(keys='objectness p', background=False, scope='-', temperature=float('nan')), objectness_p)
    return dict(images=images, negatives=int(removed.size), removed_negatives=int(removed.sum()), rows=rows)


def audit_table(result: Dict) -> str:
    """Markdown table of :func:`audit_soft_labels`'s result, with the base rate in its caption."""
    share = result['removed_negatives'] / max(result['negatives'], 1)
    lines = [f'{result["images"]} training images, {result["negatives"]} sampled negatives, '
             f'{result["removed_negatives"]} of them ({100 * share:.1f} %) on removed flakes. The last rows '
             '(keys "objectness p") flag the negatives whose RPN probability reaches t: the signal of BRL.',
             '',
             '| keys | background key | scope | tau | t | soft labels / image | precision | recall | AUC |',
             '|---|---|---|---|---|---|---|---|---|']
    for row in result['rows']:
        reference = row['scope'] == '-'  # the objectness rows have no attention settings
        background = '-' if reference else 'yes' if row['background'] else 'no'
        tau = '-' if reference else f'{row["temperature"]:g}'
        lines.append(f'| {row["keys"]} | {background} | {row["scope"]} | {tau} | {row["threshold"]:g} | '
                     f'{row["fired_per_image"]:.1f} | {row["precision"]:.3f} | {row["recall"]:.3f} | '
                     f'{row["auc"]:.3f} |')
    return '\n'.join(lines)

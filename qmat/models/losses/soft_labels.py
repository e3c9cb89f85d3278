"""The soft labels of SASL-RPN (Nguyen et al., Eq. 5 and the piecewise L_neg)."""
from typing import Optional

import torch
import torch.nn.functional as F


def attention_soft_labels(neg_embeds: torch.Tensor, pos_embeds: torch.Tensor, threshold: float,
                          temperature: float = 1.0,
                          background: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Soft objectness targets of negative anchors from their attention to the positive anchors.

    ``A = softmax_j(Norm(F_neg) Norm(F_pos)^T / temperature)`` with L2 normalisation; a negative ``i`` whose
    ``max_j A_ij >= threshold`` is a suspected unannotated object and gets target ``max_j A_ij``; the others
    keep 0. No gradient flows through the result.

    With ``background`` keys the softmax runs over the positives and these keys together and the maximum
    over the positives only: a negative must resemble a positive more than the background to score high
    (without them, one positive in an image gives every negative attention 1).

    Args:
        neg_embeds: [N_neg, D] embeddings of the negative anchors.
        pos_embeds: [N_pos, D] embeddings of the positive anchors (or of per-instance prototypes).
        threshold: t in [0, 1] (0 returns max_j A_ij of every negative).
        temperature: tau > 0 (the paper's formula: 1).
        background: Optional [M, D] extra keys that compete for the attention.

    Returns:
        [N_neg] float targets: 0 below the threshold; all zeros when N_pos == 0; empty when N_neg == 0.
    """
    with torch.no_grad():
        targets = neg_embeds.new_zeros(neg_embeds.shape[0], dtype=torch.float32)
        if neg_embeds.shape[0] == 0 or pos_embeds.shape[0] == 0:
            return targets
        keys = pos_embeds if background is None else torch.cat([pos_embeds, background.to(pos_embeds)])
        similarity = F.normalize(neg_embeds.float(), dim=1) @ F.normalize(keys.float(), dim=1).t()
        attention = torch.softmax(similarity / temperature, dim=1)
        best = attention[:, :pos_embeds.shape[0]].max(dim=1).values
        return torch.where(best >= threshold, best, targets)


def instance_prototypes(embeds: torch.Tensor, instance_ids: torch.Tensor) -> torch.Tensor:
    """One key per annotated instance: the mean of the L2-normalised embeddings of its positive anchors.

    Args:
        embeds: [N_pos, D] embeddings of the positive anchors.
        instance_ids: [N_pos] integer id of the instance each anchor was assigned to.

    Returns:
        [K, D] prototypes of the K distinct ids, in increasing id order (not normalised: the attention does).
    """
    ids, index = torch.unique(instance_ids, return_inverse=True)
    sums = embeds.new_zeros(len(ids), embeds.shape[1]).index_add_(0, index, F.normalize(embeds, dim=1))
    counts = torch.bincount(index, minlength=len(ids)).clamp(min=1).to(embeds.dtype)
    return sums / counts[:, None]

"""The soft labels of SASL-RPN (Nguyen et al., Eq. 5 and the piecewise L_neg)."""
import math
from typing import Optional

import torch
import torch.nn.functional as F

NORMS = ('l2', 'none', 'scaled')


def prepare(embeds: torch.Tensor, norm: str) -> torch.Tensor:
    """The embeddings as Eq. 5's ``Norm`` makes them: unit length for ``'l2'``, as they are otherwise."""
    return F.normalize(embeds, dim=1) if norm == 'l2' else embeds


def attention(queries: torch.Tensor, keys: torch.Tensor, norm: str = 'l2',
              temperature: float = 1.0) -> torch.Tensor:
    """``A = softmax_j(Norm(queries) Norm(keys)^T / temperature)``, (N_queries, N_keys).

    ``norm``: ``'l2'`` (cosine similarity), ``'none'`` (the raw dot product) or ``'scaled'`` (the dot
    product over sqrt(D), as in scaled dot-product attention).
    """
    if norm not in NORMS:
        raise ValueError(f'norm must be one of {NORMS}, got {norm!r}')
    similarity = prepare(queries.float(), norm) @ prepare(keys.float(), norm).t()
    if norm == 'scaled':
        similarity = similarity / math.sqrt(queries.shape[1])
    return torch.softmax(similarity / temperature, dim=1)


def attention_soft_labels(neg_embeds: torch.Tensor, pos_embeds: torch.Tensor, threshold: float,
                          temperature: float = 1.0, background: Optional[torch.Tensor] = None,
                          norm: str = 'l2') -> torch.Tensor:
    """Soft objectness targets of negative anchors from their attention to the positive anchors.

    A negative ``i`` whose ``max_j A_ij >= threshold`` (:func:`attention` over the positives) is a suspected
    unannotated object and gets target ``max_j A_ij``; the others keep 0. No gradient flows through the
    result.

    With ``background`` keys the softmax runs over the positives and these keys together and the maximum
    over the positives only: a negative must resemble a positive more than the background to score high
    (without them, one positive in an image gives every negative attention 1).

    Args:
        neg_embeds: [N_neg, D] embeddings of the negative anchors.
        pos_embeds: [N_pos, D] embeddings of the positive anchors (or of per-instance prototypes).
        threshold: t in [0, 1] (0 returns max_j A_ij of every negative).
        temperature: tau > 0 (the literal reading: 1).
        background: Optional [M, D] extra keys that compete for the attention.
        norm: Eq. 5's Norm, see :func:`attention`.

    Returns:
        [N_neg] float targets: 0 below the threshold; all zeros when N_pos == 0; empty when N_neg == 0.
    """
    with torch.no_grad():
        targets = neg_embeds.new_zeros(neg_embeds.shape[0], dtype=torch.float32)
        if neg_embeds.shape[0] == 0 or pos_embeds.shape[0] == 0:
            return targets
        keys = pos_embeds if background is None else torch.cat([pos_embeds, background.to(pos_embeds)])
        best = attention(neg_embeds, keys, norm, temperature)[:, :pos_embeds.shape[0]].max(dim=1).values
        return torch.where(best >= threshold, best, targets)


def instance_prototypes(embeds: torch.Tensor, instance_ids: torch.Tensor, norm: str = 'l2') -> torch.Tensor:
    """One key per annotated instance: the mean of its positive anchors' embeddings, each made as ``norm``
    makes them (:func:`prepare`: unit length for ``'l2'``).

    Args:
        embeds: [N_pos, D] embeddings of the positive anchors.
        instance_ids: [N_pos] integer id of the instance each anchor was assigned to.
        norm: Eq. 5's Norm.

    Returns:
        [K, D] prototypes of the K distinct ids, in increasing id order (not normalised: the attention does).
    """
    ids, index = torch.unique(instance_ids, return_inverse=True)
    prepared = prepare(embeds, norm)
    sums = prepared.new_zeros(len(ids), embeds.shape[1]).index_add_(0, index, prepared)
    counts = torch.bincount(index, minlength=len(ids)).clamp(min=1).to(prepared.dtype)
    return sums / counts[:, None]

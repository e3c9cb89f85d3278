"""The soft labels of SASL-RPN (Nguyen et al., Eq. 5 and the piecewise L_neg)."""
import torch
import torch.nn.functional as F


def attention_soft_labels(neg_embeds: torch.Tensor, pos_embeds: torch.Tensor, threshold: float,
                          temperature: float = 1.0) -> torch.Tensor:
    """Soft objectness targets of negative anchors from their attention to the positive anchors.

    ``A = softmax_j(Norm(F_neg) Norm(F_pos)^T / temperature)`` with L2 normalisation; a negative ``i`` whose
    ``max_j A_ij >= threshold`` is a suspected unannotated object and gets target ``max_j A_ij``; the others
    keep 0. No gradient flows through the result.

    Args:
        neg_embeds: [N_neg, D] embeddings of the negative anchors.
        pos_embeds: [N_pos, D] embeddings of the positive anchors.
        threshold: t in (0, 1].
        temperature: tau > 0 (the paper's formula: 1).

    Returns:
        [N_neg] float targets: 0 below the threshold; all zeros when N_pos == 0; empty when N_neg == 0.
    """
    with torch.no_grad():
        targets = neg_embeds.new_zeros(neg_embeds.shape[0], dtype=torch.float32)
        if neg_embeds.shape[0] == 0 or pos_embeds.shape[0] == 0:
            return targets
        similarity = F.normalize(neg_embeds.float(), dim=1) @ F.normalize(pos_embeds.float(), dim=1).t()
        attention = torch.softmax(similarity / temperature, dim=1)
        best = attention.max(dim=1).values
        return torch.where(best >= threshold, best, targets)

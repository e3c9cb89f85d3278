"""attention_soft_labels against an independent numpy computation."""
import numpy as np
import pytest
import torch

from qmat.models import attention_soft_labels, instance_prototypes


def numpy_soft_labels(neg, pos, threshold, temperature, background=None, norm='l2'):
    if len(neg) == 0:
        return np.zeros(0)
    if len(pos) == 0:
        return np.zeros(len(neg))
    keys = pos if background is None else np.concatenate([pos, background])
    if norm == 'l2':
        neg = neg / np.linalg.norm(neg, axis=1, keepdims=True)
        keys = keys / np.linalg.norm(keys, axis=1, keepdims=True)
    logits = neg @ keys.T / temperature
    if norm == 'scaled':
        logits /= np.sqrt(neg.shape[1])
    logits -= logits.max(axis=1, keepdims=True)
    attention = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    best = attention[:, :len(pos)].max(axis=1)
    return np.where(best >= threshold, best, 0.0)


@pytest.mark.parametrize('n_neg,n_pos,dims', [(7, 5, 16), (1, 1, 1), (30, 3, 1), (12, 40, 256), (5, 2, 3)])
@pytest.mark.parametrize('threshold,temperature', [(0.8, 1.0), (0.3, 0.05), (0.6, 0.1), (0.99, 0.01)])
def test_matches_numpy(n_neg, n_pos, dims, threshold, temperature):
    rng = np.random.default_rng(n_neg * 100 + n_pos)
    neg, pos = rng.normal(size=(n_neg, dims)), rng.normal(size=(n_pos, dims))
    expected = numpy_soft_labels(neg, pos, threshold, temperature)
    actual = attention_soft_labels(torch.tensor(neg, dtype=torch.float32),
                                   torch.tensor(pos, dtype=torch.float32), threshold, temperature)
    assert actual.shape == (n_neg,) and actual.dtype == torch.float32
    np.testing.assert_allclose(actual.numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('norm', ['l2', 'none', 'scaled'])
@pytest.mark.parametrize('dims', [1, 8, 64])
def test_each_reading_of_norm_matches_numpy(norm, dims):
    rng = np.random.default_rng(dims)
    neg, pos, background = (rng.normal(scale=0.5, size=(n, dims)) for n in (9, 4, 1))
    expected = numpy_soft_labels(neg, pos, 0.0, 0.5, background, norm)
    actual = attention_soft_labels(*(torch.tensor(a, dtype=torch.float32) for a in (neg, pos)), 0.0, 0.5,
                                   torch.tensor(background, dtype=torch.float32), norm)
    np.testing.assert_allclose(actual.numpy(), expected, rtol=1e-5, atol=1e-6)


def test_the_raw_dot_product_grows_with_the_embeddings_length():
    """Without L2 the attention depends on the embeddings' length: longer ones give a sharper softmax."""
    rng = np.random.default_rng(0)
    neg, pos = torch.tensor(rng.normal(size=(50, 16))), torch.tensor(rng.normal(size=(6, 16)))
    short, long = (attention_soft_labels(scale * neg, scale * pos, 0.0, norm='none').mean()
                   for scale in (0.1, 3))
    cosine = [attention_soft_labels(scale * neg, scale * pos, 0.0).mean() for scale in (0.1, 3)]
    assert long > 0.9 > 0.3 > short and cosine[0] == pytest.approx(cosine[1])
    with pytest.raises(ValueError, match='norm'):
        attention_soft_labels(neg, pos, 0.0, norm='cosine')


def test_no_positives_and_no_negatives():
    assert torch.equal(attention_soft_labels(torch.randn(4, 8), torch.zeros(0, 8), 0.5), torch.zeros(4))
    assert attention_soft_labels(torch.zeros(0, 8), torch.randn(3, 8), 0.5).shape == (0,)


def test_ties_at_the_threshold_are_kept():
    # one positive: every negative attends to it with weight exactly 1 = max >= t for t = 1
    out = attention_soft_labels(torch.randn(3, 4), torch.randn(1, 4), threshold=1.0)
    assert torch.equal(out, torch.ones(3))
    # two identical positives: the attention is exactly 0.5 each
    pos = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    out = attention_soft_labels(torch.tensor([[0.0, 1.0], [1.0, 1.0]]), pos, threshold=0.5)
    assert torch.equal(out, torch.full((2,), 0.5))
    below = attention_soft_labels(torch.tensor([[0.0, 1.0]]), pos, threshold=0.5001)
    assert torch.equal(below, torch.zeros(1))


def test_no_gradient_through_the_targets():
    neg, pos = torch.randn(5, 4, requires_grad=True), torch.randn(2, 4, requires_grad=True)
    out = attention_soft_labels(neg, pos, threshold=0.1)
    assert not out.requires_grad


@pytest.mark.parametrize('n_neg,n_pos,n_background,dims', [(7, 5, 1, 16), (1, 1, 1, 1), (9, 3, 4, 8)])
def test_background_keys_compete_for_the_attention(n_neg, n_pos, n_background, dims):
    rng = np.random.default_rng(n_neg + n_pos + n_background)
    neg, pos, back = (rng.normal(size=(n, dims)) for n in (n_neg, n_pos, n_background))
    expected = numpy_soft_labels(neg, pos, 0.0, 0.2, back)
    actual = attention_soft_labels(*(torch.tensor(a, dtype=torch.float32) for a in (neg, pos)), 0.0, 0.2,
                                   torch.tensor(back, dtype=torch.float32))
    np.testing.assert_allclose(actual.numpy(), expected, rtol=1e-5, atol=1e-6)
    # one positive and no background: every negative attends to it fully, whatever it looks like
    neg, pos = torch.tensor(neg, dtype=torch.float32), torch.tensor(pos, dtype=torch.float32)
    lone = attention_soft_labels(neg, pos[:1], 0.0)
    assert torch.allclose(lone, torch.ones(n_neg))


def test_instance_prototypes_are_mean_normalised_embeddings():
    rng = np.random.default_rng(3)
    embeds = rng.normal(size=(10, 6))
    ids = np.array([7, 2, 7, 7, 40, 2, 2, 40, 7, 2])
    actual = instance_prototypes(torch.tensor(embeds), torch.tensor(ids))
    unit = embeds / np.linalg.norm(embeds, axis=1, keepdims=True)
    expected = np.stack([unit[ids == i].mean(axis=0) for i in (2, 7, 40)])
    np.testing.assert_allclose(actual.numpy(), expected, rtol=1e-12)
    raw = instance_prototypes(torch.tensor(embeds), torch.tensor(ids), norm='none')  # no L2: plain means
    np.testing.assert_allclose(raw.numpy(), np.stack([embeds[ids == i].mean(axis=0) for i in (2, 7, 40)]),
                               rtol=1e-12)


@pytest.mark.parametrize('temperature', [1.0, 0.5])
@pytest.mark.parametrize('n_pos', [1, 2, 3, 6])
def test_attention_is_bounded_by_the_number_of_positives(n_pos, temperature):
    # cosine similarities lie in [-1, 1], so max_j A_ij <= e^(2/tau) / (e^(2/tau) + n_pos - 1), reached by a
    # negative equal to one positive and opposite to all the others
    bound = np.exp(2 / temperature) / (np.exp(2 / temperature) + n_pos - 1)
    direction = torch.tensor([[1.0, 0.0, 0.0]])
    pos = torch.cat([direction, -direction.expand(n_pos - 1, 3)])
    extreme = attention_soft_labels(direction, pos, threshold=0.0, temperature=temperature)
    assert extreme.item() == pytest.approx(bound, rel=1e-5)
    rng = np.random.default_rng(n_pos)
    random = attention_soft_labels(torch.tensor(rng.normal(size=(500, 3)), dtype=torch.float32),
                                   torch.tensor(rng.normal(size=(n_pos, 3)), dtype=torch.float32),
                                   threshold=0.0, temperature=temperature)
    assert random.max().item() <= bound + 1e-6


def test_the_papers_rule_at_t_08_fires_only_with_at_most_two_positives():
    # e^2 / (e^2 + n - 1) >= 0.8  <=>  n <= 1 + e^2 / 4 = 2.85: three positives never let a negative reach t
    direction = torch.tensor([[0.0, 1.0]])
    for n_pos, fires in ((2, True), (3, False)):
        pos = torch.cat([direction, -direction.expand(n_pos - 1, 2)])
        assert bool(attention_soft_labels(direction, pos, threshold=0.8) > 0) == fires

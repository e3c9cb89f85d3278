"""The soft-label audit: its AUC against a pairwise count, the variant grid, the table."""
import itertools

import numpy as np
import pytest

from qmat.evaluation import audit_table, roc_auc, variant_grid


def pairwise_auc(scores, positive):
    """P(score of a positive > score of a negative) + half the ties, over all pairs."""
    wins = [1.0 if p > n else 0.5 if p == n else 0.0
            for p, n in itertools.product(scores[positive], scores[~positive])]
    return float(np.mean(wins))


@pytest.mark.parametrize('seed', range(5))
def test_auc_matches_the_pairwise_definition(seed):
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 6, size=40) / 5.0  # many ties
    positive = rng.random(40) < 0.3
    assert roc_auc(scores, positive) == pytest.approx(pairwise_auc(scores, positive))


def test_auc_extremes_and_undefined():
    assert roc_auc(np.array([0.1, 0.2, 0.9]), np.array([False, False, True])) == 1.0
    assert roc_auc(np.array([0.9, 0.2, 0.1]), np.array([False, False, True])) == 0.0
    assert np.isnan(roc_auc(np.array([0.1, 0.2]), np.array([False, False])))


def test_variant_grid_covers_every_combination_once():
    grid = variant_grid([1.0, 0.1])
    assert len(grid) == 2 * 2 * 2 * 2 and len({v.name for v in grid}) == len(grid)
    assert grid[0].keys == 'anchors' and not grid[0].background and grid[0].temperature == 1.0  # the paper's


def test_table_lists_every_row_with_the_base_rate():
    row = dict(keys='instances', background=True, scope='image', temperature=0.1, threshold=0.8,
               fired_per_image=3.25, precision=0.5, recall=0.25, auc=0.75)
    table = audit_table(dict(images=4, negatives=800, removed_negatives=40, rows=[row]))
    assert '40 of them (5.0 %) on removed flakes' in table and 'the signal of BRL' in table
    assert '| instances | yes | image | 0.1 | 0.8 | 3.2 | 0.500 | 0.250 | 0.750 |' in table

"""The bound on SASL-RPN's attention, solved for the number of keys, and the tool that counts the keys."""
import json
import math

import numpy as np
import pytest
import torch
from helpers import REPO, assert_one_line_error, run_in_process, run_tool

from qmat.evaluation.firing_capacity import firing_capacity, max_keys_to_fire
from qmat.models import attention_soft_labels

SASL_CONFIG = f'{REPO}/configs/synthetic/mask-rcnn_r18_fpn_sasl-t0.8_250i_synthetic.py'


def extreme_attention(n_keys, temperature):
    """max_j A_ij of a negative equal to one key and opposite to the n - 1 others: the largest possible."""
    direction = torch.tensor([[1.0, 0.0]])
    keys = torch.cat([direction, -direction.expand(n_keys - 1, 2)])
    return attention_soft_labels(direction, keys, 0.0, temperature).item()


@pytest.mark.parametrize('threshold,temperature',
                         [(0.6, 1.0), (0.8, 1.0), (0.9, 1.0), (0.8, 0.5), (0.5, 2.0)])
def test_limit_is_where_the_extreme_attention_crosses_the_threshold(threshold, temperature):
    limit = max_keys_to_fire(threshold, temperature)
    largest = math.floor(limit)
    assert extreme_attention(largest, temperature) >= threshold
    assert extreme_attention(largest + 1, temperature) < threshold
    assert max_keys_to_fire(1.0, temperature) == 1  # t = 1: only a lone key


def test_limit_rejects_impossible_settings():
    with pytest.raises(ValueError, match='threshold'):
        max_keys_to_fire(0.0, 1.0)
    with pytest.raises(ValueError, match='temperature'):
        max_keys_to_fire(0.8, 0.0)


def test_capacity_counts_groups_within_the_limit():
    groups = [dict(positives=1, instances=1), dict(positives=2, instances=1), dict(positives=9, instances=3),
              dict(positives=0, instances=0)]
    rows = {(r['keys'], r['background']): r for r in firing_capacity(groups, 0.8, 1.0)}  # limit 2.85
    assert rows['positives', False]['can_fire'] == 2 and rows['positives', True]['can_fire'] == 1
    assert rows['instances', False]['can_fire'] == 2 and rows['instances', True]['can_fire'] == 2
    assert rows['positives', False]['median'] == 2 and rows['positives', True]['max'] == 10
    assert all(r['groups'] == 4 for r in rows.values())


def test_tool_counts_the_keys_of_the_training_images(synthetic_root, tmp_path):
    out = tmp_path / 'capacity.json'
    result = run_tool('tools/analysis_tools/sasl_firing_capacity.py', SASL_CONFIG, '--data-root',
                      synthetic_root, '--train-ann', 'annotations/instances_train2019.json', '--out',
                      str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'needs at most 2.85 keys' in result.stdout
    assert '| annotated flakes + background key |' in result.stdout
    report = json.loads(out.read_text())
    annotations = json.load(open(f'{synthetic_root}/annotations/instances_train2019.json'))
    per_image = np.bincount([a['image_id'] for a in annotations['annotations'] if not a.get('iscrowd')])
    groups = report['groups']
    assert len(groups) == len(annotations['images'])  # one pass, scope 'image'
    # every sampled positive belongs to an annotated flake, and mmdet's low-quality match gives nearly
    # every flake one
    assert all(g['positives'] >= g['instances'] for g in groups)
    assert 0.9 * per_image.sum() <= sum(g['instances'] for g in groups) <= per_image.sum()
    assert sorted(g['instances'] for g in groups)[-1] <= per_image.max()

    batch = run_tool('tools/analysis_tools/sasl_firing_capacity.py', SASL_CONFIG, '--data-root',
                     synthetic_root, '--train-ann', 'annotations/instances_train2019.json', '--out', str(out),
                     '--cfg-options', 'model.rpn_head.scope=batch')
    assert batch.returncode == 0, batch.stderr[-3000:]
    batch_groups = json.loads(out.read_text())['groups']
    assert len(batch_groups) == math.ceil(len(groups) / 4)  # batches of 4
    assert sum(g['instances'] for g in batch_groups) == sum(g['instances'] for g in groups)


def test_tool_needs_a_sasl_config(synthetic_root):
    result = run_in_process('tools/analysis_tools/sasl_firing_capacity.py',
                            f'{REPO}/configs/synthetic/mask-rcnn_r18_fpn_250i_synthetic.py', '--data-root',
                            synthetic_root, '--train-ann', 'annotations/instances_train2019.json')
    assert_one_line_error(result, 'not SASLRPNHead')


def test_tool_refuses_unnormalised_readings(synthetic_root):
    result = run_in_process('tools/analysis_tools/sasl_firing_capacity.py',
                            f'{REPO}/configs/synthetic/mask-rcnn_r18_fpn_sasl-dot-t0.8_250i_synthetic.py',
                            '--data-root', synthetic_root, '--train-ann',
                            'annotations/instances_train2019.json')
    assert_one_line_error(result, "norm is 'none'")

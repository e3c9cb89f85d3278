"""The few-shot curve: splits, split sets, records reused, the table and the plot; and, slow, the whole
path a physicist runs: synthetic pretraining into the cache, then the curve from it."""
import json
import os.path as osp

import pytest
from conftest import TINY_SCENE
from helpers import assert_ok, run_in_process, run_tool

from qmat.datasets import generate_dataset
from qmat.experiments.few_shot import (
    FewShot,
    few_shot_text,
    plot_few_shot,
    split_images,
    summarize,
    write_split_set,
)


@pytest.fixture(scope='module')
def source(tmp_path_factory):
    """A stand-in for a lab's imported set: 6 annotated images in one split."""
    root = str(tmp_path_factory.mktemp('lab'))
    generate_dataset(root, {'val': 6}, TINY_SCENE, seed=3)
    return root


def test_splits_are_seeded_disjoint_and_nested(source, tmp_path):
    fs = FewShot(source, pool=4, shots=(0, 1, 2, 4), work_root=str(tmp_path))
    pool, val = split_images(fs, 0)
    assert (pool, val) == split_images(fs, 0) and len(pool) == 4 and len(val) == 2
    assert sorted(pool + val) == list(range(1, 7)) and split_images(fs, 1) != (pool, val)
    for k in (1, 2, 4):
        root = write_split_set(fs, k, 0)
        with open(osp.join(root, 'annotations', 'instances_train2019.json')) as f:
            train = json.load(f)
        with open(osp.join(root, 'annotations', 'instances_val2019.json')) as f:
            held_out = json.load(f)
        assert [i['id'] for i in train['images']] == sorted(pool[:k])
        assert {a['image_id'] for a in train['annotations']} <= set(pool[:k])
        assert sorted(i['id'] for i in held_out['images']) == sorted(val)
        assert osp.isfile(osp.join(root, 'train2019', train['images'][0]['file_name']))
    assert fs.cells()[:3] == [('pretrained', 0, 0), ('pretrained', 1, 0), ('scratch', 1, 0)]


def test_a_pool_that_leaves_nothing_to_validate_is_refused(source, tmp_path):
    from qmat.utils import UserInputError
    with pytest.raises(UserInputError, match='cannot give a pool of 6'):
        split_images(FewShot(source, pool=6, shots=(1, ), work_root=str(tmp_path)), 0)


def test_table_and_plot_from_records(source, tmp_path):
    fs = FewShot(source, pool=4, shots=(0, 1), splits=(0, 1), work_root=str(tmp_path))
    records = [dict(init=init, k=k, split=split, metrics={'coco/bbox_mAP': 0.1 * (k + 1) + 0.02 * split,
                                                         'agnostic/bbox_mAP_50': 0.3 + 0.1 * split})
               for init, k, split in fs.cells()]
    summary = summarize(records, fs)
    assert [(row['init'], row['k']) for row in summary] == [('pretrained', 0), ('pretrained', 1),
                                                            ('scratch', 1)]
    assert summary[1]['columns']['coco/bbox_mAP']['mean'] == pytest.approx(0.21)
    text = few_shot_text(summary, fs)
    assert '| synthetic-pretrained (zero-shot) | 0 | 2 | 11.0 ± 1.4 |' in text
    assert '35.0 ± 7.1' in text and 'holds out 2 of them' in text
    plot_few_shot(summary, str(tmp_path / 'curve.png'))
    assert osp.getsize(tmp_path / 'curve.png') > 1000


def test_the_curve_needs_the_pretrained_weights(source, tmp_path, monkeypatch):
    monkeypatch.setenv('QMAT_CACHE_DIR', str(tmp_path / 'empty-cache'))
    result = run_in_process('tools/experiments/few_shot.py', source, '--pool', '4', '--shots', '0',
                            '--splits', '0', '--work-root', str(tmp_path / 'w'), '--results',
                            str(tmp_path / 'r'), '--plot', '')
    assert result.returncode == 2 and 'run python tools/pretrain.py' in result.stderr


@pytest.mark.slow
def test_pretrain_then_the_curve_end_to_end(source, tmp_path):
    env = dict(QMAT_CACHE_DIR=str(tmp_path / 'cache'))
    short = ['train_cfg.max_iters=2', 'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2',
             'train_dataloader.batch_size=1']
    result = run_tool('tools/pretrain.py', '--train', '3', '--val', '2', '--workers', '1', '--cfg-options',
                      *short, env=env)
    assert_ok(result)
    weights = tmp_path / 'cache' / 'weights' / 'mask-rcnn_r18_fpn_2000i_synthetic-2k.pth'
    assert weights.is_file() and 'pretrained weights:' in result.stdout
    again = run_tool('tools/pretrain.py', '--train', '3', '--val', '2', env=env)
    assert_ok(again)
    assert 'there already' in again.stdout  # kept, not trained again
    args = ['tools/experiments/few_shot.py', source, '--pool', '4', '--shots', '0', '1', '--splits', '0',
            '--work-root', str(tmp_path / 'work'), '--results', str(tmp_path / 'records'), '--plot',
            str(tmp_path / 'curve.png'), '--docs', str(tmp_path / 'doc.md'), '--cfg-options', *short]
    result = run_tool(*args, env=env)
    assert_ok(result)
    records = sorted(p.name for p in (tmp_path / 'records').iterdir())
    assert records == ['pretrained_k0_split0.json', 'pretrained_k1_split0.json', 'scratch_k1_split0.json']
    record = json.loads((tmp_path / 'records' / 'pretrained_k1_split0.json').read_text())
    assert 'agnostic/bbox_mAP_50' in record['metrics'] and 'coco/segm_mAP' in record['metrics']
    assert '<!-- few-shot:start -->' in (tmp_path / 'doc.md').read_text()
    again = run_tool(*args, env=env)  # every record current: nothing trained
    assert_ok(again)
    assert '[few-shot] training' not in again.stdout and '[few-shot] testing' not in again.stdout


def test_a_distributed_pretraining_needs_the_set_rendered_first(tmp_path, monkeypatch):
    monkeypatch.setenv('QMAT_CACHE_DIR', str(tmp_path / 'cache'))
    result = run_in_process('tools/pretrain.py', '--train', '2', '--val', '1', '--launcher', 'pytorch')
    assert result.returncode == 2 and 'run python tools/pretrain.py --render-only first' in result.stderr
    result = run_in_process('tools/pretrain.py', '--train', '2', '--val', '1', '--workers', '1',
                            '--render-only')
    assert result.returncode == 0
    stamp = tmp_path / 'cache' / 'synthetic' / 'real-2k-seed0' / 'scene.json'
    assert json.loads(stamp.read_text())['counts'] == dict(train=2, val=1)
    assert not (tmp_path / 'cache' / 'weights').exists()

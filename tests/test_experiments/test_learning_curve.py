"""The learning curve: its validations, the shortest schedule near the plateau, the records and the tool."""
import json
import os.path as osp

import pytest
from helpers import REPO, assert_one_line_error, run_in_process, run_tool

from qmat.experiments.learning_curve import (
    beside_baseline,
    curve_table,
    shortest_schedule,
    smoothed,
    validations,
)
from qmat.experiments.regimes import REGIMES, regime_study


def _points(bbox, segm, every=250):
    return [{'step': every * (i + 1), 'coco/bbox_mAP': b / 100, 'coco/segm_mAP': s / 100}
            for i, (b, s) in enumerate(zip(bbox, segm))]


def test_shortest_schedule_is_where_every_later_point_stays_near_the_best():
    clean = _points([10, 20, 25, 26, 25.5], [12, 22, 27, 27.5, 27])  # within 1.5 of 26 / 27.5 from 750
    assert shortest_schedule([clean], 1.5, window=1) == 750
    # a curve that still climbs late decides for both: 30.0 - 28.0 > 1.5 at 1000
    late = _points([10, 20, 24, 28, 30], [12, 22, 27, 27.5, 27])
    assert shortest_schedule([clean, late], 1.5, window=1) == 1250
    # a dip below the band after the first point in it moves the schedule past the dip
    dip = _points([20, 25.5, 23, 26, 26], [27, 27, 27, 27, 27])
    assert shortest_schedule([dip], 1.5, window=1) == 1000
    assert shortest_schedule([dip], 3.0, window=1) == 500
    # smoothed over three validations the dip is a swing: (25.5 + 23 + 26) / 3 = 24.83 at 750 is within
    # 1.5 of the best smoothed value, (26 + 26) / 2 = 26, and so is every later one
    assert smoothed(dip, 'coco/bbox_mAP') == pytest.approx([0.2275, 0.2283, 0.2483, 0.25, 0.26], abs=1e-4)
    assert shortest_schedule([dip], 1.5) == 750
    assert shortest_schedule([], 1.5) is None and shortest_schedule([[]], 1.5) is None


def _val(value, segm=0.2):
    return {'coco/bbox_mAP': value, 'coco/segm_mAP': segm, 'step': 0}  # as mmengine logs it: epoch 0


def test_validations_get_their_iteration_across_a_resumed_run(tmp_path):
    # logged every 20 iterations, validated every 250: the first run stops after its validation at 500,
    # before its checkpoint, and is resumed from 250
    runs = {'20261201_100000': [dict(loss=1.0, step=240), _val(0.1), dict(loss=0.9, step=480), _val(0.2),
                                dict(loss=0.8, step=500)],
            '20261201_120000': [dict(loss=0.7, step=260), _val(0.25), dict(loss=0.6, step=740), _val(0.3),
                                _val(0.35), dict(loss=0.5, step=1080), _val(0.4)]}
    for stamp, rows in runs.items():
        logs = tmp_path / stamp / 'vis_data'
        logs.mkdir(parents=True)
        (logs / 'scalars.json').write_text(''.join(json.dumps(r) + '\n' for r in rows))
    found = validations(str(tmp_path), val_interval=250, max_iters=1100)
    # 500 logged twice keeps its later value; two validations with no training line between are 250 apart;
    # the last one is at max_iters
    assert [(p['step'], p['coco/bbox_mAP']) for p in found] == [(250, 0.1), (500, 0.25), (750, 0.3),
                                                                 (1000, 0.35), (1100, 0.4)]
    assert validations(str(tmp_path / 'none'), 250, 1000) == []
    records = [dict(fraction=0.0, metrics=dict(curve=found)),
               dict(fraction=0.5, metrics=dict(curve=found[:1]))]
    table = curve_table(records)
    assert '| 250 | 10.0 | 20.0 | 10.0 | 20.0 |' in table and '| 500 | 25.0 | 20.0 | — | — |' in table



def test_a_method_curve_is_shown_beside_the_baseline_with_the_means_over_its_last_validations():
    def curve(method, values):
        points = [{'step': 250 * (i + 1), 'coco/bbox_mAP': v, 'coco/segm_mAP': v + 0.1}
                  for i, v in enumerate(values)]
        return dict(method=method, fraction=0.5, metrics=dict(curve=points))
    # the baseline's curve is longer; the means are over the method's last three steps (500, 750, 1000)
    baseline = [curve('baseline', [0.1, 0.2, 0.3, 0.4, 0.5])]
    mine = [curve('self-training', [0.1, 0.3, 0.3, 0.6])]
    text = beside_baseline(baseline, mine)
    assert ('| baseline, 50% missing: bbox AP | segm AP | self-training, 50% missing: bbox AP | segm AP |'
            in text)
    assert '| 1250 | 50.0 | 60.0 | — | — |' in text
    assert ('the mean of the validations at 500, 750, 1000: baseline 30.0 bbox / 40.0 segm AP, '
            'self-training 40.0 / 50.0.') in text
    # without the baseline's curve at that fraction: the method's table alone, no means
    alone = beside_baseline([], mine)
    assert 'baseline' not in alone and '| 1000 | 60.0 | 70.0 |' in alone

def test_regimes_set_the_study_and_options_go_over_them():
    study = regime_study('paper-graphene', seeds=(0, 1), train=None)
    assert study.preset == 'paper-graphene' and study.material == 'graphene'
    assert (study.train, study.val, study.seeds) == (256, 128, (0, 1))
    assert set(study.methods) == set(study.configs) >= {
        'baseline', 'ohem', 'brl', 'sasl-t0.8', 'self-training', 'self-training-classes',
        'self-training-classes+sasl-t0.8', 'self-training-classes+brl'}
    assert all(osp.isfile(osp.join(REPO, path))
               for path in list(study.configs.values()) + list(REGIMES['paper-graphene'].curves.values()))
    cpu = regime_study('cpu')
    assert cpu.preset is None and cpu.train == 64 and 'self-training' not in cpu.configs
    with pytest.raises(Exception, match="preset must be one of"):
        regime_study('cpu', preset='nowhere')


def test_a_preset_study_generates_its_set_from_the_preset(tmp_path):
    import json as json_module

    from qmat.datasets.synthetic.presets import PRESETS
    from qmat.experiments import prepare_data
    study = regime_study('paper-graphene', data=str(tmp_path / 'set'), train=3, val=2, fractions=(0.5, ),
                         seeds=(1, ))
    prepare_data(study)
    complete = json_module.load(open(tmp_path / 'set' / 'annotations' / 'instances_train2019.json'))
    height, width = PRESETS['paper-graphene'].image_size
    assert len(complete['images']) == 3
    assert {(image['height'], image['width']) for image in complete['images']} == {(height, width)}
    dropped = json_module.load(open(tmp_path / 'set' / 'annotations' /
                                    'instances_train2019_missing50_seed1.json'))
    removed = [a for a in dropped['annotations'] if a.get('iscrowd')]  # kept as ignored
    assert len(removed) == round(0.5 * len(complete['annotations']))


def test_a_method_without_a_curve_config_is_a_one_line_error():
    result = run_in_process('tools/experiments/learning_curve.py', '--method', 'ohem', '--report-only')
    assert_one_line_error(result, '--method ohem has no curve config in regime paper-graphene')


def test_a_method_without_a_config_in_the_regime_is_a_one_line_error(tmp_path):
    result = run_in_process('tools/experiments/missing_study.py', '--methods', 'sasl-dot-t0.6', '--regime',
                            'paper-graphene', '--report-only', '--results', str(tmp_path))
    assert_one_line_error(result, 'sasl-dot-t0.6 has no config in regime paper-graphene')


@pytest.mark.slow
def test_learning_curve_command_trains_records_and_reports(tmp_path):
    docs = tmp_path / 'method.md'
    command = ['tools/experiments/learning_curve.py', '--data', str(tmp_path / 'data'), '--work-root',
               str(tmp_path / 'work'), '--results', str(tmp_path / 'records'), '--train', '4', '--val', '2',
               '--jobs', '2', '--docs', str(docs), '--cfg-options', 'train_cfg.max_iters=2',
               'train_cfg.val_interval=1', 'default_hooks.checkpoint.interval=2',
               'train_dataloader.batch_size=2', 'val_dataloader.batch_size=2']
    result = run_tool(*command)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.stdout.count('[curve] training') == 2
    for pct in ('00', '50'):
        record = json.load(open(tmp_path / 'records' / 'curve' / f'baseline_missing{pct}_seed0.json'))
        assert [p['step'] for p in record['metrics']['curve']] == [1, 2] and record['fingerprint']
        assert record['config'] == REGIMES['paper-graphene'].curves['baseline']
    assert 'From iteration' in result.stdout and 'learning-curve-paper-graphene:start' in docs.read_text()
    again = run_tool(*command, '--report-only')  # the records make the report: nothing is trained
    assert again.returncode == 0 and '[curve] training' not in again.stdout
    assert '| 2 |' in again.stdout

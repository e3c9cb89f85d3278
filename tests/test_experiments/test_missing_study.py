"""The missing-annotation study: its metrics on known inputs, and the whole command on a tiny set."""
import glob
import json
import os.path as osp
import shutil

import numpy as np
import pytest
from helpers import assert_ok, assert_one_line_error, run_in_process, run_tool

from qmat.experiments import train_file


def test_file_names():
    assert train_file(0.3, 2) == 'annotations/instances_train2019_missing30_seed2.json'
    assert train_file(0.0, 0) == 'annotations/instances_train2019_missing00_seed0.json'


@pytest.mark.slow
def test_study_command_trains_evaluates_skips_and_reports(tmp_path):
    data, work, records = str(tmp_path / 'data'), str(tmp_path / 'work'), tmp_path / 'records'
    docs = tmp_path / 'bench.md'
    docs.write_text('# Benchmarks\n\ntext before\n')
    options = ['train_cfg.max_iters=2', 'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2',
               'train_dataloader.batch_size=2', 'val_dataloader.batch_size=2']
    command = ['tools/experiments/missing_study.py', '--data', data, '--work-root', work, '--results',
               str(records), '--train', '4', '--val', '2', '--jobs', '2',
               '--methods', 'baseline', 'sasl-t0.8', 'oracle-rpn', '--fractions', '0', '0.5', '--seeds', '0',
               '--plot', str(tmp_path / 'study.png'), '--docs', str(docs), '--cfg-options', *options]
    result = run_tool(*command)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # the oracle only where something was removed: with nothing removed it is the baseline
    assert result.stdout.count('[study] training') == 5 and result.stdout.count('[study] evaluating') == 5
    study = json.load(open(osp.join(work, 'study.json')))
    assert len(study['runs']) == 5
    assert [r['fraction'] for r in study['runs'] if r['method'] == 'oracle-rpn'] == [0.5]
    record = osp.join(data, 'annotations', 'instances_train2019_missing50_seed0.removed.json')
    removed = json.load(open(record))
    assert len(removed['removed_ids']) > 0 and removed['kept_as_ignored']
    for run in study['runs']:
        metrics = run['metrics']
        assert 0 <= metrics['AR@100'] <= metrics['AR@1000'] <= 1 and 'coco/segm_mAP' in metrics
        assert run['fingerprint'] and run['machine'] and run['options'][1] == 'randomness.seed=0'
        name = f'{run["method"]}_missing{round(100 * run["fraction"]):02d}_seed0.json'
        assert json.load(open(records / name)) == json.loads(json.dumps(run))
        if run['fraction'] == 0:
            assert metrics['removed'] == 0 and metrics['recovered'] is None
        else:
            assert metrics['removed'] == len(removed['removed_ids']) and 0 <= metrics['recovered'] <= 1
    text = docs.read_text()
    assert text.startswith('# Benchmarks\n\ntext before') and '| sasl-t0.8 | 50% | 1 |' in text
    assert '| oracle-rpn | 50% | 1 |' in text and '| oracle-rpn | 0% |' not in text
    assert 'share recovered' in text  # the goal's table, from the same records
    assert 'loss / std' in text and 'time / baseline' in text  # the regime's signal, the methods' cost
    assert [row['fraction'] for row in study['signal']] == [0.5]
    assert 'sasl-t0.8' in [row['method'] for row in study['cost']]  # paired with the baseline at 0 %
    ap = {(r['method'], r['fraction']): r['metrics']['coco/bbox_mAP'] for r in study['runs']}
    loss = ap['baseline', 0.0] - ap['baseline', 0.5]
    for row in study['recovery']:
        assert row['seeds'] == [0] and row['fraction'] == 0.5
        gain = ap[row['method'], 0.5] - ap['baseline', 0.5]
        share = row['columns']['coco/bbox_mAP']['share']
        assert share == (pytest.approx(gain / loss) if loss > 0 else None)
    assert sorted(row['method'] for row in study['recovery']) == ['oracle-rpn', 'sasl-t0.8']
    assert osp.isfile(tmp_path / 'study.png')

    again = run_tool(*command)  # everything finished: nothing is trained or evaluated twice
    assert again.returncode == 0 and '[study] training' not in again.stdout
    assert '[study] evaluating' not in again.stdout and docs.read_text().count('missing-study:start') == 1

    # the records alone make the study (another machine has no work dirs); a stale record is made again
    shutil.rmtree(osp.join(work, 'baseline'))
    stale = records / 'sasl-t0.8_missing50_seed0.json'
    stale.write_text(json.dumps(dict(json.loads(stale.read_text()), fingerprint='another-config')))
    report = run_tool(*command, '--report-only')
    assert report.returncode == 0 and '[study] training' not in report.stdout
    assert 'sasl-t0.8_missing50_seed0.json was made with another config' in report.stdout
    assert report.stdout.count('[study] evaluating') == 1
    assert len(json.load(open(osp.join(work, 'study.json')))['runs']) == 5


def test_recovery_pairs_seeds_and_divides_mean_gain_by_mean_loss():
    from qmat.experiments import Study
    from qmat.experiments.report import recovery, recovery_report

    def run(method, fraction, seed, bbox, segm):
        return dict(method=method, fraction=fraction, seed=seed,
                    metrics={'coco/bbox_mAP': bbox, 'coco/segm_mAP': segm})
    results = [run('baseline', 0.0, 0, 0.30, 0.40), run('baseline', 0.0, 1, 0.28, 0.40),
               run('baseline', 0.5, 0, 0.20, 0.40), run('baseline', 0.5, 1, 0.22, 0.41),
               run('sasl', 0.5, 0, 0.26, 0.45), run('sasl', 0.5, 1, 0.24, 0.42),
               run('ohem', 0.5, 1, 0.19, 0.40)]  # ohem's seed 0 is missing: only seed 1 pairs
    rows = recovery(results, Study(methods=('baseline', 'ohem', 'sasl'), fractions=(0.0, 0.5), seeds=(0, 1)))
    sasl, = [r for r in rows if r['method'] == 'sasl']
    ohem, = [r for r in rows if r['method'] == 'ohem']
    bbox = sasl['columns']['coco/bbox_mAP']
    # losses 0.10 and 0.06, gains 0.06 and 0.02: 0.04 of 0.08 won back
    assert sasl['seeds'] == [0, 1] and bbox['share'] == pytest.approx(0.5)
    assert bbox['loss']['mean'] == pytest.approx(0.08)
    assert bbox['gain']['std'] == pytest.approx(np.std([0.06, 0.02], ddof=1))
    # segm: the baseline lost nothing on average (0.0 and -0.01), so there is no share to speak of
    assert sasl['columns']['coco/segm_mAP']['share'] is None
    assert ohem['seeds'] == [1] and ohem['columns']['coco/bbox_mAP']['share'] == pytest.approx(-0.03 / 0.06)
    table = recovery_report(rows)
    # the 95 % interval of the mean gain: t(0.975, 1 dof) = 12.706 (a t table), std / sqrt(2) = 0.02
    assert '| sasl | 50% | 2 | 8.0 ± 2.8 | 4.0 ± 2.8 | [-21.4, 29.4] | 0.50 |' in table
    assert 12.706 * 0.02 == pytest.approx(0.2541, abs=1e-4)
    assert '| ohem | 50% | 1 | 6.0 | -3.0 | — | -0.50 |' in table  # one seed: no interval


def test_signal_and_cost_pair_seeds_against_the_baseline():
    from qmat.experiments import Study
    from qmat.experiments.report import cost, cost_report, signal, signal_report, study_text

    def run(method, fraction, seed, bbox, segm, step=None, threads=1, date='2026-12-01'):
        metrics = {'coco/bbox_mAP': bbox, 'coco/segm_mAP': segm}
        return dict(method=method, fraction=fraction, seed=seed, threads=threads, date=date,
                    metrics=dict(metrics, **({'train/seconds_per_iter': step} if step else {})))
    results = [run('baseline', 0.0, 0, 0.50, 0.60, 1.0), run('baseline', 0.0, 1, 0.52, 0.60, 1.2),
               run('baseline', 0.0, 2, 0.48, 0.62, 1.0),
               run('baseline', 0.5, 0, 0.42, 0.55, 1.0), run('baseline', 0.5, 1, 0.42, 0.52, 1.0),
               run('baseline', 0.5, 2, 0.39, 0.60),  # no step time: left out of the ratios
               run('st', 0.0, 0, 0.49, 0.61, 1.5), run('st', 0.0, 2, 0.46, 0.62, 2.0),
               run('st', 0.5, 2, 0.45, 0.58, 3.0), run('ohem', 0.5, 0, 0.40, 0.50, 1.1),
               run('st', 0.5, 0, 0.43, 0.56, 0.9, threads=2),  # alone on two threads: no time pair
               run('ohem', 0.5, 1, 0.41, 0.52, 3.0, date='2026-12-03')]  # another day: no time pair
    study = Study(methods=('baseline', 'st', 'ohem'), fractions=(0.0, 0.5), seeds=(0, 1, 2))
    row, = signal(results, study)
    bbox, segm = row['columns']['coco/bbox_mAP'], row['columns']['coco/segm_mAP']
    # bbox losses 0.08, 0.10, 0.09: mean 0.09, std 0.01; segm 0.05, 0.08, 0.02: mean 0.05, std 0.03
    assert row['seeds'] == [0, 1, 2] and bbox['loss']['mean'] == pytest.approx(0.09)
    assert bbox['ratio'] == pytest.approx(9.0) and segm['ratio'] == pytest.approx(0.05 / 0.03)
    # 95 % intervals: t(0.975, 2 dof) = 4.303 (a t table); half-widths 4.303 * 1.0 / sqrt(3) = 2.48 (bbox)
    # and 4.303 * 3.0 / sqrt(3) = 7.45 (segm)
    assert ('| 50% | 3 | 9.0 ± 1.0 | [6.5, 11.5] | 9.0 | 5.0 ± 3.0 | [-2.5, 12.5] | 1.7 |'
            in signal_report([row]))
    assert signal(results[:1], study) == []  # no pair
    one, = signal([results[0], results[3]], study)
    assert one['columns']['coco/bbox_mAP']['ratio'] is None  # one seed has no spread

    st, ohem = cost(results, study)
    # at 0 %: st - baseline = -0.01 and -0.02 (bbox), +0.01 and 0.0 (segm); step 1.5 / 1.0, 2.0 / 1.0 and
    # (at 50 %) none: the baseline's step is missing at seed 2, and at seed 0 the runs' threads differ
    assert st['seeds'] == [0, 2] and st['columns']['coco/bbox_mAP']['mean'] == pytest.approx(-0.015)
    assert st['time']['mean'] == pytest.approx(1.75) and st['time']['n'] == 2
    assert ohem['seeds'] == [] and ohem['columns']['coco/bbox_mAP'] is None
    assert ohem['time']['mean'] == pytest.approx(1.1)
    table = cost_report([st, ohem])
    # t(0.975, 1 dof) = 12.706, std 0.00707 / sqrt(2) = 0.005: -1.5 ± 6.4 points
    assert '| st | 2 | -1.5 ± 0.7 | [-7.9, 4.9] | 0.5 ± 0.7 | [-5.9, 6.9] | 1.75x ± 0.35 |' in table
    assert '| ohem | 0 | — | — | — | — | 1.10x |' in table
    text = study_text(results, study)
    assert text.index('loss / std') < text.index('share recovered') < text.index('time / baseline')


def test_report_leaves_out_rows_without_runs_and_counts_what_is_missing():
    from qmat.experiments import Study
    from qmat.experiments.report import report, summarize
    study = Study(methods=('baseline', 'sasl-t0.8', 'oracle-rpn'), fractions=(0.0, 0.5), seeds=(0, 1))
    metrics = {key: 0.25 for key in ('coco/bbox_mAP', 'coco/segm_mAP', 'AR@100')}
    results = [dict(method='baseline', fraction=f, seed=s, metrics=metrics)
               for f in (0.0, 0.5) for s in (0, 1)]
    results.append(dict(method='sasl-t0.8', fraction=0.5, seed=0, metrics=metrics))
    text = report(summarize(results, study), study)
    # 10 runs in the matrix (the oracle not at 0 %), 5 recorded
    assert '5 runs of the matrix have no record yet' in text
    assert '| baseline | 0% | 2 |' in text and '| sasl-t0.8 | 50% | 1 |' in text
    assert '| sasl-t0.8 | 0% |' not in text and '| oracle-rpn |' not in text
    complete = Study(methods=('baseline',), fractions=(0.0, 0.5), seeds=(0, 1))
    assert 'no record yet' not in report(summarize(results[:4], complete), complete)


def test_fingerprint_follows_config_options_and_data(tmp_path):
    from helpers import REPO

    from qmat.experiments import STUDY_METHODS, Study
    from qmat.experiments.records import read_record, write_record
    config = osp.join(REPO, STUDY_METHODS['baseline'])
    study = Study(train=64)
    print_once = study.fingerprint(config, {'randomness.seed': 0})
    assert print_once == study.fingerprint(config, {'randomness.seed': 0})
    assert print_once != study.fingerprint(config, {'randomness.seed': 1})
    assert print_once != study.fingerprint(osp.join(REPO, STUDY_METHODS['sasl-t0.8']), {'randomness.seed': 0})
    assert print_once != Study(train=32).fingerprint(config, {'randomness.seed': 0})
    assert print_once != Study(policy='uniform').fingerprint(config, {'randomness.seed': 0})
    assert print_once != Study(preset='paper-graphene').fingerprint(config, {'randomness.seed': 0})

    path = str(tmp_path / 'records' / 'run.json')
    assert read_record(path) is None
    write_record(path, dict(metrics={'coco/bbox_mAP': 0.5}, fingerprint=print_once))
    assert read_record(path)['fingerprint'] == print_once
    open(path, 'w').write('{"metrics": ')  # cut off: read as absent, so the run is made again
    assert read_record(path) is None


@pytest.mark.parametrize('regime', ['cpu', 'paper-graphene'])
def test_every_committed_record_is_current(regime):
    """A config change that alters a recorded run's resolved config makes the runner train it again: the
    change must come with the record remade or removed, not find it out in the next study."""
    from helpers import REPO

    from qmat.experiments.regimes import regime_study
    from qmat.experiments.study import parse_options
    study = regime_study(regime, config_root=REPO)
    paths = sorted(glob.glob(osp.join(REPO, study.results, '*.json')))
    assert paths
    stale = []
    for path in paths:
        with open(path, encoding='utf-8') as f:
            record = json.load(f)
        current = study.fingerprint(study.config(record['method']), parse_options(record['options']))
        if record['fingerprint'] != current:
            stale.append(osp.basename(path))
    assert not stale


def test_a_resumed_run_reads_as_one_run(tmp_path):
    """The second part of a run resumed from iteration 40 logs 60 again: its lines replace the first
    part's, and the parts before are kept (newest part only: 3.0; every line: 1.8)."""
    from qmat.experiments.runs import log_means, seconds_per_iter, training_rows
    for stamp, steps, value in (('20261201_000000', (20, 40, 60), 1.0), ('20261202_000000', (60, 80), 3.0)):
        logs = tmp_path / stamp / 'vis_data'
        logs.mkdir(parents=True)
        rows = [dict(step=step, loss=0.5, time=value, selftrain_pseudo_labels=value) for step in steps]
        rows.append({'coco/bbox_mAP': 0.2, 'step': 0, 'time': 9.0})
        (logs / 'scalars.json').write_text(''.join(json.dumps(r) + '\n' for r in rows))
    assert [row['step'] for row in training_rows(str(tmp_path))] == [20, 40, 60, 80]
    assert seconds_per_iter(str(tmp_path)) == 2.0
    assert log_means(str(tmp_path), ('selftrain_',)) == dict(selftrain_pseudo_labels=2.0)


def test_window_means_split_a_resumed_run_by_iteration(tmp_path):
    """Windows of 500 after iteration 1,000: 1,001-1,500 holds 1,020 and 1,500, 1,501-2,000 holds 1,520
    and the resumed part's 1,540 (which replaced the first part's); lines without the prefix and
    iterations up to 1,000 count nowhere; a window with no line is left out."""
    from qmat.experiments.runs import window_means
    parts = (('20261201_000000', ((1000, 9.0), (1020, 1.0), (1500, 2.0), (1540, 99.0))),
             ('20261202_000000', ((1520, 4.0), (1540, 6.0), (1560, None), (2600, 5.0))))
    for stamp, steps in parts:
        logs = tmp_path / stamp / 'vis_data'
        logs.mkdir(parents=True)
        rows = [dict(step=step, loss=0.5, **({} if value is None else dict(selftrain_pseudo_labels=value)))
                for step, value in steps]
        (logs / 'scalars.json').write_text(''.join(json.dumps(r) + '\n' for r in rows))
    windows = window_means(str(tmp_path), ('selftrain_',), window=500, start=1000)
    assert windows == [(1001, 1500, 2, dict(selftrain_pseudo_labels=1.5)),
                       (1501, 2000, 2, dict(selftrain_pseudo_labels=5.0)),
                       (2501, 3000, 1, dict(selftrain_pseudo_labels=5.0))]
    with pytest.raises(ValueError, match='window'):
        window_means(str(tmp_path), ('selftrain_',), window=0)


def test_pseudo_label_log_tool_prints_a_row_per_window(tmp_path):
    logs = tmp_path / '20261201_000000' / 'vis_data'
    logs.mkdir(parents=True)
    counts = (dict(step=1100, selftrain_pseudo_labels=4.0, selftrain_pseudo_on_removed=3.0,
                   selftrain_pseudo_right_class=3.0, selftrain_removed=10.0, selftrain_removed_found=2.0),
              dict(step=1200, selftrain_pseudo_labels=0.0, selftrain_pseudo_on_removed=0.0,
                   selftrain_pseudo_right_class=0.0, selftrain_removed=6.0, selftrain_removed_found=0.0))
    (logs / 'scalars.json').write_text(''.join(json.dumps(dict(r, loss=0.1)) + '\n' for r in counts))
    result = run_tool('tools/analysis_tools/pseudo_label_log.py', str(tmp_path), '--window', '1000')
    assert_ok(result)
    # 4 / 2 per batch, precision 3 / 4, recall 2 / 16, right class 3 / 3
    assert '| 1,001-2,000 | 2 | 2.0 | 0.750 | 0.125 | 1.000 |' in result.stdout
    assert_one_line_error(run_in_process('tools/analysis_tools/pseudo_label_log.py', str(tmp_path),
                                         '--start', '5000'), 'no logged selftrain_')
    assert_one_line_error(run_in_process('tools/analysis_tools/pseudo_label_log.py', str(tmp_path),
                                         '--window', '0'), '--window')


def test_training_log_means_and_what_the_rules_did(tmp_path):
    from qmat.experiments.report import rule_report
    from qmat.experiments.runs import log_means, seconds_per_iter
    logs = tmp_path / '20261201_000000' / 'vis_data'
    logs.mkdir(parents=True)
    rows = [dict(sasl_soft_labels=4.0, sasl_soft_on_removed=1.0, sasl_removed_negatives=8.0, loss=1.0,
                 time=1.5),
            dict(sasl_soft_labels=2.0, sasl_soft_on_removed=2.0, sasl_removed_negatives=4.0, loss=0.5,
                 time=0.5),
            {'coco/bbox_mAP': 0.2, 'step': 40, 'time': 9.0}]
    (logs / 'scalars.json').write_text(''.join(json.dumps(r) + '\n' for r in rows) + '{"sasl_soft_lab')
    means = log_means(str(tmp_path), ('sasl_', 'brl_'))
    assert means == dict(sasl_soft_labels=3.0, sasl_soft_on_removed=1.5, sasl_removed_negatives=6.0)
    assert log_means(str(tmp_path / 'nothing'), ('sasl_',)) == {}
    assert seconds_per_iter(str(tmp_path)) == 1.0  # training lines only, not the validation's time
    assert seconds_per_iter(str(tmp_path / 'nothing')) is None
    sasl = dict(method='sasl-t0.8', fraction=0.5, seed=0,
                metrics={'coco/bbox_mAP': 0.2, **{f'train/{k}': v for k, v in means.items()}})
    brl = dict(method='brl', fraction=0.0, seed=1, metrics={'train/brl_confusion': 61000.4,
                                                           'train/seconds_per_iter': 1.2,
                                                           'train/brl_recalibrated': 2.25})
    baseline = dict(method='baseline', fraction=0.5, seed=0, metrics={'coco/bbox_mAP': 0.2,
                                                                     'train/seconds_per_iter': 1.2})
    text = rule_report([sasl, brl, baseline])
    assert '| sasl-t0.8 | 50% | 0 | 3.0 | 0.500 | 0.250 | — | — | — | — | — | — |' in text  # 1.5 / 3, 1.5 / 6
    assert '| brl | 0% | 1 | — | — | — | 61000 | 2.2 | — | — | — | — |' in text and '| baseline |' not in text
    self_training = dict(method='self-training', fraction=0.5, seed=2, metrics={
        'train/selftrain_pseudo_labels': 8.0, 'train/selftrain_pseudo_on_removed': 6.0,
        'train/selftrain_pseudo_right_class': 4.5, 'train/selftrain_removed': 12.0,
        'train/selftrain_removed_found': 3.0})
    row = '| self-training | 50% | 2 | — | — | — | — | — | 8.0 | 0.750 | 0.250 | 0.750 |'  # 4.5 / 6
    assert row in rule_report([self_training])
    assert rule_report([baseline]) == ''

"""Table 1 collection: finished runs only, mean ± std over seeds, missing runs listed, the paper's apart."""
import glob
import json
import os
import os.path as osp
import statistics

import pytest
from helpers import REPO, run_in_process, run_tool

from qmat.experiments import METHODS, STUDY_METHODS, TABLE1_METHODS
from qmat.experiments.report import format_cell, mean_std
from qmat.experiments.runs import finished, last_metrics
from qmat.experiments.table1 import PAPER, collect, markdown, run_dir


def fake_run(work, iters, metrics, stamp='20260101_000000', extra_lines=()):
    """A work dir as mmengine leaves it: last_checkpoint and the validation metrics in scalars.json."""
    os.makedirs(osp.join(work, stamp, 'vis_data'))
    with open(osp.join(work, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(work, f'iter_{iters}.pth'))
    with open(osp.join(work, stamp, 'vis_data', 'scalars.json'), 'w') as f:
        f.write(json.dumps({'loss': 1.0, 'step': 1}) + '\n')
        f.write(json.dumps(dict(metrics, step=iters)) + '\n')
        for line in extra_lines:
            f.write(line + '\n')


def metrics(value):
    keys = ('bbox_mAP', 'bbox_mAP_50', 'bbox_mAP_75', 'segm_mAP', 'segm_mAP_50', 'segm_mAP_75')
    return {f'coco/{k}': value + i / 100 for i, k in enumerate(keys)}


def test_mean_std_and_cells():
    stats = mean_std([0.70, 0.72, 0.74])
    assert stats['mean'] == pytest.approx(0.72) and stats['std'] == pytest.approx(0.02) and stats['n'] == 3
    assert mean_std([0.5])['std'] == 0.0 and statistics.stdev([0.1, 0.4]) == pytest.approx(mean_std([0.1,
                    0.4])['std'])
    assert format_cell(stats) == '72.0 ± 2.0'
    assert format_cell(mean_std([0.5])) == '50.0' and format_cell(None) == '—'


def test_only_finished_runs_with_metrics_count(tmp_path):
    work = str(tmp_path / 'run')
    fake_run(work, 10000, metrics(0.5), extra_lines=['{"coco/bbox_mAP": 0.9, "cut off'])  # a crash mid-line
    assert finished(work, 10000) and not finished(work, 20000)
    assert last_metrics(work)['coco/bbox_mAP'] == 0.5


def test_collect_averages_seeds_and_lists_what_is_missing(tmp_path):
    root = str(tmp_path)
    fake_run(run_dir(root, 'graphene', 'baseline', 0), 10000, metrics(0.60))
    fake_run(run_dir(root, 'graphene', 'baseline', 1), 10000, metrics(0.64))
    fake_run(run_dir(root, 'graphene', 'sasl-t0.8', 0), 5000, metrics(0.99))  # stopped half-way: not counted
    table = collect(REPO, root, ['graphene'], ['baseline', 'sasl-t0.8'], seeds=[0, 1])
    baseline, sasl = table['rows']
    assert baseline['seeds'] == [0, 1] and sasl['seeds'] == []
    assert baseline['columns']['coco/bbox_mAP']['mean'] == pytest.approx(0.62)
    assert baseline['columns']['coco/bbox_mAP']['std'] == pytest.approx(0.02 * 2 ** 0.5)
    assert len(table['missing']) == 2 and all('sasl-t0.8' in m for m in table['missing'])
    text = markdown(table)
    assert '| Graphene | Baseline | 0,1 | 63.0 ± 2.8 (86.3) |' in text  # bbox AP50 = 0.61/0.65, paper's 86.3
    assert '| Graphene | SASL (t = 0.8) | — | — (87.8) |' in text
    assert 'Missing runs (2):' in text
    assert '(86.3)' not in markdown(table, with_paper=False)


def test_every_paper_number_belongs_to_a_known_method():
    assert {method for _, method in PAPER} <= set(TABLE1_METHODS)
    for method in TABLE1_METHODS:  # the paper-scale config of every row, for every material
        for material in ('graphene', 'hbn', 'mos2', 'wte2'):
            assert osp.isfile(osp.join(REPO, METHODS[method].paper.format(material=material)))
    assert all(len(v) == 6 for v in PAPER.values())


def test_cli_collects_and_writes_markdown_and_json(tmp_path):
    root = str(tmp_path / 'runs')
    fake_run(run_dir(root, 'wte2', 'brl', 0), 10000, metrics(0.55))
    out_md, out_json = str(tmp_path / 't.md'), str(tmp_path / 't.json')
    result = run_tool('tools/experiments/table1.py', '--work-root', root, '--materials', 'wte2',
                      '--methods', 'brl',
                      'sasl-t0.9', '--markdown', out_md, '--json', out_json)
    assert result.returncode == 0, result.stderr[-2000:]
    assert '| WTe2 | BRL | 0 | 56.0 (79.6) |' in result.stdout
    assert 'Missing runs (1):' in result.stdout and 'wte2 / sasl-t0.9 / seed 0' in result.stdout
    assert open(out_md).read().strip() == result.stdout.strip()
    table = json.load(open(out_json))
    assert table['rows'][0]['columns']['coco/bbox_mAP_50']['mean'] == pytest.approx(0.56)


def test_cli_run_reports_failed_trainings(tmp_path):
    result = run_tool('tools/experiments/table1.py', '--run', '--work-root', str(tmp_path / 'runs'),
                      '--materials', 'hbn',
                      '--methods', 'ohem', '--data-root-pattern', str(tmp_path / 'nowhere' / '{material}'))
    assert result.returncode == 1
    assert 'training hbn / ohem / seed 0' in result.stdout and '--data-root' in result.stderr
    assert '1 run(s) failed: hbn / ohem / seed 0' in result.stderr
    assert 'Missing runs (1):' in result.stdout  # the table still prints, without the failed run


def test_cpu_scale_is_a_study_per_material_with_its_own_data_and_records(tmp_path):
    from qmat.experiments import Study, prepare_data
    from qmat.experiments.table1 import synthetic_study
    study = synthetic_study('mos2', ['baseline', 'sasl-t0.9'], [0, 2], str(tmp_path / 'work'),
                            str(tmp_path / 'data' / '{material}'), str(tmp_path / 'records'))
    assert study.data == str(tmp_path / 'data' / 'mos2') and study.fractions == (0.3,)
    assert study.seeds == (0, 2) and study.configs == STUDY_METHODS
    assert study.record_path('sasl-t0.9', 0.3, 2) == str(tmp_path / 'records' / 'mos2' /
                                                         'sasl-t0.9_missing30_seed2.json')
    study.train, study.val = 3, 1
    prepare_data(study)
    complete = json.load(open(osp.join(study.data, 'annotations', 'instances_train2019.json')))
    assert complete['info']['scene']['material'] == 'mos2' and len(complete['images']) == 3
    missing = json.load(open(osp.join(study.data, 'annotations', 'instances_train2019_missing30_seed2.json')))
    removed = [a for a in missing['annotations'] if a['iscrowd']]  # kept as ignored
    assert len(removed) == round(0.3 * len(complete['annotations']))
    # another material is other data: its fingerprint differs, graphene's stays as the study's records have it
    config = osp.join(REPO, STUDY_METHODS['baseline'])
    graphene = synthetic_study('graphene', ['baseline'], [0], 'w', 'd/{material}', 'r')
    assert study.fingerprint(config, {}) != graphene.fingerprint(config, {})
    assert graphene.fingerprint(config, {}) == Study().fingerprint(config, {})


def test_cpu_scale_has_every_method_and_the_literal_reading_at_each_threshold():
    from qmat.engine import load_config
    heads = {method: load_config(osp.join(REPO, METHODS[method].cpu)).model.rpn_head
             for method in TABLE1_METHODS}
    assert heads['baseline'].type == 'RPNHead'
    for t in (0.6, 0.8, 0.9):
        head = heads[f'sasl-t{t}']
        assert (head.type, head.threshold) == ('SASLRPNHead', t)
        assert head['keys'] == 'anchors' and head.background is False


@pytest.mark.slow
def test_cli_cpu_scale_trains_records_and_collects_without_paper_numbers(tmp_path):
    root, data, records = str(tmp_path / 'runs'), str(tmp_path / 'data' / '{material}'), tmp_path / 'records'
    options = ['train_cfg.max_iters=2', 'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2',
               'train_dataloader.batch_size=2', 'val_dataloader.batch_size=2',
               'default_hooks.logger.interval=1']
    command = ['tools/experiments/table1.py', '--run', '--scale', 'cpu', '--work-root', root,
               '--data-root-pattern', data,
               '--results', str(records), '--materials', 'hbn', '--methods', 'baseline', 'sasl-t0.9',
               '--jobs', '2', '--docs', str(tmp_path / 'bench.md'), '--cfg-options', *options]
    result = run_tool(*command)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.stdout.count('[study] training') == 2 and result.stdout.count('[study] evaluating') == 2
    assert '| hBN | Baseline | 0 |' in result.stdout and '| hBN | SASL (t = 0.9) | 0 |' in result.stdout
    assert '(' not in result.stdout.split('| hBN | Baseline')[1].splitlines()[0]  # no paper numbers here
    assert 'Missing runs' not in result.stdout
    docs = (tmp_path / 'bench.md').read_text()
    assert '## Table 1 at CPU scale' in docs and '| hBN | Baseline | 0 |' in docs.split('table1-cpu:start')[1]
    record = json.load(open(records / 'hbn' / 'sasl-t0.9_missing30_seed0.json'))
    assert record['material'] == 'hbn' and record['config'].endswith('sasl-t0.9_250i_synthetic.py')
    bbox_ap50 = format_cell(mean_std([record['metrics']['coco/bbox_mAP_50']]))
    assert f'| hBN | SASL (t = 0.9) | 0 | {bbox_ap50} |' in result.stdout
    logs = glob.glob(osp.join(root, 'hbn', 'sasl-t0.9', 'missing30', 'seed0', '2*', 'vis_data', 'scalars*'))
    # trained on the 30 %-missing file, the removed flakes kept as ignored: SASL-RPN counts them
    assert 'sasl_removed_negatives' in open(logs[0]).read()
    again = run_tool(*command)  # the records make the table: nothing is trained or evaluated twice
    assert again.returncode == 0 and '[study] training' not in again.stdout
    assert '[study] evaluating' not in again.stdout and '| hBN | Baseline | 0 |' in again.stdout


def test_cli_rejects_impossible_jobs_in_one_line():
    result = run_in_process('tools/experiments/table1.py', '--scale', 'cpu', '--jobs', '0')
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == ['error: --jobs must be >= 1, got 0']

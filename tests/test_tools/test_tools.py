"""tools/ as a user runs them: train, test, resume, torchrun DDP on CPU, and one-line errors."""
import json
import os
import os.path as osp
import random

import pytest
import torch
from conftest import SYNTHETIC_CONFIG, tiny_run_config, tiny_run_options
from helpers import (
    REPO,
    RunsCode,
    assert_ok,
    assert_one_line_error,
    loads_without_qmat,
    run_in_process,
    run_tool,
)


@pytest.mark.slow
def test_train_then_test_reports_bbox_and_segm_map(synthetic_root, tmp_path):
    work = str(tmp_path / 'train')
    assert_ok(run_tool('tools/train.py', SYNTHETIC_CONFIG, '--work-dir', work,
                       *tiny_run_options(synthetic_root, max_iters=4)))
    checkpoint = osp.join(work, 'iter_4.pth')
    assert osp.isfile(checkpoint)
    assert loads_without_qmat(checkpoint)

    out = str(tmp_path / 'test')
    result = run_tool('tools/test.py', SYNTHETIC_CONFIG, checkpoint, '--work-dir', out, '--out',
                      osp.join(out, 'predictions.pkl'), '--show-dir', 'pictures',
                      *tiny_run_options(synthetic_root, max_iters=4))
    assert_ok(result)
    for key in ('coco/bbox_mAP', 'coco/bbox_mAP_50', 'coco/segm_mAP', 'coco/segm_mAP_75'):
        assert key in result.stdout + result.stderr
    assert osp.isfile(osp.join(out, 'predictions.pkl'))
    pictures = [f for _, _, files in os.walk(out) for f in files if f.endswith(('.png', '.jpg'))]
    assert len(pictures) == 4  # one per validation image


@pytest.mark.slow
def test_resume_continues_iterations_optimizer_and_weights(synthetic_root, tmp_path):
    from mmengine.runner import Runner

    work = str(tmp_path / 'work')
    assert_ok(run_tool('tools/train.py', SYNTHETIC_CONFIG, '--work-dir', work,
                       *tiny_run_options(synthetic_root, max_iters=2)))
    first = osp.join(work, 'iter_2.pth')
    saved = torch.load(first, weights_only=True)
    assert saved['meta']['iter'] == 2

    # the resumed runner starts exactly where the checkpoint left off
    cfg = tiny_run_config(synthetic_root, max_iters=4)
    cfg.work_dir, cfg.resume, cfg.load_from = str(tmp_path / 'inspect'), True, first
    cfg.train_cfg.max_iters = 4
    runner = Runner.from_cfg(cfg)
    runner.load_or_resume()
    assert runner.iter == 2
    for name, value in runner.model.state_dict().items():
        assert torch.equal(value, saved['state_dict'][name]), name
    state = runner.optim_wrapper.state_dict()['state']
    assert len(state) == len(saved['optimizer']['state']) > 0
    for key, param_state in saved['optimizer']['state'].items():
        assert torch.equal(state[key]['momentum_buffer'], param_state['momentum_buffer'])
    assert len(runner.message_hub.get_scalar('train/loss').data[0]) == 2

    # and the command-line resume trains on to iteration 4
    result = run_tool('tools/train.py', SYNTHETIC_CONFIG, '--work-dir', work, '--resume', first,
                      *tiny_run_options(synthetic_root, max_iters=4))
    assert_ok(result)
    assert 'resumed epoch: 0, iter: 2' in result.stdout + result.stderr
    final = torch.load(osp.join(work, 'iter_4.pth'), weights_only=True)
    assert final['meta']['iter'] == 4
    history = final['message_hub']['log_scalars']['train/loss']
    assert len(history['log']) == 4
    assert history['log'][:2] == saved['message_hub']['log_scalars']['train/loss']['log']
    assert any(not torch.equal(final['state_dict'][k], saved['state_dict'][k]) for k in saved['state_dict'])
    assert any(not torch.equal(final['optimizer']['state'][k]['momentum_buffer'], v['momentum_buffer'])
               for k, v in saved['optimizer']['state'].items())


@pytest.mark.slow
def test_dist_train_and_test_two_processes_on_cpu(synthetic_root, tmp_path):
    if torch.cuda.is_available():
        pytest.skip('checks the gloo path for machines without a GPU')
    work = str(tmp_path / 'ddp')
    result = run_tool('tools/dist_train.sh', SYNTHETIC_CONFIG, '2', '--work-dir', work,
                      *tiny_run_options(synthetic_root, max_iters=2),
                      env={'PORT': str(random.randint(20000, 40000))})
    assert_ok(result)
    log = result.stdout + result.stderr
    assert 'Distributed training: True' in log and 'GPU number: 2' in log  # mmengine's words for world size
    assert "dist_cfg: {'backend': 'gloo'}" in log
    checkpoint = torch.load(osp.join(work, 'iter_2.pth'), weights_only=True)
    assert checkpoint['meta']['iter'] == 2
    options = tiny_run_options(synthetic_root, max_iters=2)
    result = run_tool('tools/dist_test.sh', SYNTHETIC_CONFIG, osp.join(work, 'iter_2.pth'), '2', '--work-dir',
                      str(tmp_path / 'ddp_test'), *options, env={'PORT': str(random.randint(20000, 40000))})
    assert_ok(result)
    assert 'coco/bbox_mAP' in result.stdout + result.stderr


def test_missing_config_is_one_line(tmp_path):
    assert_one_line_error(run_tool('tools/train.py', str(tmp_path / 'no_such_config.py')),
                          'no_such_config.py', 'does not exist')


def test_data_root_without_annotations_is_one_line(tmp_path):
    result = run_in_process('tools/train.py', SYNTHETIC_CONFIG, '--work-dir', str(tmp_path / 'w'),
                            *tiny_run_options(str(tmp_path), max_iters=1))
    assert_one_line_error(result, osp.join(str(tmp_path), 'annotations', 'instances_train2019.json'))


def test_annotation_file_that_does_not_parse_is_one_line(synthetic_root, tmp_path):
    root = tmp_path / 'broken'
    (root / 'annotations').mkdir(parents=True)
    (root / 'train2019').mkdir()
    (root / 'annotations' / 'instances_train2019.json').write_text('{"images": [1, 2')
    result = run_in_process('tools/train.py', SYNTHETIC_CONFIG, '--work-dir', str(tmp_path / 'w'),
                            *tiny_run_options(str(root), max_iters=1))
    assert_one_line_error(result, 'instances_train2019.json', 'not valid JSON')


def test_unsafe_checkpoint_is_refused_by_test_py(synthetic_root, tmp_path):
    marker = str(tmp_path / 'was_executed')
    checkpoint = str(tmp_path / 'evil.pth')
    torch.save({'state_dict': {}, 'meta': {}, 'payload': RunsCode(marker)}, checkpoint)
    result = run_in_process('tools/test.py', SYNTHETIC_CONFIG, checkpoint, '--work-dir', str(tmp_path / 'w'),
                            *tiny_run_options(synthetic_root, max_iters=1))
    assert_one_line_error(result, 'refused to load checkpoint', 'evil.pth')
    assert not osp.exists(marker)


def test_missing_checkpoint_is_one_line(synthetic_root, tmp_path):
    result = run_in_process('tools/test.py', SYNTHETIC_CONFIG, str(tmp_path / 'none.pth'),
                            *tiny_run_options(synthetic_root, max_iters=1))
    assert_one_line_error(result, 'none.pth', 'does not exist')


def test_generate_synthetic_cli(tmp_path):
    result = run_tool('tools/data_tools/generate_synthetic.py', str(tmp_path / 'set'), '--train', '2',
                      '--val', '1', '--size', '64', '64')
    assert_ok(result)
    with open(tmp_path / 'set' / 'annotations' / 'instances_val2019.json') as f:
        assert len(json.load(f)['images']) == 1
    assert 'train:' in result.stdout and 'img/s' in result.stderr  # the progress bar
    result = run_in_process('tools/data_tools/generate_synthetic.py', str(tmp_path / 'bad'), '--size', '32',
                            '32', '--radius', '4', '20')
    assert_one_line_error(result, 'radius (4.0, 20.0) must be > 0 and fit')
    assert not os.path.exists(tmp_path / 'bad' / 'annotations')


@pytest.mark.slow
def test_sasl_model_trains_on_dropped_annotations_logs_and_audits_its_soft_labels(synthetic_root, tmp_path):
    config = SYNTHETIC_CONFIG.replace('_250i_', '_sasl-t0.8_250i_')
    audit_file = osp.join(str(tmp_path), 'train_audit.json')
    assert_ok(run_tool('tools/data_tools/drop_annotations.py',
                       osp.join(synthetic_root, 'annotations',
                       'instances_train2019.json'),
                       audit_file, '--fraction', '0.5', '--policy', 'annotator', '--keep-as-ignored'))
    work = str(tmp_path / 'sasl')
    options = tiny_run_options(synthetic_root, max_iters=3)
    result = run_tool('tools/train.py', config, '--work-dir', work, *options,
                      f'train_dataloader.dataset.ann_file={audit_file}')
    assert_ok(result)
    log = result.stdout + result.stderr
    # the firing statistics, per iteration, and their truth on the removed flakes
    for key in ('sasl_soft_labels:', 'sasl_max_attention:', 'sasl_removed_negatives:',
                'sasl_soft_on_removed:'):
        assert key in log, key
    checkpoint = osp.join(work, 'iter_3.pth')
    result = run_tool('tools/test.py', config, checkpoint, '--work-dir', str(tmp_path / 't'), *options)
    assert_ok(result)
    log = result.stdout + result.stderr
    assert 'coco/bbox_mAP' in log and 'coco/segm_mAP' in log

    out = str(tmp_path / 'audit.json')
    result = run_tool('tools/analysis_tools/audit_soft_labels.py', config, checkpoint, '--train-ann',
                      audit_file, '--data-root', synthetic_root, '--temperatures', '1', '0.1', '--thresholds',
                      '0.5', '0.9', '--out', out)
    assert_ok(result)
    audit = json.load(open(out))
    assert audit['images'] > 0 and 0 < audit['removed_negatives'] < audit['negatives']
    assert len(audit['rows']) == (2 * 2 * 2 * 2 + 1) * 2  # 16 attention rules and the objectness, 2 t
    assert '| anchors | no | image | 1 | 0.5 |' in result.stdout
    assert '| objectness p | - | - | - | 0.9 |' in result.stdout
    for row in audit['rows']:
        assert 0 <= row['recall'] <= 1
        assert row['precision'] is None or 0 <= row['precision'] <= 1  # null (NaN): nothing fired

    out = str(tmp_path / 'exposure.json')
    result = run_tool('tools/analysis_tools/negatives_on_removed.py', config, checkpoint, '--train-ann',
                      audit_file, '--data-root', synthetic_root, '--out', out)
    assert_ok(result)
    exposure = json.load(open(out))
    for stage, name in (('rpn', 'RPN (anchors)'), ('rcnn', 'R-CNN (proposals)')):
        row = exposure[stage]
        assert row['images'] > 0 and 0 <= row['on_removed'] <= row['negatives']
        assert f'| {name} | {row["negatives"]} | {row["on_removed"]} |' in result.stdout


def test_audit_needs_ignored_instances(synthetic_root, tmp_path):
    from mmdet.registry import MODELS

    from qmat.engine import load_config
    config = SYNTHETIC_CONFIG.replace('_250i_', '_sasl-t0.8_250i_')
    checkpoint = str(tmp_path / 'random.pth')
    torch.save({'state_dict': MODELS.build(load_config(config).model).state_dict(), 'meta': {}}, checkpoint)
    result = run_in_process('tools/analysis_tools/audit_soft_labels.py', config, checkpoint, '--data-root',
                            synthetic_root, '--train-ann', 'annotations/instances_train2019.json')
    assert_one_line_error(result, 'no batch carried ignored (removed) instances', '--keep-as-ignored')


def test_negatives_on_removed_needs_ignored_instances(synthetic_root, random_checkpoint):
    result = run_in_process('tools/analysis_tools/negatives_on_removed.py', SYNTHETIC_CONFIG,
                            random_checkpoint, '--data-root', synthetic_root, '--train-ann',
                            'annotations/instances_train2019.json', '--cfg-options',
                            'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False')
    assert_one_line_error(result, 'no image carried ignored (removed) instances', '--keep-as-ignored')


def test_rpn_objectness_tool_prints_each_level_and_writes_json(synthetic_root, random_checkpoint, tmp_path):
    from qmat.datasets.missing import write_dropped
    ann = str(tmp_path / 'dropped.json')
    write_dropped(osp.join(synthetic_root, 'annotations', 'instances_train2019.json'), ann, 0.5, 'annotator',
                  0, keep_as_ignored=True)
    out = str(tmp_path / 'objectness.json')
    result = run_in_process('tools/analysis_tools/rpn_objectness.py', SYNTHETIC_CONFIG, random_checkpoint,
                            '--data-root', synthetic_root, '--train-ann', ann, '--out', out, '--cfg-options',
                            'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False')
    assert_ok(result)
    written = json.load(open(out))
    assert written['images'] == 8 and [row['stride'] for row in written['levels']] == [4, 8, 16, 32, 64]
    for row in written['levels']:
        cells = f'| {row["stride"]} | {row["dead_channels"]:.0%} | {row["annotated_anchors"]} |'
        assert cells in result.stdout

    complete = 'annotations/instances_train2019.json'
    result = run_in_process('tools/analysis_tools/rpn_objectness.py', SYNTHETIC_CONFIG, random_checkpoint,
                            '--data-root', synthetic_root, '--train-ann', complete, '--cfg-options',
                            'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False')
    assert_one_line_error(result, 'no anchor lies on an ignored (removed) flake', '--keep-as-ignored')


def test_head_start_tool_prints_each_seed_and_the_ratio_of_the_means():
    sasl = SYNTHETIC_CONFIG.replace('_250i_', '_sasl-t0.8_250i_')
    result = run_tool('tools/analysis_tools/head_start.py', SYNTHETIC_CONFIG, sasl, '--seeds', '0', '1',
                      '--size', '128', '128')
    assert_ok(result)
    rows = [[cell.strip() for cell in line.split('|')[1:-1]] for line in result.stdout.splitlines()
            if line.startswith('| ') and '---' not in line][1:]
    heads = [(seed, head) for seed, head, *_ in rows]
    per_seed = ('reference', 'candidate', 'candidate / reference')
    summary = ('all', 'mean candidate / mean reference')
    assert heads == [(seed, head) for seed in '01' for head in per_seed] + [summary]
    reference = [float(r[3]) for r in rows if r[1] == 'reference']
    candidate = [float(r[3]) for r in rows if r[1] == 'candidate']
    assert float(rows[-1][3]) == pytest.approx(sum(candidate) / sum(reference), abs=0.01)  # logit std
    assert_one_line_error(run_in_process('tools/analysis_tools/head_start.py', SYNTHETIC_CONFIG, sasl,
                                         '--batch', '0'), '--batch')


@pytest.mark.slow
def test_train_step_benchmark_prints_the_ratios_and_the_parts():
    sasl = SYNTHETIC_CONFIG.replace('_250i_', '_sasl-t0.8_250i_')
    # past its burn-in: the teacher predicts on every timed step (no pseudo-label from random weights)
    self_training = osp.join(REPO, 'configs', 'synthetic',
                             'mask-rcnn_r18_fpn_self-training-classes_5500i_paper-graphene.py')
    configs = [SYNTHETIC_CONFIG, sasl, self_training]
    result = run_tool('tools/analysis_tools/benchmark_train_step.py', '--configs', *configs, '--size', '96',
                      '96', '--input-scale', '96', '96', '--iters', '20', '--warmup', '1', '--batches', '2',
                      '--parts')
    assert_ok(result)
    tables = result.stdout.split('Forward passes')
    rows = [[cell.strip() for cell in line.split('|')] for line in tables[0].splitlines()
            if line.startswith('| ') and '.py' in line]
    assert [r[1] for r in rows] == configs
    # the parts: the student's everywhere, the teacher's only where there is one, and its mask head not
    # where pseudo-labels train no mask
    lines = [line for line in tables[1].splitlines() if line.startswith('| ')]
    header = [cell.strip() for cell in lines[0].split('|')[1:-1]]
    assert header == ['config', 'features', 'RPN', 'R-CNN', 'teacher: features', 'teacher: proposals',
                      'teacher: box head', 'rest']
    parts = {r[1]: r[2:-1] for r in ([c.strip() for c in line.split('|')] for line in lines[2:])}
    assert list(parts) == configs
    for config, cells in parts.items():
        teacher = config == self_training
        assert all((cell != '—') == (teacher or not name.startswith('teacher'))
                   for name, cell in zip(header[1:], cells))
        # no part nests in another, so the rest of each step, and its median, is not negative
        assert all(float(cell) >= 0 for cell in cells if cell != '—')
    base = float(rows[0][2])
    assert float(rows[0][5]) == 1.0
    for row in rows[1:]:
        median, ratio = float(row[2]), float(row[5])
        # the medians are printed to 3 decimals: the ratio recomputed from them is that far off at most
        rounding = 0.0005 * (1 / base + median / base ** 2) + 0.0005
        assert ratio == pytest.approx(median / base, abs=rounding)
    # the teacher's forward pass is a second detector's inference on each step
    assert float(rows[2][2]) > base
    assert_one_line_error(run_in_process('tools/analysis_tools/benchmark_train_step.py', '--iters', '5'),
                          'at least 20')
    assert_one_line_error(run_in_process('tools/analysis_tools/benchmark_train_step.py', '--configs', sasl,
                                         sasl), 'each once')
    assert_one_line_error(run_in_process('tools/analysis_tools/benchmark_train_step.py', '--train-ann',
                                         'annotations/x.json'), '--data-root')


def test_inference_benchmark_prints_a_row_per_config():
    result = run_tool('tools/analysis_tools/benchmark_inference.py', '--configs', SYNTHETIC_CONFIG,
                      '--images', '1', '--size', '128', '160')
    assert_ok(result)
    rows = [line for line in result.stdout.splitlines() if line.startswith(f'| {SYNTHETIC_CONFIG} |')]
    assert len(rows) == 1 and '| untrained |' in rows[0]
    assert float(rows[0].split('|')[3]) > 0
    result = run_in_process('tools/analysis_tools/benchmark_inference.py', '--configs', SYNTHETIC_CONFIG,
                            '--checkpoints', 'a.pth', 'b.pth')
    assert_one_line_error(result, '--checkpoints: give one per config')


def test_hunt_benchmark_prints_a_row_per_mode(random_checkpoint):
    result = run_tool('tools/analysis_tools/benchmark_hunt.py', SYNTHETIC_CONFIG, random_checkpoint,
                      '--images', '1', '--size', '128', '160', '--modes', 'whole', '96:32',
                      '--score-thr', '0')
    assert_ok(result)
    rows = [line.split('|') for line in result.stdout.splitlines() if line.startswith(('| whole', '| tiles'))]
    assert [r[1].strip() for r in rows] == ['whole image', 'tiles 96 px, overlap 32']
    for row in rows:
        median, rate, flakes = (float(v) for v in row[2:5])
        assert median > 0 and rate > 0 and flakes > 0  # score >= 0: an untrained model keeps its detections
    result = run_in_process('tools/analysis_tools/benchmark_hunt.py', SYNTHETIC_CONFIG, random_checkpoint,
                            '--modes', '64:64')
    assert_one_line_error(result, '--modes: tiling needs 0 <= overlap < tile')


def test_missing_study_rejects_impossible_jobs(tmp_path):
    result = run_in_process('tools/experiments/missing_study.py', '--jobs', '0', '--data',
                            str(tmp_path / 'data'))
    assert_one_line_error(result, '--jobs must be >= 1')
    assert not os.path.exists(tmp_path / 'data')  # checked before anything is generated


def test_a_checkpoint_of_another_model_is_refused_before_testing(synthetic_root, random_checkpoint, tmp_path):
    sasl = SYNTHETIC_CONFIG.replace('_250i_', '_sasl-t0.8_250i_')
    result = run_in_process('tools/test.py', sasl, random_checkpoint, '--work-dir', str(tmp_path / 'w'),
                            *tiny_run_options(synthetic_root, max_iters=1))
    assert_one_line_error(result, 'does not fit the config\'s model', 'missing (e.g. rpn_head.rpn_embed')


def test_resume_with_nothing_to_resume_is_one_line(synthetic_root, tmp_path):
    result = run_in_process('tools/train.py', SYNTHETIC_CONFIG, '--work-dir', str(tmp_path / 'empty'),
                            '--resume', *tiny_run_options(synthetic_root, max_iters=1))
    assert_one_line_error(result, 'has no checkpoint to resume from', '--resume-if-any')


def test_cfg_option_typos_are_one_line_before_training(synthetic_root, tmp_path):
    work = tmp_path / 'w'
    result = run_in_process('tools/train.py', SYNTHETIC_CONFIG, '--work-dir', str(work), '--data-root',
                            synthetic_root, '--cfg-options', 'trian_cfg.max_iters=4')
    assert_one_line_error(result, 'trian_cfg', 'did you mean train_cfg?')
    result = run_in_process('tools/train.py', SYNTHETIC_CONFIG, '--cfg-options', 'foo')
    assert_one_line_error(result, '--cfg-options foo: expected key=value')
    assert not work.exists()


@pytest.mark.slow
def test_training_checks_the_data_first_and_can_leave_out_what_is_broken(synthetic_root, tmp_path):
    import hashlib
    import shutil
    root = tmp_path / 'set'
    shutil.copytree(synthetic_root, root)
    ann_file = root / 'annotations' / 'instances_train2019.json'
    coco = json.loads(ann_file.read_text())
    coco['annotations'][0]['bbox'] = [1.0, 1.0, -4.0, 3.0]  # a negative width
    (root / 'train2019' / coco['images'][1]['file_name']).write_bytes(b'')  # a zero-byte image
    ann_file.write_text(json.dumps(coco))
    digest = hashlib.sha256(ann_file.read_bytes()).hexdigest()
    options = tiny_run_options(str(root), max_iters=1)
    refused = run_in_process('tools/train.py', SYNTHETIC_CONFIG, '--work-dir', str(tmp_path / 'w'), *options)
    assert_one_line_error(refused, f'annotation {coco["annotations"][0]["id"]}: degenerate box',
                          '2 problem(s) in train', '--skip-invalid')
    result = run_tool('tools/train.py', SYNTHETIC_CONFIG, '--work-dir', str(tmp_path / 'w'), '--skip-invalid',
                      *options)
    assert_ok(result)
    valid = json.loads((tmp_path / 'w' / 'valid_train_instances_train2019.json').read_text())
    assert len(valid['images']) == len(coco['images']) - 1
    dropped = {coco['annotations'][0]['id']} | {a['id'] for a in coco['annotations']
                                                if a['image_id'] == coco['images'][1]['id']}
    assert {a['id'] for a in valid['annotations']} == {a['id'] for a in coco['annotations']} - dropped
    assert hashlib.sha256(ann_file.read_bytes()).hexdigest() == digest  # the input is untouched


@pytest.mark.parametrize('option,message', [('model.rpn_head.threshold=1.5', 'threshold must be in (0, 1]'),
                                            ('model.rpn_head.temperature=-1', 'temperature must be > 0'),
                                            ('model.rpn_head.embed_dims=0', 'embed_dims must be a positive')])
def test_impossible_head_arguments_are_one_line(synthetic_root, tmp_path, option, message):
    sasl = SYNTHETIC_CONFIG.replace('_250i_', '_sasl-t0.8_250i_')
    result = run_in_process('tools/train.py', sasl, '--work-dir', str(tmp_path / 'w'), '--data-root',
                            synthetic_root, '--cfg-options', option)
    assert_one_line_error(result, 'the config could not be built', f'SASLRPNHead.{message}')


def test_generate_synthetic_presets_and_overrides(tmp_path):
    result = run_in_process('tools/data_tools/generate_synthetic.py', str(tmp_path / 'real'), '--preset',
                            'real-2k', '--train', '1', '--val', '0', '--size', '135', '240', '--workers', '1')
    assert_ok(result)
    with open(tmp_path / 'real' / 'annotations' / 'instances_train2019.json') as f:
        coco = json.load(f)
    scene = coco['info']['scene']
    assert scene['torn_prob'] == 0.7 and scene['image_size'] == [135, 240] and scene['radius'] == [4.0, 24.3]
    assert len(scene['materials']) == 4
    result = run_in_process('tools/data_tools/generate_synthetic.py', str(tmp_path / 'hbn'), '--preset',
                            'real-2k', '--material', 'hbn', '--sio2', '90', '--train', '1', '--val', '0',
                            '--size', '64', '64')
    assert_ok(result)
    with open(tmp_path / 'hbn' / 'annotations' / 'instances_train2019.json') as f:
        scene = json.load(f)['info']['scene']
    assert (scene['material'], scene['materials'], scene['sio2_choices']) == ('hbn', [], [])


def test_compare_micrographs(tmp_path):
    import cv2
    import numpy as np
    for name, colour in (('violet', (211, 81, 135)), ('grey', (154, 159, 156))):
        (tmp_path / name).mkdir()
        for i in range(3):
            image = np.full((90, 160, 3), colour, np.uint8)
            image[30:50, 40:70] = 250
            cv2.imwrite(str(tmp_path / name / f'{i}.png'), image)
    picture = tmp_path / 'side_by_side.jpg'
    result = run_in_process('tools/analysis_tools/compare_micrographs.py', f'real={tmp_path / "violet"}',
                            f'synthetic={tmp_path / "grey"}', '--reference', 'synthetic', '--picture',
                            str(picture),
                            '--per-row', '2')
    assert_ok(result)
    assert '| real | 3 | 135 (135-135) | 81 (81-81) | 211 (211-211) |' in result.stdout
    assert result.stdout.count('0 of 3') == 1 and cv2.imread(str(picture)).shape == (2 * 216, 2 * 384, 3)
    result = run_in_process('tools/analysis_tools/compare_micrographs.py', f'real={tmp_path / "nowhere"}')
    assert_one_line_error(result, 'give NAME=FOLDER with an existing folder')


def test_roi_align_benchmark_prints_each_thread_count_and_compares_results(tmp_path):
    small = ('--rois', '16', '--channels', '4', '--feature', '12', '16', '--repeats', '2')
    saved = str(tmp_path / 'roi_align.pt')
    result = run_in_process('tools/analysis_tools/benchmark_roi_align.py', *small, '--threads', '1', '2',
                            '--save', saved)
    assert_ok(result)
    rows = [line.split('|') for line in result.stdout.splitlines() if line.startswith(('| 1 ', '| 2 '))]
    assert [r[1].strip() for r in rows] == ['1', '2'] and rows[0][5].strip() == '1.00x'
    assert 'equal' in run_in_process('tools/analysis_tools/benchmark_roi_align.py', *small, '--compare',
                                     saved).stdout
    differ = run_in_process('tools/analysis_tools/benchmark_roi_align.py', *small, '--seed', '1', '--compare',
                            saved)
    assert differ.returncode == 1 and 'DIFFER' in differ.stdout
    (tmp_path / 'bad.pt').write_text('not a tensor file')
    assert_one_line_error(run_in_process('tools/analysis_tools/benchmark_roi_align.py', *small, '--compare',
                                         str(tmp_path / 'bad.pt')), '--compare')

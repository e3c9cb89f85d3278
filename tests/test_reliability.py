"""The input contract, fuzzed: broken datasets, checkpoints and options of every known kind, alone and in
random mixes, given to validate, train, test and hunt. Each must end in one clear line and a non-zero exit,
and no input file may change (checksums before and after). A new tool is held to the same contract by
adding it here."""
import hashlib
import json
import math
import random
import shutil

import cv2
import numpy as np
import pytest
import torch
from conftest import SYNTHETIC_CONFIG
from helpers import assert_one_line_error, run_in_process


def checksums(root):
    files = (p for p in sorted(root.rglob('*')) if p.is_file())
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def _image(coco, k):
    return coco['images'][k]


def _free_annotation(coco, k):
    """An annotation of an image that the image breakers (which take the first images) leave alone."""
    taken = {img['id'] for img in coco['images'][:3]}
    return [a for a in coco['annotations'] if a['image_id'] not in taken][k]


def negative_width(coco, root):
    _free_annotation(coco, 0)['bbox'][2] = -4.0


def nan_box(coco, root):
    _free_annotation(coco, 1)['bbox'][0] = math.nan


def two_point_polygon(coco, root):
    _free_annotation(coco, 2)['segmentation'] = [[1.0, 1.0, 5.0, 5.0]]


def missing_image_id(coco, root):
    _free_annotation(coco, 3)['image_id'] = 10 ** 6


def unknown_category(coco, root):
    _free_annotation(coco, 4)['category_id'] = 99


def duplicate_image_id(coco, root):
    _image(coco, 0)['id'] = _image(coco, 1)['id']


def huge_declared_size(coco, root):
    _image(coco, 2).update(width=100000, height=80000)


def zero_byte_image(coco, root):
    (root / 'train2019' / _image(coco, 1)['file_name']).write_bytes(b'')


def text_image(coco, root):
    (root / 'train2019' / _image(coco, 2)['file_name']).write_text('not an image')


def truncated_jpeg(coco, root):
    noise = np.random.default_rng(0).integers(0, 255, (128, 128, 3), np.uint8)
    data = cv2.imencode('.jpg', noise)[1].tobytes()
    (root / 'train2019' / 'cut.jpg').write_bytes(data[:len(data) // 3])
    _image(coco, 0)['file_name'] = 'cut.jpg'


def garbage_rle(coco, root):
    _free_annotation(coco, 5)['segmentation'] = dict(size=[128, 128], counts='@@@garbage' * 30)


def strings_as_box(coco, root):
    _free_annotation(coco, 6)['bbox'] = ['1', '2', '3', '4']


def number_as_annotation(coco, root):
    coco['annotations'].append(7)


def string_width(coco, root):
    _image(coco, 1)['width'] = str(_image(coco, 1)['width'])


def empty_set(coco, root):
    coco['images'], coco['annotations'] = [], []


BREAKERS = [negative_width, nan_box, two_point_polygon, missing_image_id, unknown_category,
            duplicate_image_id, huge_declared_size, zero_byte_image, text_image, truncated_jpeg, garbage_rle,
            strings_as_box, number_as_annotation, string_width, empty_set]
MIXES = [random.Random(seed).sample(BREAKERS[:-1], 3) for seed in range(4)]  # the empty set mixes with none


@pytest.fixture()
def broken(synthetic_root, tmp_path):
    def make(breakers):
        root = tmp_path / 'set'
        shutil.copytree(synthetic_root, root)
        ann_file = root / 'annotations' / 'instances_train2019.json'
        coco = json.loads(ann_file.read_text())
        for breaker in breakers:
            breaker(coco, root)
        ann_file.write_text(json.dumps(coco))
        return root
    return make


NAMES = [b.__name__ for b in BREAKERS] + ['+'.join(b.__name__ for b in mix) for mix in MIXES]


@pytest.mark.parametrize('breakers', [[b] for b in BREAKERS] + MIXES, ids=NAMES)
def test_broken_datasets(broken, random_checkpoint, tmp_path, breakers):
    root = broken(breakers)
    before = checksums(root)
    validated = run_in_process('tools/data_tools/validate_dataset.py', str(root), '--split', 'train')
    assert validated.returncode == 1 and 'Traceback' not in validated.stderr, validated.stderr[-1000:]
    assert 'problem(s)' in validated.stdout and ': 0 problem(s)' not in validated.stdout
    options = ['--data-root', str(root), '--cfg-options', 'train_cfg.max_iters=1']
    train = run_in_process('tools/train.py', SYNTHETIC_CONFIG, '--work-dir', str(tmp_path / 'w'), *options)
    assert_one_line_error(train)
    ann_file = str(root / 'annotations' / 'instances_train2019.json')
    test_options = ['--data-root', str(root), '--cfg-options',
                    'test_dataloader.dataset.ann_file=annotations/instances_train2019.json',
                    'test_dataloader.dataset.data_prefix.img=train2019/',
                    f'test_evaluator.ann_file={ann_file}']
    assert_one_line_error(run_in_process('tools/test.py', SYNTHETIC_CONFIG, random_checkpoint, '--work-dir',
                                         str(tmp_path / 't'), *test_options))
    assert checksums(root) == before


def _another_model(path, tmp_path):
    from mmdet.registry import MODELS

    from qmat.engine import load_config
    sasl = load_config(SYNTHETIC_CONFIG.replace('_250i_', '_sasl-t0.8_250i_')).model
    torch.save({'state_dict': MODELS.build(sasl).state_dict()}, path)


def _write(content):
    def write(path, tmp_path):
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            torch.save(content, path)
    return write


def _truncated(path, tmp_path):
    torch.save({'state_dict': {'w': torch.zeros(1000)}}, path)
    path.write_bytes(path.read_bytes()[:300])


CHECKPOINTS = {'empty': _write(b''), 'truncated': _truncated, 'no_weights': _write({'meta': {}}),
               'empty_state_dict': _write({'state_dict': {}}), 'another_model': _another_model}


@pytest.mark.parametrize('kind', CHECKPOINTS)
def test_broken_checkpoints(kind, synthetic_root, tmp_path):
    checkpoint = tmp_path / 'model.pth'
    CHECKPOINTS[kind](checkpoint, tmp_path)
    image = tmp_path / 'chip.png'
    cv2.imwrite(str(image), np.full((64, 64, 3), 100, np.uint8))
    before = checksums(tmp_path)
    assert_one_line_error(run_in_process('tools/test.py', SYNTHETIC_CONFIG, str(checkpoint), '--work-dir',
                                         str(tmp_path / 'w'), '--data-root', synthetic_root))
    hunt = run_in_process('tools/hunting/hunt.py', SYNTHETIC_CONFIG, str(checkpoint), str(image), '--out',
                          str(tmp_path / 'hunt'))
    assert_one_line_error(hunt)
    assert {k: v for k, v in checksums(tmp_path).items() if '/w/' not in k} == before


@pytest.mark.parametrize('tool,arguments,message', [
    ('tools/train.py', ['--cfg-options', 'trian_cfg.max_iters=4'], 'did you mean train_cfg?'),
    ('tools/train.py', ['--cfg-options', 'train_cfg.max_iter=4'], 'did you mean train_cfg.max_iters?'),
    ('tools/train.py', ['--cfg-options', 'foo'], 'expected key=value'),
    ('tools/train.py', ['--resume'], 'has no checkpoint to resume from'),
    ('tools/hunting/hunt.py', ['CKPT', 'IMAGE', '--out', 'OUT', '--classes', 'monolayer'], 'are not classes'),
    ('tools/hunting/hunt.py', ['CKPT', 'IMAGE', '--out', 'OUT', '--microns-per-pixel', '-1'], 'must be > 0'),
    ('tools/hunting/hunt.py', ['CKPT', 'IMAGE', '--out', 'IMAGE'], 'is a file, not a folder'),
    ('tools/hunting/hunt.py', ['CKPT', 'IMAGE', '--out', 'OUT', '--device', 'cuda:7'], 'device cuda:7'),
])
def test_impossible_options(tool, arguments, message, synthetic_root, random_checkpoint, tmp_path):
    if 'cuda' in message and torch.cuda.is_available():
        pytest.skip('a machine with a GPU may have this one')
    image = tmp_path / 'chip.png'
    cv2.imwrite(str(image), np.full((64, 64, 3), 100, np.uint8))
    replace = {'CKPT': random_checkpoint, 'IMAGE': str(image), 'OUT': str(tmp_path / 'out')}
    arguments = [replace.get(a, a) for a in arguments]
    if tool == 'tools/train.py':
        arguments = ['--work-dir', str(tmp_path / 'w'), '--data-root', synthetic_root, *arguments]
    before = checksums(tmp_path)
    assert_one_line_error(run_in_process(tool, SYNTHETIC_CONFIG, *arguments), message)
    assert checksums(tmp_path) == before and not (tmp_path / 'out' / 'images').exists()


def test_a_config_key_that_no_module_takes_is_one_line(synthetic_root, tmp_path):
    sasl = SYNTHETIC_CONFIG.replace('_250i_', '_sasl-t0.8_250i_')
    config = tmp_path / 'typo.py'
    config.write_text(f"_base_ = '{sasl}'\nmodel = dict(rpn_head=dict(threshhold=0.5))\n")
    result = run_in_process('tools/train.py', str(config), '--work-dir', str(tmp_path / 'w'), '--data-root',
                            synthetic_root)
    assert_one_line_error(result, 'the config could not be built', "unexpected keyword argument 'threshhold'")


def test_a_set_of_boxes_only_is_refused_for_mask_training(broken, tmp_path):
    def boxes_only(coco, root):
        for ann in coco['annotations']:
            ann.pop('segmentation')
    root = broken([boxes_only])
    before = checksums(root)
    result = run_in_process('tools/train.py', SYNTHETIC_CONFIG, '--work-dir', str(tmp_path / 'w'),
                            '--data-root', str(root))
    assert_one_line_error(result, 'boxes only, no masks: the config trains masks')
    assert checksums(root) == before

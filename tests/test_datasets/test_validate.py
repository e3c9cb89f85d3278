"""The dataset validator finds each planted defect and names its file and id."""
import json
import os.path as osp
import shutil

import pytest
from helpers import run_tool

from qmat.datasets.validate import validate_coco


@pytest.fixture()
def broken_root(synthetic_root, tmp_path):
    """A copy of the synthetic set with one defect of each kind planted in the training split."""
    root = tmp_path / 'broken'
    shutil.copytree(synthetic_root, root)
    ann_file = root / 'annotations' / 'instances_train2019.json'
    coco = json.loads(ann_file.read_text())
    anns, images = coco['annotations'], coco['images']
    anns[0]['segmentation'] = []                                          # empty mask
    anns[1]['segmentation'] = [[1.0, 1.0, 5.0, 5.0]]                      # degenerate polygon
    anns[2]['bbox'] = [120.0, 120.0, 30.0, 30.0]                          # box outside a 128 px image
    anns[3]['id'] = anns[4]['id']                                         # duplicate id
    anns[5]['category_id'] = 7                                            # unknown category
    (root / 'train2019' / images[1]['file_name']).unlink()                # missing image file
    (root / 'train2019' / images[2]['file_name']).write_bytes(b'not a png')  # undecodable image
    ann_file.write_text(json.dumps(coco))
    return root, coco


def test_each_planted_defect_is_found(broken_root):
    root, coco = broken_root
    ann_file = str(root / 'annotations' / 'instances_train2019.json')
    problems = validate_coco(ann_file, str(root / 'train2019'), ('mono', 'few', 'thick'))
    text = [str(p) for p in problems]
    anns, images = coco['annotations'], coco['images']
    expected = [
        (ann_file, f'annotation {anns[0]["id"]}', 'empty mask'),
        (ann_file, f'annotation {anns[1]["id"]}', 'degenerate polygon'),
        (ann_file, f'annotation {anns[2]["id"]}', 'outside the 128 x 128 image'),
        (ann_file, f'annotation {anns[4]["id"]}', 'annotation id used 2 times'),
        (ann_file, f'annotation {anns[5]["id"]}', 'unknown category_id 7'),
        (str(root / 'train2019' / images[1]['file_name']), f'image {images[1]["id"]}', 'missing'),
        (str(root / 'train2019' / images[2]['file_name']), f'image {images[2]["id"]}', 'cannot be decoded'),
    ]
    for file, where, message in expected:
        assert any(p.file == file and p.where == where and message in p.message for p in problems), \
            (file, where, message, text)
    assert len(problems) == len(expected), text


def test_a_sound_set_has_no_problems(synthetic_root):
    for split in ('train', 'val'):
        assert validate_coco(osp.join(synthetic_root, 'annotations', f'instances_{split}2019.json'),
                             osp.join(synthetic_root, f'{split}2019'), ('mono', 'few', 'thick')) == []


def test_tool_exit_status(broken_root, synthetic_root):
    root, _ = broken_root
    bad = run_tool('tools/data_tools/validate_dataset.py', str(root))
    assert bad.returncode == 1 and 'instances_train2019.json: 7 problem(s)' in bad.stdout
    assert 'instances_val2019.json: 0 problem(s)' in bad.stdout
    good = run_tool('tools/data_tools/validate_dataset.py', synthetic_root)
    assert good.returncode == 0, good.stdout + good.stderr


def test_what_the_loader_would_choke_on(synthetic_root, tmp_path):
    """A truncated JPEG (what cv2.imread half-decodes and the loader's cv2.imdecode refuses), a zero-byte
    image, a garbage RLE, a NaN box, a bbox of strings, a non-object annotation, a width given as a
    string, list ids and a declared size that is not the file's: each found, and none of them crashes
    the validator."""
    import math

    import cv2
    import numpy as np
    root = tmp_path / 'set'
    shutil.copytree(synthetic_root, root)
    ann_file = root / 'annotations' / 'instances_train2019.json'
    coco = json.loads(ann_file.read_text())
    images, anns = coco['images'], coco['annotations']
    jpeg = cv2.imencode('.jpg', np.random.default_rng(0).integers(0, 255, (128, 128, 3), dtype=np.uint8))[1]
    (root / 'train2019' / 'cut.jpg').write_bytes(jpeg.tobytes()[:len(jpeg) // 3])
    images[0]['file_name'] = 'cut.jpg'
    (root / 'train2019' / images[1]['file_name']).write_bytes(b'')
    images[2]['width'] = '128'
    images[3]['height'] = 100000
    free = [a for a in anns if a['image_id'] not in {img['id'] for img in images[:4]}]
    free[0]['segmentation'] = dict(size=[128, 128], counts='garbage!!' * 20)
    free[1]['bbox'] = [1.0, 1.0, math.nan, 4.0]
    free[2]['bbox'] = ['1', '2', '3', '4']
    free[3]['image_id'] = [1]
    anns.append(7)
    ann_file.write_text(json.dumps(coco))  # Python's json writes the NaN, as a careless exporter might
    found = [str(p) for p in validate_coco(str(ann_file), str(root / 'train2019'))]
    expect = ['cut.jpg: image 1: image cannot be decoded',
              f'image {images[1]["id"]}: image cannot be decoded',
              f'image {images[2]["id"]}: width and height must be positive integers',
              f'image {images[3]["id"]}: image is 128 x 128, the json says 128 x 100000',
              f'annotation {free[0]["id"]}: ', f'annotation {free[1]["id"]}: bbox must be',
              f'annotation {free[2]["id"]}: bbox must be', f'annotation {free[3]["id"]}: image_id [1]',
              f'annotations[{len(anns) - 1}]: an annotation is an object']
    for fragment in expect:
        assert any(fragment in line for line in found), (fragment, found)
    garbage = next(line for line in found if f'annotation {free[0]["id"]}: ' in line)
    assert 'corrupt' in garbage or 'cannot be decoded' in garbage


def test_an_empty_set_is_a_problem(tmp_path):
    ann_file = tmp_path / 'empty.json'
    ann_file.write_text(json.dumps(dict(images=[], annotations=[], categories=[])))
    assert [p.message for p in validate_coco(str(ann_file))] == ['the file lists no images',
                                                                 'the file has no annotations']


def test_boxes_without_masks_for_a_mask_config(synthetic_root, tmp_path):
    ann_file = tmp_path / 'boxes.json'
    coco = json.load(open(osp.join(synthetic_root, 'annotations', 'instances_train2019.json')))
    del coco['annotations'][0]['segmentation']
    ann_file.write_text(json.dumps(coco))
    assert validate_coco(str(ann_file)) == []  # a box-only instance is fine for a box detector
    first = coco['annotations'][0]['id']
    assert [str(p) for p in validate_coco(str(ann_file), masks=True)] == [
        f'{ann_file}: annotation {first}: no segmentation (a box only); the config trains masks']
    for ann in coco['annotations']:
        ann.pop('segmentation', None)
    ann_file.write_text(json.dumps(coco))
    problems = validate_coco(str(ann_file), masks=True)
    assert len(problems) == 1 and problems[0].message.startswith('boxes only, no masks')

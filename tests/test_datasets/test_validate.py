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

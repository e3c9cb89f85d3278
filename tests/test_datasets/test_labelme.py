"""labelme -> COCO in the paper layout."""
import json
import os.path as osp

import cv2
import numpy as np
import pytest
from helpers import run_in_process

from qmat.datasets import FlakeDataset
from qmat.datasets.labelme import convert_labelme
from qmat.datasets.validate import validate_coco
from qmat.utils import UserInputError

CLASSES = FlakeDataset.METAINFO['classes']


def write_labelme(folder, name, shapes, size=(60, 80)):
    cv2.imwrite(str(folder / f'{name}.png'), np.full((*size, 3), 128, np.uint8))
    data = dict(version='5.4.1', flags={}, shapes=shapes, imagePath=f'{name}.png', imageData=None,
                imageHeight=size[0], imageWidth=size[1])
    (folder / f'{name}.json').write_text(json.dumps(data))


def polygon(label, points, group_id=None, shape_type='polygon'):
    return dict(label=label, points=points, group_id=group_id, shape_type=shape_type, flags={})


def test_conversion(tmp_path):
    src = tmp_path / 'labelme'
    src.mkdir()
    write_labelme(src, 'a', [
        polygon('mono', [[10, 10], [30, 10], [30, 20]]),
        polygon('thick', [[40, 30], [50, 45]], shape_type='rectangle'),
        polygon('few', [[0, 40], [10, 40], [10, 50], [0, 50]], group_id=1),
        polygon('few', [[20, 40], [30, 40], [30, 50], [20, 50]], group_id=1),  # same flake, second part
        polygon('mono', [[5, 5]], shape_type='point'),  # not a region: skipped
    ])
    write_labelme(src, 'b', [])
    ann_file = convert_labelme(str(src), str(tmp_path / 'root'), 'train', CLASSES)
    assert ann_file == str(tmp_path / 'root' / 'annotations' / 'instances_train2019.json')
    coco = json.loads(open(ann_file).read())
    assert [img['file_name'] for img in coco['images']] == ['a.png', 'b.png']
    anns = coco['annotations']
    assert [a['category_id'] for a in anns] == [1, 3, 2]
    assert anns[1]['bbox'] == [40.0, 30.0, 10.0, 15.0] and anns[1]['area'] == 150.0
    assert len(anns[2]['segmentation']) == 2 and anns[2]['area'] == 200.0
    assert osp.isfile(tmp_path / 'root' / 'train2019' / 'a.png')
    assert validate_coco(ann_file, str(tmp_path / 'root' / 'train2019'), CLASSES) == []


def test_unknown_label_names_the_file(tmp_path):
    src = tmp_path / 'labelme'
    src.mkdir()
    write_labelme(src, 'c', [polygon('bilayer', [[1, 1], [5, 1], [5, 5]])])
    with pytest.raises(UserInputError, match=r"c.json: label 'bilayer' is not one of"):
        convert_labelme(str(src), str(tmp_path / 'root'), 'train', CLASSES)
    result = run_in_process('tools/dataset_converters/labelme2coco.py', str(src), str(tmp_path / 'root2'))
    assert result.returncode == 2 and 'c.json' in result.stderr and 'Traceback' not in result.stderr


def test_converting_into_the_source_folder_is_refused(tmp_path):
    """Converted in place (the labelme folder is the split's image folder): the images would be copied
    onto themselves; refused before anything is written."""
    src = tmp_path / 'root' / 'train2019'
    src.mkdir(parents=True)
    write_labelme(src, 'a', [polygon('mono', [[10, 10], [30, 10], [30, 20]])])
    before = (src / 'a.png').read_bytes()
    with pytest.raises(UserInputError, match='would overwrite the input'):
        convert_labelme(str(src), str(tmp_path / 'root'), 'train', CLASSES)
    assert (src / 'a.png').read_bytes() == before and not (tmp_path / 'root' / 'annotations').exists()

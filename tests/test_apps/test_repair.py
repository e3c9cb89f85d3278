"""Annotation repair: suspects are the confident detections no annotation covers; labelme round trip;
precision and recall against the removed record."""
import json

import cv2
import mmcv
import numpy as np
import pytest
import torch
from conftest import SYNTHETIC_CONFIG
from helpers import run_in_process, run_tool
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

from qmat.apis import FlakeHunter
from qmat.apps import find_missing, score_against_removed
from qmat.datasets.labelme import labelme_instances

SQUARES = {'annotated': (10, 10, 30, 30), 'removed': (50, 10, 80, 40), 'never': (20, 60, 44, 90)}

# files that exist, for the hunter's input checks; the faked init_detector never reads them
FAKE_FILES = (SYNTHETIC_CONFIG, __file__)


class ComponentDetector:
    """Stands in for a network: each bright connected region of a crop is one flake with score 0.9."""
    dataset_meta = dict(classes=('mono', 'few', 'thick'))

    def __call__(self, model, crop):
        bright = (crop == 255).all(axis=2).astype(np.uint8)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(bright)
        boxes = [[x, y, x + w, y + h] for x, y, w, h, _ in stats[1:]]
        result = DetDataSample()
        result.pred_instances = InstanceData(
            bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
            scores=torch.full((count - 1,), 0.9),
            labels=torch.ones(count - 1, dtype=torch.long),
            masks=torch.from_numpy(np.stack([labels == k for k in range(1, count)])
                                   if count > 1 else np.zeros((0, *bright.shape), bool)))
        return result


@pytest.fixture
def chip(tmp_path, monkeypatch):
    import mmdet.apis
    detector = ComponentDetector()
    monkeypatch.setattr(mmdet.apis, 'init_detector', lambda *args, **kwargs: detector)
    monkeypatch.setattr('qmat.apis.hunter.check_checkpoint_fits', lambda *args: None)  # no real weights
    monkeypatch.setattr(mmdet.apis, 'inference_detector', detector)
    image = np.full((100, 100, 3), 120, np.uint8)
    for x1, y1, x2, y2 in SQUARES.values():
        image[y1:y2, x1:x2] = 255
    (tmp_path / 'images').mkdir()
    mmcv.imwrite(image, str(tmp_path / 'images' / 'chip.png'))

    def ann(i, key, crowd):
        x1, y1, x2, y2 = SQUARES[key]
        return dict(id=i, image_id=1, category_id=2, bbox=[x1, y1, x2 - x1, y2 - y1],
                    area=(x2 - x1) * (y2 - y1), iscrowd=crowd,
                    segmentation=[[x1, y1, x2, y1, x2, y2, x1, y2]])
    coco = dict(images=[dict(id=1, file_name='chip.png', width=100, height=100)],
                categories=[dict(id=1, name='mono'), dict(id=2, name='few'), dict(id=3, name='thick')],
                annotations=[ann(1, 'annotated', 0), ann(2, 'removed', 1)])  # the removed one kept as ignored
    (tmp_path / 'train.json').write_text(json.dumps(coco))
    (tmp_path / 'train.removed.json').write_text(json.dumps(dict(removed=[ann(2, 'removed', 0)])))
    return tmp_path


def test_suspects_are_the_unannotated_flakes(chip):
    hunter = FlakeHunter(*FAKE_FILES)
    suspects = find_missing(hunter, str(chip / 'train.json'), str(chip / 'images'), str(chip / 'out'))
    boxes = sorted(tuple(a['bbox']) for a in suspects['annotations'])
    expected = sorted((x1, y1, x2 - x1, y2 - y1)
                      for key, (x1, y1, x2, y2) in SQUARES.items() if key != 'annotated')
    assert boxes == expected and all(a['category_id'] == 2 for a in suspects['annotations'])  # 'few'
    scores = score_against_removed(suspects, str(chip / 'train.removed.json'))
    assert scores == dict(suspects=2, removed=1, matched=1, precision=0.5, recall=1.0)
    # the labelme files read back through qmat's own converter
    labelme_file = str(chip / 'out' / 'labelme' / 'chip.json')
    image, instances = labelme_instances(labelme_file, ('mono', 'few', 'thick'))
    assert image['height'] == 100 and len(instances) == 2
    for instance in instances:
        assert any(np.allclose(instance['bbox'], box, atol=1.5) for box in expected)
    assert mmcv.imread(str(chip / 'out' / 'pictures' / 'chip.png')) is not None


def test_repair_tool_prints_precision_and_recall(chip, random_checkpoint):
    import shutil

    from conftest import SYNTHETIC_CONFIG
    checkpoint = random_checkpoint
    result = run_tool('tools/hunting/repair_annotations.py', SYNTHETIC_CONFIG, str(checkpoint),
                      str(chip / 'train.json'), '--images', str(chip / 'images'), '--out', str(chip / 'out'),
                      '--score-thr', '0.99', '--removed', str(chip / 'train.removed.json'))
    # a real (untrained) network this time: the command runs end to end and reports its scores
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'suspected missing annotations' in result.stdout and '"removed": 1' in result.stdout
    shutil.rmtree(chip / 'images')
    result = run_in_process('tools/hunting/repair_annotations.py', SYNTHETIC_CONFIG, str(checkpoint),
                            str(chip / 'train.json'), '--images', str(chip / 'images'), '--out',
                            str(chip / 'out'))
    assert result.returncode == 2 and 'error: images' in result.stderr and 'does not exist' in result.stderr

"""Importing a real annotation export: Roboflow's COCO with its quirks, two real hBN micrographs."""
import hashlib
import json
import os
import os.path as osp
import shutil

import pytest
import torch
from helpers import REPO, assert_one_line_error, run_in_process

from qmat.datasets.import_coco import clean_file_name, clip_box, clip_polygon, import_coco, parse_mapping
from qmat.datasets.validate import validate_coco
from qmat.utils import UserInputError

EXPORT = osp.join(REPO, 'tests', 'data', 'hbn_roboflow')
SOURCE = osp.join(EXPORT, '_annotations.coco.json')
TOOL = 'tools/dataset_converters/import_coco.py'
MAP = ['Thin_BN=few', 'Less_Thick_BN=thick', 'Thick_BN=thick']


def test_the_quirks_are_mended():
    assert clean_file_name('11-089_jpg.rf.7343fd82c267fbc8d524706690853163.jpg') == '11-089.jpg'
    assert clean_file_name('chip_01.png') == 'chip_01.png'
    assert clip_box([-2, 1075, 10, 10], 1920, 1080) == [0.0, 1075.0, 8.0, 5.0]
    assert clip_box([1930, 5, 10, 10], 1920, 1080) is None
    assert clip_polygon([-1, 5, 2000, 1090], 1920, 1080) == [0.0, 5.0, 1920.0, 1080.0]
    assert parse_mapping(['a=b', 'c=b']) == {'a': 'b', 'c': 'b'}
    with pytest.raises(UserInputError, match='--map a: expected'):
        parse_mapping(['a'])


def test_a_roboflow_export_imports_into_the_layout_and_checks_clean(tmp_path):
    source = json.load(open(osp.join(EXPORT, '_annotations.coco.json')))
    before = {name: hashlib.sha256(open(osp.join(EXPORT, name), 'rb').read()).hexdigest()
              for name in sorted(os.listdir(EXPORT))}
    result = run_in_process(TOOL, SOURCE, '--images', EXPORT, '--out', str(tmp_path / 'hbn'), '--split',
                            'train', '--map', *MAP)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "['material']" in result.stdout and '2 instance(s) without a mask: left out' in result.stdout
    ann_file = tmp_path / 'hbn' / 'annotations' / 'instances_train2019.json'
    coco = json.loads(ann_file.read_text())
    assert [c['name'] for c in coco['categories']] == ['mono', 'few', 'thick']  # qmat's classes, trainable
    assert sorted(i['file_name'] for i in coco['images']) == ['19-097.jpg', '26-106.jpg']
    assert min(i['id'] for i in coco['images']) == 1 and min(a['id'] for a in coco['annotations']) == 1
    assert len(coco['annotations']) == len(source['annotations']) - 2
    names = {c['id']: c['name'] for c in source['categories']}
    mapping = parse_mapping(MAP)
    expected = sorted(mapping[names[a['category_id']]] for a in source['annotations'] if a['segmentation'])
    ours = {c['id']: c['name'] for c in coco['categories']}
    assert sorted(ours[a['category_id']] for a in coco['annotations']) == expected
    assert validate_coco(str(ann_file), str(tmp_path / 'hbn' / 'train2019'), ['mono', 'few', 'thick']) == []
    after = {name: hashlib.sha256(open(osp.join(EXPORT, name), 'rb').read()).hexdigest() for name in before}
    assert after == before  # the export is untouched
    boxed = import_coco(SOURCE, EXPORT, str(tmp_path / 'boxed'), 'val', mapping, box_masks='box')
    assert boxed['annotations'] == len(source['annotations']) and boxed['boxes_only'] == 2


def test_a_broken_export_is_one_line_and_writes_nothing(tmp_path):
    export = tmp_path / 'export'
    shutil.copytree(EXPORT, export)
    coco = json.loads((export / '_annotations.coco.json').read_text())
    coco['annotations'][3]['bbox'][2] = float('nan')
    (export / '_annotations.coco.json').write_text(json.dumps(coco))
    result = run_in_process(TOOL, str(export / '_annotations.coco.json'), '--images', str(export), '--out',
                            str(tmp_path / 'out'), '--map', *MAP)
    broken_id = coco['annotations'][3]['id']
    assert_one_line_error(result, f'annotation {broken_id}: bbox must be', 'validate_dataset')
    assert not (tmp_path / 'out').exists()
    result = run_in_process(TOOL, SOURCE, '--images', EXPORT, '--out', str(tmp_path / 'out'), '--map',
                            'Thinn_BN=few')
    assert_one_line_error(result, "no categories ['Thinn_BN'] to map")
    assert not (tmp_path / 'out').exists()


@pytest.mark.slow
def test_a_set_with_its_own_class_names_trains_and_tests_without_config_edits(tmp_path):
    """Imported without --map: the lab's classes. tools/train.py and tools/test.py with --data-root size
    the RoI heads from the data and say which classes they use."""
    from conftest import SYNTHETIC_CONFIG
    from helpers import assert_ok, run_tool
    root = str(tmp_path / 'own')
    for split in ('train', 'val'):
        import_coco(SOURCE, EXPORT, root, split)
    work = str(tmp_path / 'work')
    options = ['--data-root', root, '--cfg-options', 'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
               'default_hooks.checkpoint.interval=2', 'train_dataloader.batch_size=2']
    result = run_tool('tools/train.py', SYNTHETIC_CONFIG, '--work-dir', work, *options)
    assert_ok(result)
    classes = ['Less_Thick_BN', 'Thick_BN', 'Thin_BN']
    assert f'classes of the data ({root}/annotations/instances_train2019.json): {classes}' in result.stdout
    checkpoint = torch.load(osp.join(work, 'iter_2.pth'), weights_only=True)
    assert checkpoint['state_dict']['roi_head.bbox_head.fc_cls.weight'].shape[0] == 3 + 1  # and background
    assert list(checkpoint['meta']['dataset_meta']['classes']) == classes
    tested = run_tool('tools/test.py', SYNTHETIC_CONFIG, osp.join(work, 'iter_2.pth'), '--work-dir',
                      str(tmp_path / 'test'), '--data-root', root)
    assert_ok(tested)
    assert 'coco/segm_mAP' in tested.stdout + tested.stderr

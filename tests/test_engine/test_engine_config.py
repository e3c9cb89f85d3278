"""Config loading and the pre-flight checks of data files: one clear error naming the path."""
import json
import os.path as osp
import re

import pytest
from conftest import SYNTHETIC_CONFIG

from qmat.datasets.coco_file import check_coco_file
from qmat.engine import check_dataset_files, load_config, set_data_root
from qmat.utils import UserInputError


def synthetic_cfg(root):
    cfg = load_config(SYNTHETIC_CONFIG)
    set_data_root(cfg, root)
    return cfg


def test_data_root_moves_every_dataset_and_evaluator(synthetic_root):
    cfg = synthetic_cfg(synthetic_root)
    root = synthetic_root + '/'
    for split in ('train', 'val', 'test'):
        assert cfg[f'{split}_dataloader'].dataset.data_root == root
    assert cfg.val_evaluator.ann_file == root + 'annotations/instances_val2019.json'
    assert cfg.test_evaluator.ann_file == root + 'annotations/instances_val2019.json'
    assert check_dataset_files(cfg, ('train', 'val', 'test'))
    with pytest.raises(UserInputError, match='--data-root .*nowhere is not a directory'):
        set_data_root(cfg, osp.join(synthetic_root, 'nowhere'))


def test_missing_config(tmp_path):
    with pytest.raises(UserInputError, match='config file .*nope.py does not exist'):
        load_config(str(tmp_path / 'nope.py'))


def test_broken_config(tmp_path):
    path = tmp_path / 'broken.py'
    path.write_text('model = dict(\n')
    with pytest.raises(UserInputError, match='broken.py could not be loaded'):
        load_config(str(path))


def test_cfg_options_are_merged():
    cfg = load_config(SYNTHETIC_CONFIG, {'train_cfg.max_iters': 7})
    assert cfg.train_cfg.max_iters == 7
    assert cfg.custom_imports == dict(imports=['qmat'], allow_failed_imports=False)


def test_valid_synthetic_data_passes(synthetic_root):
    checked = check_dataset_files(synthetic_cfg(synthetic_root), ('train', 'val', 'test'))
    assert checked == [osp.join(synthetic_root + '/', f'annotations/instances_{s}2019.json')
                       for s in ('train', 'val', 'val')]


def test_data_root_without_annotation_file(tmp_path):
    (tmp_path / 'train2019').mkdir()
    with pytest.raises(UserInputError,
                       match=r'train annotation file .*instances_train2019.json does not exist'):
        check_dataset_files(synthetic_cfg(str(tmp_path)), ('train',))


def test_missing_data_root(tmp_path):
    with pytest.raises(UserInputError, match='data_root .*absent/ is not a directory'):
        check_dataset_files(load_config(SYNTHETIC_CONFIG, {
            'train_dataloader.dataset.data_root': str(tmp_path / 'absent') + '/'}), ('train',))


def test_annotation_file_that_does_not_parse(tmp_path):
    path = tmp_path / 'bad.json'
    path.write_text('{"images": [')
    with pytest.raises(UserInputError, match='bad.json is not valid JSON'):
        check_coco_file(str(path))


def test_json_that_is_not_coco(tmp_path):
    path = tmp_path / 'list.json'
    path.write_text(json.dumps({'images': [], 'annotations': {}}))
    with pytest.raises(UserInputError,
                       match='list.json is not COCO json: no list under annotations, categories'):
        check_coco_file(str(path))


def test_class_names_must_exist_in_the_file(tmp_path):
    path = tmp_path / 'cats.json'
    path.write_text(json.dumps({'images': [], 'annotations': [], 'categories': [{'id': 1, 'name': 'mono'}]}))
    assert check_coco_file(str(path), ['mono'])['categories'][0]['name'] == 'mono'
    with pytest.raises(UserInputError, match=r"no categories named \['thick'\] \(it has \['mono'\]\)"):
        check_coco_file(str(path), ['mono', 'thick'])


def test_missing_image_folder(synthetic_root, tmp_path):
    cfg = synthetic_cfg(synthetic_root)
    cfg.train_dataloader.dataset.data_prefix.img = 'elsewhere/'
    with pytest.raises(UserInputError, match='train image folder .*elsewhere/ does not exist'):
        check_dataset_files(cfg, ('train',))


@pytest.mark.parametrize('options,message', [
    ({'trian_cfg.max_iters': 4}, 'has no key trian_cfg; did you mean train_cfg?'),
    ({'train_cfg.max_iter': 4}, 'has no key train_cfg.max_iter; did you mean train_cfg.max_iters?'),
    ({'model.roi_head.bbox_head.fc_out_channel': 3}, 'did you mean model.roi_head.bbox_head.fc_out_channels'),
    ({'nothing_like_it': 1}, 'has no key nothing_like_it'),
])
def test_cfg_option_typos_are_refused(options, message):
    with pytest.raises(UserInputError, match=re.escape(message)):
        load_config(SYNTHETIC_CONFIG, options)


def test_cfg_options_that_set_or_add_keys_pass():
    cfg = load_config(SYNTHETIC_CONFIG, {'train_cfg.max_iters': 4, 'randomness.seed': 3, 'work_dir': 'w',
                                         'model.rpn_head.anchor_generator.scales': [2],
                                         'model.rpn_head.threshold': 0.5})  # new: no close relative
    assert (cfg.train_cfg.max_iters, cfg.randomness.seed, cfg.model.rpn_head.threshold) == (4, 3, 0.5)


def test_a_cfg_option_without_a_value_is_one_line():
    import argparse

    from qmat.engine.config import CfgOptionsAction
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction)
    with pytest.raises(UserInputError, match='--cfg-options foo: expected key=value'):
        parser.parse_args(['--cfg-options', 'a=1', 'foo'])
    assert parser.parse_args(['--cfg-options', 'a.b=1']).cfg_options == {'a.b': 1}

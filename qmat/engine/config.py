"""Loading a config and checking the files it points at before a Runner is built.

A missing config, a data root without its annotation file or a file that is not COCO json would otherwise
surface deep inside mmengine as a traceback; these checks turn them into one line that names the path.
"""
import difflib
import inspect
import os.path as osp
from typing import Iterator, List, Optional, Sequence, Tuple

from mmengine.config import Config, ConfigDict, DictAction
from mmengine.logging import print_log

from qmat.datasets.coco_file import check_coco_file
from qmat.datasets.flake_dataset import FlakeDataset
from qmat.datasets.validate import validate_coco, write_without
from qmat.utils.errors import UserInputError


class CfgOptionsAction(DictAction):
    """mmengine's ``--cfg-options`` action, with a one-line error for an item without ``=``."""

    def __call__(self, parser, namespace, values, option_string=None):
        for item in values:
            if '=' not in item:
                raise UserInputError(f'{option_string or "--cfg-options"} {item}: expected key=value')
        super().__call__(parser, namespace, values, option_string)


def _runner_keys() -> set:
    """Top-level keys that mmengine's Runner reads although a config need not spell them."""
    from mmengine.runner import Runner
    return set(inspect.signature(Runner.__init__).parameters) | {'runner_type', 'tta_model', 'tta_pipeline'}


def check_cfg_options(cfg: Config, options: dict, path: str) -> None:
    """Refuse ``--cfg-options`` keys that are typos: an unknown top-level key, or a nested key that the
    config lacks but has a close relative of (``train_cfg.max_iter`` for ``max_iters``). New nested keys
    without a close relative (a head's option a config does not spell) pass.

    Raises:
        UserInputError: Naming the key and the closest valid one.
    """
    plain = cfg.to_dict()
    for key in options:
        node, walked = plain, []
        for part in key.split('.'):
            known = list(node.keys()) if isinstance(node, dict) else None
            if known is None or part in node:
                if isinstance(node, dict):
                    node = node[part]
                elif isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
                    node = node[int(part)]
                else:
                    break
                walked.append(part)
                continue
            if not walked and part in _runner_keys():
                break  # a Runner argument the config leaves at its default (randomness, work_dir, ...)
            candidates = known + (sorted(_runner_keys()) if not walked else [])
            close = difflib.get_close_matches(part, candidates, n=1, cutoff=0.75)
            if not walked:
                hint = f'; did you mean {close[0]}?' if close else ''
                raise UserInputError(f'--cfg-options {key}: config {path} has no key {part}{hint}')
            if close:
                raise UserInputError(f'--cfg-options {key}: config {path} has no key '
                                     f'{".".join(walked + [part])}; did you mean {".".join(walked + close)}?')
            break


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Read a config file (importing its ``custom_imports``) and merge ``--cfg-options`` into it.

    Raises:
        UserInputError: The file does not exist or cannot be read as an mmengine config, or an option is
            a typo (:func:`check_cfg_options`).
    """
    if not osp.isfile(path):
        raise UserInputError(f'config file {path} does not exist')
    try:
        cfg = Config.fromfile(path)
    except Exception as error:  # mmengine raises many kinds; all mean "this config cannot be read"
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise UserInputError(f'config {path} could not be loaded: {message}') from None
    if cfg_options:
        check_cfg_options(cfg, cfg_options, path)
        cfg.merge_from_dict(cfg_options)
    return cfg


def _datasets(dataset_cfg: ConfigDict) -> Iterator[ConfigDict]:
    """The leaf datasets of a dataset config (through RepeatDataset, ConcatDataset and the like)."""
    if 'datasets' in dataset_cfg:
        for child in dataset_cfg['datasets']:
            yield from _datasets(child)
    elif 'dataset' in dataset_cfg:
        yield from _datasets(dataset_cfg['dataset'])
    else:
        yield dataset_cfg


def set_data_root(cfg: Config, data_root: str) -> None:
    """Point every dataloader's dataset at ``data_root`` and each COCO evaluator at its split's annotations.

    The ``--data-root`` of tools/train.py and tools/test.py: annotation and image paths stay relative to the
    root, so one option moves a whole config to another dataset of the same layout.
    """
    if not osp.isdir(data_root):
        raise UserInputError(f'--data-root {data_root} is not a directory')
    root = data_root.rstrip('/') + '/'
    for split in ('train', 'val', 'test'):
        loader = cfg.get(f'{split}_dataloader')
        if not loader:
            continue
        leaves = list(_datasets(loader['dataset']))
        for dataset in leaves:
            dataset['data_root'] = root
        evaluators = cfg.get(f'{split}_evaluator') or []
        for evaluator in evaluators if isinstance(evaluators, (list, tuple)) else [evaluators]:
            if evaluator.get('ann_file') and len(leaves) == 1 and leaves[0].get('ann_file'):
                evaluator['ann_file'] = _join(root, leaves[0]['ann_file'])
    cfg.data_root = root


# colours of classes that are not qmat's (qmat's keep FlakeDataset's)
SPARE_COLOURS = [(0, 160, 80), (170, 0, 255), (255, 100, 180), (120, 120, 120), (0, 200, 200), (140, 90, 40)]


def adopt_data_classes(cfg: Config) -> Optional[Tuple[str, ...]]:
    """Train and test on the class names of the data when the config's do not cover them: every dataset's
    ``metainfo`` and the RoI heads' ``num_classes`` follow the categories with instances in the first
    annotation file found (training, else validation, else test), in id order.

    Returns:
        The classes adopted, or None when the config's classes cover the data's (nothing changed).
    """
    for split in ('train', 'val', 'test'):
        loader = cfg.get(f'{split}_dataloader')
        leaves = list(_datasets(loader['dataset'])) if loader else []
        if leaves and leaves[0].get('ann_file'):
            ann_path = _join(leaves[0].get('data_root'), leaves[0]['ann_file'])
            if osp.isfile(ann_path):
                break
    else:
        return None
    coco = check_coco_file(ann_path)
    used = {ann.get('category_id') for ann in coco['annotations'] if isinstance(ann, dict)}
    categories = [c for c in coco['categories'] if isinstance(c, dict) and isinstance(c.get('id'), int)]
    names = tuple(str(c['name']) for c in sorted(categories, key=lambda c: c['id']) if c['id'] in used)
    current = (leaves[0].get('metainfo') or {}).get('classes') or _default_classes(leaves[0].get('type'))
    if not names or set(names) <= set(current or ()):  # the config's classes cover the data: keep them
        return None
    colours = dict(zip(FlakeDataset.METAINFO['classes'], FlakeDataset.METAINFO['palette']))
    spare = iter(SPARE_COLOURS * (1 + len(names) // len(SPARE_COLOURS)))
    palette = [colours.get(name) or next(spare) for name in names]
    for split in ('train', 'val', 'test'):
        loader = cfg.get(f'{split}_dataloader')
        for dataset in _datasets(loader['dataset']) if loader else []:
            dataset['metainfo'] = dict(dataset.get('metainfo') or {}, classes=names, palette=palette)
    roi_head = cfg.model.get('roi_head') or {}
    for head in ('bbox_head', 'mask_head'):
        if isinstance(roi_head.get(head), dict) and 'num_classes' in roi_head[head]:
            roi_head[head]['num_classes'] = len(names)
    print_log(f'classes of the data ({ann_path}): {list(names)}; the config named '
              f'{list(current or ())}', logger='current')
    return names


def _default_classes(dataset_type) -> Optional[Sequence[str]]:
    """The class names a registered dataset type declares in its METAINFO, if any."""
    from mmdet.registry import DATASETS

    dataset_class = DATASETS.get(dataset_type) if isinstance(dataset_type, str) else dataset_type
    return getattr(dataset_class, 'METAINFO', {}).get('classes')


def _join(data_root: Optional[str], path: str) -> str:
    return path if not data_root or osp.isabs(path) else osp.join(data_root, path)


def check_dataset_files(cfg: Config, splits: Sequence[str], skip_invalid: bool = False) -> List[str]:
    """Check the annotation files and images of ``{split}_dataloader`` for each split, as
    tools/data_tools/validate_dataset.py does (:func:`~qmat.datasets.validate.validate_coco`: every image
    decoded as the loader decodes it).

    Args:
        cfg: The full config.
        splits: Any of ``'train'``, ``'val'``, ``'test'``.
        skip_invalid: Leave the broken images and annotations out instead of stopping: the rest is written
            to ``<work_dir>/valid_<split>_<file name>`` and the split (and its evaluator) read from there.

    Returns:
        The annotation files that were checked.

    Raises:
        UserInputError: The first problem, with the number of them (or, with ``skip_invalid``, one that
            cannot be left out: a file-wide one such as an unknown category or an empty set).
    """
    checked = []
    for split in splits:
        loader = cfg.get(f'{split}_dataloader')
        if not loader:
            continue
        for dataset in _datasets(loader['dataset']):
            data_root = dataset.get('data_root')
            if data_root and not osp.isdir(data_root):
                raise UserInputError(f'{split} data_root {data_root} is not a directory')
            ann_file = dataset.get('ann_file')
            if not ann_file:
                continue
            ann_path = _join(data_root, ann_file)
            classes = (dataset.get('metainfo') or {}).get('classes') or _default_classes(dataset.get('type'))
            check_coco_file(ann_path, classes, what=f'{split} annotation')
            image_dir = (dataset.get('data_prefix') or {}).get('img')
            if image_dir is not None and not osp.isdir(_join(data_root, image_dir)):
                raise UserInputError(
                    f'{split} image folder {_join(data_root, image_dir)} does not exist '
                    '(from data_prefix.img)')
            masks = any(isinstance(t, dict) and t.get('type') == 'LoadAnnotations' and t.get('with_mask')
                        for t in dataset.get('pipeline') or [])
            problems = validate_coco(ann_path, _join(data_root, image_dir) if image_dir is not None else None,
                                     classes, masks=masks)
            if problems and skip_invalid:
                valid = write_without(ann_path, problems, osp.join(
                    cfg.work_dir, f'valid_{split}_{osp.basename(ann_path)}'))
                print_log(f'--skip-invalid: {split} leaves out what {len(problems)} problem(s) name '
                          f'(the first: {problems[0]}); reading {valid}', logger='current', level=30)
                _point_evaluators(cfg, split, ann_path, valid)
                dataset['ann_file'] = osp.abspath(valid)
            elif problems:
                raise UserInputError(f'{problems[0]} ({len(problems)} problem(s) in {split}; '
                                     'tools/data_tools/validate_dataset.py lists them, --skip-invalid leaves '
                                     'them out)')
            checked.append(ann_path)
        evaluator = cfg.get(f'{split}_evaluator')
        for metric in evaluator if isinstance(evaluator, list) else [evaluator] if evaluator else []:
            ann_file = metric.get('ann_file')
            if ann_file and ann_file not in checked and not osp.isfile(ann_file):
                raise UserInputError(f'{split}_evaluator.ann_file {ann_file} does not exist')
    return checked


def _point_evaluators(cfg: Config, split: str, ann_path: str, valid: str) -> None:
    """The evaluators of ``split`` that read ``ann_path`` read ``valid`` instead."""
    evaluator = cfg.get(f'{split}_evaluator')
    for metric in evaluator if isinstance(evaluator, list) else [evaluator] if evaluator else []:
        if metric.get('ann_file') and osp.abspath(metric['ann_file']) == osp.abspath(ann_path):
            metric['ann_file'] = osp.abspath(valid)

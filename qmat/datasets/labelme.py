"""Convert labelme annotations (one json per image, the format many labs annotate in) to the paper layout."""
import glob
import json
import os.path as osp
import shutil
from collections import defaultdict
from typing import Dict, List, Sequence, Tuple

from pycocotools import mask as mask_utils

from qmat.utils import UserInputError, refuse_overwriting

from .layout import CocoSplitWriter, split_paths


def _polygon(shape: dict, source: str) -> List[float]:
    points = shape.get('points') or []
    if shape.get('shape_type', 'polygon') == 'rectangle' and len(points) == 2:
        (x0, y0), (x1, y1) = points
        points = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    if len(points) < 3:
        raise UserInputError(f'{source}: shape {shape.get("label")!r} has {len(points)} points '
                             '(a polygon needs at least 3)')
    return [float(v) for point in points for v in point]


def labelme_instances(path: str, classes: Sequence[str]) -> Tuple[dict, List[dict]]:
    """The image record (file, size) and instances of one labelme file.

    Shapes that share a ``group_id`` form one instance (labelme's way to draw a flake in several parts).
    Polygons and rectangles are converted; other shape types (points, lines, circles) are skipped.
    """
    try:
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
        height, width, image_path = int(data['imageHeight']), int(data['imageWidth']), data['imagePath']
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, ValueError) as error:
        raise UserInputError(f'{path} is not a labelme annotation file: {error}') from None
    groups: Dict[object, List[dict]] = defaultdict(list)
    for index, shape in enumerate(data.get('shapes', [])):
        if shape.get('shape_type', 'polygon') not in ('polygon', 'rectangle'):
            continue
        if shape.get('label') not in classes:
            raise UserInputError(f'{path}: label {shape.get("label")!r} is not one of {list(classes)}')
        key = ('group', shape['label'], shape['group_id']) if shape.get('group_id') is not None else index
        groups[key].append(shape)
    instances = []
    for shapes in groups.values():
        polygons = [_polygon(shape, path) for shape in shapes]
        rle = mask_utils.merge(mask_utils.frPyObjects(polygons, height, width))
        instances.append(dict(label=classes.index(shapes[0]['label']), polygons=polygons,
                              area=float(mask_utils.area(rle)), bbox=mask_utils.toBbox(rle).tolist()))
    image = dict(path=osp.join(osp.dirname(path), image_path), height=height, width=width)
    return image, instances


def convert_labelme(src_dir: str, root: str, split: str, classes: Sequence[str]) -> str:
    """Convert every labelme json in ``src_dir`` into ``root`` (COCO json + copied images) for ``split``.

    Returns:
        The annotation file written.
    """
    files = sorted(glob.glob(osp.join(src_dir, '*.json')))
    if not files:
        raise UserInputError(f'{src_dir} has no labelme .json files')
    converted = []
    for path in files:  # every file read and checked before anything is written
        image, instances = labelme_instances(path, classes)
        if not osp.isfile(image['path']):
            raise UserInputError(f'{path}: its image {image["path"]} does not exist')
        converted.append((image, instances))
    paths = split_paths(root, split)
    refuse_overwriting([paths['ann_file'], *(osp.join(paths['img_dir'], osp.basename(image['path']))
                                             for image, _ in converted)],
                       [*files, *(image['path'] for image, _ in converted)])
    writer = CocoSplitWriter(root, split, classes, info=dict(converted_from=osp.abspath(src_dir)))
    for image, instances in converted:
        file_name = osp.basename(image['path'])
        shutil.copy2(image['path'], osp.join(writer.paths['img_dir'], file_name))
        writer.add_record(file_name, image['height'], image['width'], instances)
    return writer.write()

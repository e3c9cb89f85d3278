"""Reading a COCO annotation file with a one-line error that names it when it is not one."""
import json
import os.path as osp
from typing import Optional, Sequence

from qmat.utils.errors import UserInputError

COCO_KEYS = ('images', 'annotations', 'categories')


def check_coco_file(path: str, classes: Optional[Sequence[str]] = None, what: str = 'annotation') -> dict:
    """Check that ``path`` is COCO json and, if ``classes`` is given, that it defines each class.

    Returns:
        The parsed json.
    """
    if not osp.isfile(path):
        raise UserInputError(f'{what} file {path} does not exist')
    try:
        with open(path, encoding='utf-8') as f:
            coco = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UserInputError(f'{what} file {path} is not valid JSON: {error}') from None
    missing = [key for key in COCO_KEYS if not isinstance(coco, dict) or not isinstance(coco.get(key), list)]
    if missing:
        raise UserInputError(f'{what} file {path} is not COCO json: no list under {", ".join(missing)}')
    if classes:
        names = [str(cat.get('name')) for cat in coco['categories'] if isinstance(cat, dict)]
        unknown = [name for name in classes if name not in names]
        if unknown:
            raise UserInputError(
                f'{what} file {path} has no categories named {unknown} (it has {names}); '
                'set metainfo.classes in the dataset config to the names the file uses')
    return coco

"""Dataset pictures: annotations drawn over the image, and a contact sheet."""
import json
import os.path as osp

import cv2
import numpy as np
from helpers import run_tool

from qmat.visualization import contact_sheet


def test_browse_tool_draws_annotations(synthetic_root, tmp_path):
    out = tmp_path / 'pictures'
    sheet = tmp_path / 'sheet.png'
    result = run_tool('tools/analysis_tools/browse_dataset.py', synthetic_root, '--split', 'val',
                      '--out-dir', str(out),
                      '--num', '3', '--contact-sheet', str(sheet), '--columns', '2')
    assert result.returncode == 0, result.stderr
    with open(osp.join(synthetic_root, 'annotations', 'instances_val2019.json')) as f:
        names = [image['file_name'] for image in json.load(f)['images']][:3]
    for name in names:
        drawn = cv2.imread(str(out / (osp.splitext(name)[0] + '.png')))
        raw = cv2.imread(osp.join(synthetic_root, 'val2019', name))
        assert drawn.shape == raw.shape
        assert (np.abs(drawn.astype(int) - raw).sum(axis=2) > 30).mean() > 0.005  # masks were painted
    assert cv2.imread(str(sheet)) is not None


def test_contact_sheet_layout():
    images = [np.full((50, 100, 3), value, np.uint8) for value in (10, 20, 30)]
    sheet = contact_sheet(images, columns=2, tile=40, gap=2)
    assert sheet.shape == (2 * (20 + 2) + 2, 2 * (40 + 2) + 2, 3)
    assert (sheet[2:22, 2:42] == 10).all() and (sheet[2:22, 44:84] == 20).all()
    assert (sheet[24:44, 2:42] == 30).all()
    assert (sheet[24:44, 44:84] == 255).all()  # the empty tile stays white


def test_pictures_into_the_image_folder_are_refused(tmp_path):
    """Drawn into the folder of PNG images, each picture would replace its image."""
    import pytest

    from qmat.utils import UserInputError
    from qmat.visualization import browse
    cv2.imwrite(str(tmp_path / 'a.png'), np.full((16, 16, 3), 90, np.uint8))
    coco = dict(images=[dict(id=1, file_name='a.png', height=16, width=16)], annotations=[],
                categories=[dict(id=1, name='mono'), dict(id=2, name='few'), dict(id=3, name='thick')])
    (tmp_path / 'ann.json').write_text(json.dumps(coco))
    before = (tmp_path / 'a.png').read_bytes()
    with pytest.raises(UserInputError, match='would overwrite the input'):
        browse(str(tmp_path / 'ann.json'), str(tmp_path), str(tmp_path))
    assert (tmp_path / 'a.png').read_bytes() == before

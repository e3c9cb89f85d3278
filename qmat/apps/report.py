"""A self-contained HTML report of a hunt: the best candidates as pictures, and a table of every flake
that sorts by any column and filters by class, area and score in the browser. One file, no external
resources: images are embedded, the script is inline. The page is ``templates/report.html`` (package
data), filled with :class:`string.Template`.
"""
import base64
import html
import json
import os.path as osp
import pkgutil
from string import Template
from typing import Dict, List

import cv2
import mmcv

from qmat.utils import write_text

from .hunt_folder import result_name

TEMPLATE = Template(pkgutil.get_data('qmat.apps', 'templates/report.html').decode('utf-8'))

COLUMNS = (('#', True), ('image', False), ('thickness', False), ('material', False), ('score', True),
           ('area px', True), ('area µm²', True), ('centroid x', True), ('centroid y', True),
           ('contrast R', True), ('contrast G', True), ('contrast B', True))


def _thumbnail(out_dir: str, flake: Dict, pad: int = 24) -> str:
    """The flake's corner of its overlay as a PNG data URI (empty when the overlay is gone)."""
    overlay = mmcv.imread(osp.join(out_dir, 'overlays', result_name(flake['image']) + '.png'))
    if overlay is None:
        return ''
    x1, y1, x2, y2 = (int(round(v)) for v in flake['bbox'])
    height, width = overlay.shape[:2]
    crop = overlay[max(y1 - pad, 0):min(y2 + pad, height), max(x1 - pad, 0):min(x2 + pad, width)]
    ok, png = cv2.imencode('.png', crop)
    return 'data:image/png;base64,' + base64.b64encode(png.tobytes()).decode('ascii') if ok else ''


def _cell(value, digits: int) -> str:
    return '' if value is None else f'{value:.{digits}f}'


def write_html_report(out_dir: str, flakes: List[Dict], errors: Dict[str, str], gallery: int = 24,
                      title: str = 'qmat flake hunt') -> str:
    """Write ``out_dir/report.html`` for ``flakes`` (best first) and the unreadable images.

    Returns:
        The report's path.
    """
    esc = html.escape
    gallery_parts = []
    for number, flake in enumerate(flakes[:gallery], 1):
        area = flake['area_um2'] if flake['area_um2'] is not None else flake['area_px']
        unit = 'µm²' if flake['area_um2'] is not None else 'px'
        gallery_parts.append(f'<figure><img alt="flake {number}" src="{_thumbnail(out_dir, flake)}">'
                             f'<figcaption>#{number} {esc(flake["thickness"])} {flake["score"]:.2f}, '
                             f'{area:.1f} {unit}<br>{esc(osp.basename(flake["image"]))}'
                             '</figcaption></figure>')
    rows = []
    for number, flake in enumerate(flakes, 1):
        area = flake['area_um2'] if flake['area_um2'] is not None else flake['area_px']
        cells = [str(number), esc(osp.basename(flake['image'])), esc(flake['thickness']),
                 esc(flake['material'] or ''), _cell(flake['score'], 3), str(flake['area_px']),
                 _cell(flake['area_um2'], 2), *(_cell(v, 1) for v in flake['centroid_xy']),
                 *(_cell(v, 3) for v in flake['contrast_rgb'])]
        rows.append(f'<tr data-thickness="{esc(flake["thickness"])}" data-area="{area}" '
                    f'data-score="{flake["score"]}">'
                    + ''.join(f'<td class="text">{c}</td>' if i in (1, 2, 3) else f'<td>{c}</td>'
                              for i, c in enumerate(cells)) + '</tr>')
    page = TEMPLATE.substitute(
        title=esc(title), gallery_size=min(gallery, len(flakes)), gallery='\n'.join(gallery_parts),
        summary=f'{len({f["image"] for f in flakes})} images with flakes, {len(flakes)} flakes, '
                f'{len(errors)} unreadable images.',
        class_options=''.join(f'<option>{esc(c)}</option>' for c in sorted({f['thickness'] for f in flakes})),
        header=''.join(f'<th onclick="sortBy({i}, {json.dumps(numeric)})">{esc(name)}</th>'
                       for i, (name, numeric) in enumerate(COLUMNS)),
        rows='\n'.join(rows), error_count=len(errors),
        errors='\n'.join(f'<li>{esc(path)}: {esc(reason)}</li>' for path, reason in errors.items()))
    path = osp.join(out_dir, 'report.html')
    write_text(path, page)
    return path

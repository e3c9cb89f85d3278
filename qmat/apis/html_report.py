"""A self-contained HTML report of a hunt: the best candidates as pictures, and a table of every flake
that sorts by any column and filters by class, area and score in the browser. One file, no external
resources: images are embedded, the script is inline.
"""
import base64
import html
import json
import os.path as osp
from typing import Dict, List

import cv2
import mmcv

from .batch import result_name

SCRIPT = """
const rows = () => Array.from(document.querySelectorAll('#flakes tbody tr'));
function applyFilters() {
  const cls = document.getElementById('f-class').value;
  const area = parseFloat(document.getElementById('f-area').value) || 0;
  const score = parseFloat(document.getElementById('f-score').value) || 0;
  let shown = 0;
  for (const row of rows()) {
    const ok = (!cls || row.dataset.thickness === cls) && parseFloat(row.dataset.area) >= area &&
               parseFloat(row.dataset.score) >= score;
    row.style.display = ok ? '' : 'none';
    shown += ok;
  }
  document.getElementById('shown').textContent = shown;
}
function sortBy(column, numeric) {
  const body = document.querySelector('#flakes tbody');
  const table = document.getElementById('flakes');
  const ascending = table.dataset.sorted !== String(column);
  table.dataset.sorted = ascending ? String(column) : '';
  const key = row => numeric ? parseFloat(row.cells[column].textContent) || 0 : row.cells[column].textContent;
  rows().sort((a, b) => (key(a) > key(b) ? 1 : key(a) < key(b) ? -1 : 0) * (ascending ? 1 : -1))
        .forEach(row => body.appendChild(row));
}
document.addEventListener('DOMContentLoaded', applyFilters);
"""
STYLE = """
body { font-family: sans-serif; margin: 1.5em; color: #222; }
.gallery { display: flex; flex-wrap: wrap; gap: 10px; }
.gallery figure { margin: 0; width: 180px; font-size: 12px; }
.gallery img { width: 180px; height: 180px; object-fit: contain; background: #111; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: right; }
th { cursor: pointer; background: #eee; }
td.text { text-align: left; }
.filters label { margin-right: 1.5em; }
"""
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
    parts = [f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{esc(title)}</title>',
             f'<style>{STYLE}</style><script>{SCRIPT}</script></head><body>',
             f'<h1>{esc(title)}</h1>',
             f'<p>{len({f["image"] for f in flakes})} images with flakes, {len(flakes)} flakes, '
             f'{len(errors)} unreadable images.</p>', f'<h2>Best {min(gallery, len(flakes))} candidates</h2>',
             '<div class="gallery">']
    for number, flake in enumerate(flakes[:gallery], 1):
        area = flake['area_um2'] if flake['area_um2'] is not None else flake['area_px']
        unit = 'µm²' if flake['area_um2'] is not None else 'px'
        parts.append(f'<figure><img alt="flake {number}" src="{_thumbnail(out_dir, flake)}">'
                     f'<figcaption>#{number} {esc(flake["thickness"])} {flake["score"]:.2f}, '
                     f'{area:.1f} {unit}<br>{esc(osp.basename(flake["image"]))}</figcaption></figure>')
    classes = sorted({f['thickness'] for f in flakes})
    options = ''.join(f'<option>{esc(c)}</option>' for c in classes)
    parts += ['</div><h2>All flakes</h2><p class="filters">',
              f'<label>class <select id="f-class" onchange="applyFilters()"><option value="">all</option>'
              f'{options}</select></label>',
              '<label>area at least <input id="f-area" type="number" value="0" oninput="applyFilters()"> '
              '(µm², or px without a scale)</label>',
              '<label>score at least <input id="f-score" type="number" step="0.05" value="0" '
              'oninput="applyFilters()"></label> <span id="shown"></span> shown</p>',
              '<table id="flakes"><thead><tr>']
    parts += [f'<th onclick="sortBy({i}, {json.dumps(numeric)})">{esc(name)}</th>'
              for i, (name, numeric) in enumerate(COLUMNS)]
    parts.append('</tr></thead><tbody>')
    for number, flake in enumerate(flakes, 1):
        area = flake['area_um2'] if flake['area_um2'] is not None else flake['area_px']
        cells = [str(number), esc(osp.basename(flake['image'])), esc(flake['thickness']),
                 esc(flake['material'] or ''), _cell(flake['score'], 3), str(flake['area_px']),
                 _cell(flake['area_um2'], 2), *(_cell(v, 1) for v in flake['centroid_xy']),
                 *(_cell(v, 3) for v in flake['contrast_rgb'])]
        parts.append(f'<tr data-thickness="{esc(flake["thickness"])}" data-area="{area}" '
                     f'data-score="{flake["score"]}">'
                     + ''.join(f'<td class="text">{c}</td>' if i in (1, 2, 3) else f'<td>{c}</td>'
                               for i, c in enumerate(cells)) + '</tr>')
    parts.append('</tbody></table>')
    parts.append(f'<h2>Errors</h2><p>{len(errors)} images could not be read.</p><ul>')
    parts += [f'<li>{esc(path)}: {esc(reason)}</li>' for path, reason in errors.items()]
    parts.append('</ul></body></html>')
    path = osp.join(out_dir, 'report.html')
    with open(path, 'w', encoding='utf-8') as f:
        f.write('\n'.join(parts))
    return path

"""tools/hunting/hunt.py as a user runs it: overlays, CSV and JSON that parse, filters, resume, corrupt
images."""
import base64
import csv
import json
import os
from html.parser import HTMLParser

import mmcv
import numpy as np
from browser import browser_page, image_states, visible_rows
from conftest import SYNTHETIC_CONFIG
from helpers import run_in_process, run_tool


class ReportParser(HTMLParser):
    """Counts the flake table's body rows and collects the gallery's image sources and the text."""

    def __init__(self):
        super().__init__()
        self.rows, self.images, self.text, self.in_body = 0, [], '', False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.in_body = self.in_body or tag == 'tbody'
        self.rows += tag == 'tr' and self.in_body
        if tag == 'img':
            self.images.append(attrs.get('src', ''))

    def handle_endtag(self, tag):
        self.in_body = self.in_body and tag != 'tbody'

    def handle_data(self, data):
        self.text += data


def test_hunt_a_folder_with_a_corrupt_image_then_resume(random_checkpoint, tmp_path):
    folder = tmp_path / 'chips'
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in ('a.png', 'b.jpg', 'a.jpg'):  # a.png and a.jpg: two images, two results
        mmcv.imwrite((rng.random((120, 160, 3)) * 255).astype(np.uint8), str(folder / name))
    (folder / 'c.png').write_bytes(b'\x89PNG broken')
    (folder / 'empty.jpg').write_bytes(b'')
    (folder / 'notes.tif').write_text('not an image at all')
    out = tmp_path / 'run'
    command = ['tools/hunting/hunt.py', SYNTHETIC_CONFIG, random_checkpoint, str(folder), '--out', str(out),
               '--score-thr', '0', '--microns-per-pixel', '0.5', '--material', 'graphene',
               '--classes', 'mono', 'few']
    result = run_tool(*command)
    assert result.returncode == 1, result.stderr[-2000:]  # some image failed: said by the exit status
    assert 'c.png: not a readable image' in result.stderr and '3 images hunted' in result.stdout
    overlays = sorted(os.listdir(out / 'overlays'))
    assert [name.rsplit('__', 1)[0] for name in overlays] == ['chips__a.jpg', 'chips__a.png', 'chips__b.jpg']
    errors = json.loads((out / 'errors.json').read_text())
    assert sorted(errors) == [str(folder / n) for n in ('c.png', 'empty.jpg', 'notes.tif')]
    assert errors[str(folder / 'empty.jpg')] == 'an empty file'
    flakes = json.loads((out / 'flakes.json').read_text())
    rows = list(csv.DictReader(open(out / 'flakes.csv')))
    assert len(rows) == len(flakes) > 0
    assert {r['thickness'] for r in rows} <= {'mono', 'few'} and {r['material'] for r in rows} == {'graphene'}
    for row, flake in zip(rows, flakes):
        assert float(row['area_um2']) == float(f'{flake["area_px"] * 0.25:.3f}')
    scores = [f['score'] for f in flakes]
    assert scores == sorted(scores, reverse=True)

    report = ReportParser()
    report.feed((out / 'report.html').read_text())
    assert report.rows == len(flakes) and 0 < len(report.images) <= 24
    for source in report.images:  # the gallery's pictures are embedded PNGs that decode
        assert source.startswith('data:image/png;base64,')
        png = base64.b64decode(source.split(',', 1)[1])
        assert mmcv.imfrombytes(png) is not None
    assert 'c.png: not a readable image' in report.text
    with browser_page(out / 'report.html') as page:  # as a person opens it: every row shown, pictures load
        assert len(visible_rows(page)) == len(flakes)
        states = image_states(page)
        assert len(states) == len(report.images) and all(done and w > 0 for done, w, _ in states)

    again = run_tool(*command)  # resumed: nothing recomputed, the same table
    assert '0 images hunted, 3 already done' in again.stdout and again.returncode == 1
    assert json.loads((out / 'flakes.json').read_text()) == flakes

    other = [*command[:-3], '--classes', 'mono']  # other settings into the same folder: refused, kept
    refused = run_in_process(*other)
    assert refused.returncode == 2 and 'other settings (classes)' in refused.stderr
    assert json.loads((out / 'flakes.json').read_text()) == flakes
    replaced = run_in_process(*other, '--overwrite')
    assert replaced.returncode == 1 and '3 images hunted, 0 already done' in replaced.stdout
    assert {f['thickness'] for f in json.loads((out / 'flakes.json').read_text())} <= {'mono'}


def test_same_names_in_two_folders_are_two_results(random_checkpoint, tmp_path):
    rng = np.random.default_rng(1)
    for chip in ('c1', 'c2'):
        (tmp_path / chip / 'img').mkdir(parents=True)
        mmcv.imwrite((rng.random((64, 64, 3)) * 255).astype(np.uint8), str(tmp_path / chip / 'img' / 'x.jpg'))
    result = run_in_process('tools/hunting/hunt.py', SYNTHETIC_CONFIG, random_checkpoint,
                            str(tmp_path / 'c*' / 'img' / 'x.jpg'), '--out', str(tmp_path / 'run'))
    assert result.returncode == 0 and '2 images hunted, 0 already done' in result.stdout, result.stderr
    assert len(os.listdir(tmp_path / 'run' / 'images')) == 2


def test_a_second_run_into_a_locked_folder_is_refused(random_checkpoint, tmp_path):
    from qmat.apps.hunt_folder import run_lock
    image = tmp_path / 'a.png'
    mmcv.imwrite(np.zeros((32, 32, 3), np.uint8), str(image))
    with run_lock(str(tmp_path / 'run')):
        result = run_in_process('tools/hunting/hunt.py', SYNTHETIC_CONFIG, random_checkpoint, str(image),
                                '--out', str(tmp_path / 'run'))
    assert result.returncode == 2 and 'another hunt is writing into' in result.stderr
    assert not (tmp_path / 'run' / 'images').exists()


def test_hunt_bad_options_are_one_line(random_checkpoint, tmp_path):
    result = run_in_process('tools/hunting/hunt.py', SYNTHETIC_CONFIG, random_checkpoint, str(tmp_path),
                            '--out', str(tmp_path / 'o'), '--min-area-um2', '5')
    assert result.returncode == 2 and 'error: --min-area-um2 needs --microns-per-pixel' in result.stderr
    result = run_in_process('tools/hunting/hunt.py', SYNTHETIC_CONFIG, random_checkpoint,
                            str(tmp_path / 'none'), '--out', str(tmp_path / 'o'))
    assert result.returncode == 2 and 'error: no images found' in result.stderr
    (tmp_path / 'file').write_text('')
    mmcv.imwrite(np.zeros((8, 8, 3), np.uint8), str(tmp_path / 'a.png'))
    for options, message in ((['--out', str(tmp_path / 'file')], 'is a file, not a folder'),
                             (['--out', str(tmp_path / 'o'), '--microns-per-pixel', '-1'], 'must be > 0'),
                             (['--out', str(tmp_path / 'o'), '--classes', 'monolayer'],
                              "['monolayer'] are not")):
        result = run_in_process('tools/hunting/hunt.py', SYNTHETIC_CONFIG, random_checkpoint,
                                str(tmp_path / 'a.png'), *options)
        assert result.returncode == 2 and message in result.stderr, (options, result.stderr[-500:])
    assert not (tmp_path / 'o' / 'images').exists()

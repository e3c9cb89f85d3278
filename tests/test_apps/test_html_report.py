"""The hunt report in a real browser (headless Chromium): the table renders, its pictures load, and its
sorting and filters do what the page says."""
import mmcv
import numpy as np
from browser import browser_page, image_states, visible_rows

from qmat.apps import result_name, write_html_report


def flake(image, thickness, score, area_px, bbox):
    return dict(image=image, thickness=thickness, material='graphene', score=score, area_px=area_px,
                area_um2=area_px * 0.25, bbox=bbox, centroid_xy=[1.0, 2.0], contrast_rgb=[-0.1, -0.05, None])


def write_run(tmp_path):
    """An out dir as tools/hunting/hunt.py leaves it: two overlays, three flakes (best first), one error."""
    (tmp_path / 'overlays').mkdir()
    for name in ('a.png', 'b.png'):
        picture = np.full((60, 80, 3), 40, np.uint8)
        picture[10:30, 20:50] = (0, 200, 0)
        mmcv.imwrite(picture, str(tmp_path / 'overlays' / (result_name(f'/chips/{name}') + '.png')))
    flakes = [flake('/chips/a.png', 'mono', 0.9, 400, [20, 10, 50, 30]),
              flake('/chips/b.png', 'bulk', 0.7, 1200, [0, 0, 79, 59]),
              flake('/chips/a.png', 'few', 0.4, 80, [5, 5, 15, 15])]
    return write_html_report(str(tmp_path), flakes, {'/chips/c.png': 'not a readable image'})


def test_report_renders_in_chromium_with_pictures_sorting_and_filters(tmp_path):
    with browser_page(write_run(tmp_path)) as page:
        rows = visible_rows(page)
        assert [r[0] for r in rows] == ['1', '2', '3'] and [r[2] for r in rows] == ['mono', 'bulk', 'few']
        assert page.text_content('#shown') == '3'
        states = image_states(page)
        assert len(states) == 3 and all(done and (w, h) > (0, 0) for done, w, h in states), states
        # The first gallery picture is the flake's crop of its overlay (box plus 24 px, clipped): 74 x 54.
        assert states[0][1:] == [74, 54]
        assert 'not a readable image' in page.text_content('body')

        page.click('th:has-text("area px")')  # ascending, then descending on a second click
        assert [r[5] for r in visible_rows(page)] == ['80', '400', '1200']
        page.click('th:has-text("area px")')
        assert [r[5] for r in visible_rows(page)] == ['1200', '400', '80']

        page.select_option('#f-class', 'mono')
        assert [r[2] for r in visible_rows(page)] == ['mono'] and page.text_content('#shown') == '1'
        page.select_option('#f-class', '')
        page.fill('#f-score', '0.5')
        assert sorted(r[4] for r in visible_rows(page)) == ['0.700', '0.900']
        page.fill('#f-area', '200')  # µm²: 400 px x 0.25 = 100 µm² is filtered out, 300 µm² stays
        assert [r[2] for r in visible_rows(page)] == ['bulk'] and page.text_content('#shown') == '1'

"""Open a page in headless Chromium (Playwright driving the system's Chromium) for the report tests.

CI installs Chromium (Debian's package) and Playwright (qmat's [dev] extra) and sets QMAT_REQUIRE_BROWSER=1,
so that a missing browser fails there instead of skipping.
"""
import os
import shutil
from contextlib import contextmanager

import pytest

BROWSERS = ('chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable')
# This machine's network is closed: without these, Chromium keeps trying to reach Google's hosts.
QUIET_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
               '--disable-background-networking', '--disable-component-update', '--disable-sync']


def chromium_path():
    found = next((path for path in map(shutil.which, BROWSERS) if path), None)
    if found is None:
        message = f'no Chromium on PATH (looked for {", ".join(BROWSERS)}; Debian: apt-get install chromium)'
        if os.environ.get('QMAT_REQUIRE_BROWSER') == '1':
            pytest.fail(message)
        pytest.skip(message)
    return found


@contextmanager
def browser_page(path):
    """A Playwright page with ``path`` (a local HTML file) loaded, its scripts run and its images done."""
    if os.environ.get('QMAT_REQUIRE_BROWSER') == '1':
        from playwright.sync_api import sync_playwright
    else:
        sync_playwright = pytest.importorskip('playwright.sync_api').sync_playwright
    executable = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=QUIET_FLAGS)
        try:
            page = browser.new_page()
            errors = []
            page.on('pageerror', lambda error: errors.append(str(error)))
            page.goto(f'file://{os.path.abspath(path)}', wait_until='load')
            assert not errors, f'script errors in {path}: {errors}'
            yield page
        finally:
            browser.close()


def visible_rows(page):
    """The flake table's rows that are shown, as lists of cell texts."""
    return page.eval_on_selector_all(
        '#flakes tbody tr',
        'rows => rows.filter(r => getComputedStyle(r).display !== "none")'
        '.map(r => Array.from(r.cells, c => c.textContent))')


def image_states(page):
    """(complete, naturalWidth, naturalHeight) of every <img>: a picture that failed to load has width 0."""
    return page.eval_on_selector_all('img',
                                     'imgs => imgs.map(i => [i.complete, i.naturalWidth, i.naturalHeight])')

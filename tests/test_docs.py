"""The README and docs/: the README is a front door of at most 10,000 characters, every relative link and
anchor leads somewhere, and user docs carry no commit hashes and no words of the project's issues."""
import glob
import os.path as osp
import re

import pytest
from helpers import REPO

DOCS = sorted(glob.glob(osp.join(REPO, 'docs', '*.md'))) + [osp.join(REPO, 'README.md')]


def slug(heading: str) -> str:
    """GitHub's anchor of a markdown heading."""
    text = re.sub(r'[^\w\- ]', '', heading.strip().lower().replace('`', ''))
    return text.replace(' ', '-')


def anchors(path: str) -> set:
    with open(path, encoding='utf-8') as f:
        return {slug(line.lstrip('#')) for line in f if line.startswith('#')}


def test_slug_is_githubs():
    assert slug(' Quick start (the README\'s main job)') == 'quick-start-the-readmes-main-job'
    assert slug(' Re-measured (one seed, 0 % and 50 %)') == 're-measured-one-seed-0--and-50-'


def test_readme_is_a_front_door():
    text = open(osp.join(REPO, 'README.md'), encoding='utf-8').read()
    size = len(text.encode('utf-8'))  # bytes, as `wc -c` counts them: ± and µ take two
    assert size <= 10000, size
    assert '![' in text  # a picture of what qmat does


@pytest.mark.parametrize('path', DOCS, ids=lambda p: osp.relpath(p, REPO))
def test_links_lead_somewhere(path):
    text = open(path, encoding='utf-8').read()
    for target in re.findall(r'\]\(([^)\s]+)\)', text):
        if re.match(r'[a-z]+://', target):
            continue
        file, _, anchor = target.partition('#')
        linked = osp.normpath(osp.join(osp.dirname(path), file)) if file else path
        assert osp.exists(linked), f'{osp.relpath(path, REPO)}: {target}'
        if anchor:
            assert anchor in anchors(linked), f'{osp.relpath(path, REPO)}: {target}'


@pytest.mark.parametrize('path', DOCS, ids=lambda p: osp.relpath(p, REPO))
def test_no_commit_hashes_or_issue_words(path):
    text = open(path, encoding='utf-8').read()
    assert not re.search(r'\bcommit [0-9a-f]{7,}', text), path
    assert not re.search(r'\bcheck out [0-9a-f]{7,}', text), path
    assert not re.search(r'\bissue\b|\bissue\'s\b', text, re.IGNORECASE), path

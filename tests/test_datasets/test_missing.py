"""Missing-annotation simulation: the asked fraction, the policies' biases, seeded, recorded."""
import json
import os

import numpy as np
import pytest
from helpers import run_tool

from qmat.datasets.missing import POLICIES, drop_annotations, size_quartiles, write_dropped
from qmat.utils import UserInputError


def make_coco(n=400, seed=0):
    rng = np.random.default_rng(seed)
    annotations = [dict(id=i + 1, image_id=1, category_id=int(rng.integers(1, 4)),
                        area=float(rng.integers(10, 5000)), layers=int(rng.integers(1, 40)),
                        contrast=float(rng.uniform(0.01, 0.6))) for i in range(n)]
    return dict(images=[dict(id=1, file_name='a.png', width=10, height=10)], annotations=annotations,
                categories=[dict(id=1, name='mono'), dict(id=2, name='few'), dict(id=3, name='thick')])


@pytest.mark.parametrize('policy', sorted(POLICIES))
@pytest.mark.parametrize('fraction', [0.0, 0.3, 0.5, 1.0])
def test_removes_exactly_the_asked_fraction(policy, fraction):
    coco = make_coco()
    kept, removed = drop_annotations(coco, fraction, policy, seed=1)
    assert len(removed) == round(fraction * 400) and len(kept['annotations']) + len(removed) == 400
    assert {a['id'] for a in kept['annotations']}.isdisjoint(a['id'] for a in removed)
    assert len(coco['annotations']) == 400 and kept['images'] == coco['images']


@pytest.mark.parametrize('policy,key,direction', [('small', 'area', -1), ('thin', 'layers', -1),
                                                    ('low_contrast', 'contrast', -1)])
def test_biased_policies_remove_what_they_say(policy, key, direction):
    coco = make_coco()
    _, removed = drop_annotations(coco, 0.3, policy, seed=2)
    _, uniform = drop_annotations(coco, 0.3, 'uniform', seed=2)
    everything = np.mean([a[key] for a in coco['annotations']])
    biased = np.mean([a[key] for a in removed])
    assert direction * (biased - everything) > 0.2 * everything  # clearly skewed
    assert abs(np.mean([a[key] for a in uniform]) - everything) < 0.2 * everything


def test_annotator_policy_is_the_geometric_mean_of_small_thin_and_faint():
    coco = make_coco()
    names = {c['id']: c['name'] for c in coco['categories']}
    anns = coco['annotations']
    expected = np.array([(1 / a['area'] / a['layers'] / a['contrast']) ** (1 / 3) for a in anns])
    np.testing.assert_allclose(POLICIES['annotator'](anns, names), expected, rtol=1e-12)
    _, removed = drop_annotations(coco, 0.3, 'annotator', seed=2)
    for key in ('area', 'layers', 'contrast'):  # biased to all three at once
        assert np.mean([a[key] for a in removed]) < np.mean([a[key] for a in anns])


def test_seeded():
    coco = make_coco()
    ids = [[a['id'] for a in drop_annotations(coco, 0.3, 'small', seed=s)[1]] for s in (4, 4, 5)]
    assert ids[0] == ids[1] != ids[2]


def test_bad_values_are_named():
    with pytest.raises(UserInputError, match='fraction'):
        drop_annotations(make_coco(), 1.5)
    with pytest.raises(UserInputError, match='policy'):
        drop_annotations(make_coco(), 0.5, 'lazy')
    coco = make_coco()
    del coco['annotations'][3]['contrast']
    with pytest.raises(UserInputError, match='annotation id 4'):
        drop_annotations(coco, 0.5, 'low_contrast')


def test_tool_writes_the_dropped_file_and_the_record(tmp_path):
    src = tmp_path / 'complete.json'
    src.write_text(json.dumps(make_coco()))
    out = tmp_path / 'dropped' / 'instances_train2019.json'
    result = run_tool('tools/data_tools/drop_annotations.py', str(src), str(out), '--fraction', '0.5',
                      '--policy', 'thin')
    assert result.returncode == 0, result.stderr
    kept = json.loads(out.read_text())
    record = json.loads((tmp_path / 'dropped' / 'instances_train2019.removed.json').read_text())
    assert len(kept['annotations']) == 200 and len(record['removed_ids']) == 200
    assert record['policy'] == 'thin' and record['source'] == str(src)
    all_ids = {a['id'] for a in make_coco()['annotations']}
    assert {a['id'] for a in kept['annotations']} | set(record['removed_ids']) == all_ids
    assert json.loads(src.read_text()) == make_coco()  # the input is untouched
    # make_coco's instances have no boxes, so no sizes
    assert "kept instances' size (square root of the box area, px), quartiles: none" in result.stdout


def test_no_spelling_of_the_input_is_overwritten(tmp_path):
    """The output or its removal record named as the input directly, relatively, through a symlink to the
    file or to its folder, or as a hard link: refused before anything is written."""
    folder = tmp_path / 'data'
    folder.mkdir()
    src = folder / 'complete.json'
    src.write_text(json.dumps(make_coco()))
    original = src.read_bytes()
    (tmp_path / 'link.json').symlink_to(src)
    (tmp_path / 'linked_folder').symlink_to(folder)
    os.link(src, tmp_path / 'hard.json')
    record_of_input = folder / 'y.removed.json'  # an input whose name is another output's record
    record_of_input.write_bytes(original)
    cases = [(src, src), (src, folder / '..' / 'data' / 'complete.json'), (src, tmp_path / 'link.json'),
             (src, tmp_path / 'linked_folder' / 'complete.json'), (src, tmp_path / 'hard.json'),
             (record_of_input, folder / 'y.json')]
    cwd = os.getcwd()
    try:
        os.chdir(tmp_path)
        cases.append((src, 'data/complete.json'))
        for source, output in cases:
            with pytest.raises(UserInputError, match='would overwrite the input'):
                write_dropped(str(source), str(output), 0.5, 'uniform', 0)
    finally:
        os.chdir(cwd)
    assert src.read_bytes() == original and record_of_input.read_bytes() == original
    assert not (folder / 'y.json').exists() and sorted(p.name for p in folder.iterdir()) == [
        'complete.json', 'y.removed.json']


def test_removed_instances_can_stay_as_ignored(tmp_path):
    src = tmp_path / 'complete.json'
    src.write_text(json.dumps(make_coco()))
    out = tmp_path / 'audit.json'
    record_path, kept, removed = write_dropped(str(src), str(out), 0.25, 'small', 3, keep_as_ignored=True)
    written = json.loads(out.read_text())
    record = json.loads(open(record_path).read())
    assert (kept, removed) == (300, 100) and len(written['annotations']) == 400 and record['kept_as_ignored']
    crowd = {a['id'] for a in written['annotations'] if a.get('iscrowd') == 1}
    assert crowd == set(record['removed_ids'])


def test_size_quartiles_of_kept_and_removed_instances(tmp_path):
    # sizes (square root of the box area) 2, 4, 4, 6 and 8 px; linear interpolation gives 4 / 4 / 6
    boxes = [[0, 0, 2, 2], [1, 1, 4, 4], [0, 0, 2, 8], [0, 0, 6, 6], [3, 3, 8, 8]]
    annotations = [dict(id=i + 1, bbox=b) for i, b in enumerate(boxes)]
    assert size_quartiles(annotations) == pytest.approx([4, 4, 6])
    assert size_quartiles([]) is None and size_quartiles([dict(id=1, area=4.0)]) is None
    coco = make_coco(n=20)
    for ann in coco['annotations']:
        side = ann['area'] ** 0.5
        ann['bbox'] = [0, 0, side, side]
    src, out = tmp_path / 'complete.json', tmp_path / 'half.json'
    src.write_text(json.dumps(coco))
    result = run_tool('tools/data_tools/drop_annotations.py', str(src), str(out), '--fraction', '0.5',
                      '--policy', 'small')
    assert result.returncode == 0, result.stderr
    record = json.loads((tmp_path / 'half.removed.json').read_text())
    removed_ids = set(record['removed_ids'])
    for name, chosen in (('kept', False), ('removed', True)):
        sides = [a['area'] ** 0.5 for a in coco['annotations'] if (a['id'] in removed_ids) == chosen]
        expected = np.percentile(sides, [25, 50, 75])
        assert record['size_quartiles'][name] == pytest.approx(expected)
        printed = ' / '.join(f'{q:.1f}' for q in expected)
        assert f"{name} instances' size (square root of the box area, px), quartiles: {printed}" \
            in result.stdout
    # the small policy removes the small ones
    assert record['size_quartiles']['removed'][1] < record['size_quartiles']['kept'][1]

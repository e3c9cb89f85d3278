"""FlakeHunter: equal to mmdet's whole-image inference where the image fits; a flake across tile borders
comes out once and whole; physical units; unreadable files named."""
import mmcv
import numpy as np
import pytest
import torch
from conftest import SYNTHETIC_CONFIG
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

from qmat.apis import FlakeHunter

# files that exist, for the hunter's input checks; the faked init_detector never reads them
FAKE_FILES = (SYNTHETIC_CONFIG, __file__)


def test_an_image_that_fits_gives_mmdets_own_inference(random_checkpoint):
    from mmdet.apis import inference_detector, init_detector
    image = (np.random.default_rng(0).random((200, 240, 3)) * 255).astype(np.uint8)
    # The hunter filters by score before the mask head; mmdet's own model (score_thr 0.05) after it.
    hunter = FlakeHunter(SYNTHETIC_CONFIG, random_checkpoint, score_thr=0.26, tile=256, overlap=64)
    assert hunter.model.roi_head.test_cfg.score_thr == 0.26
    flakes = hunter.hunt(image)
    model = init_detector(SYNTHETIC_CONFIG, random_checkpoint, device='cpu')
    plain = inference_detector(model, image).pred_instances
    assert 0 < (plain.scores >= 0.26).sum() < len(plain)  # the threshold removes some, not all
    plain = plain[plain.scores >= 0.26]
    assert len(flakes) == len(plain) > 0
    order = torch.argsort(plain.scores, descending=True, stable=True)
    np.testing.assert_allclose([f['bbox'] for f in flakes], plain.bboxes[order].numpy(), rtol=1e-6)
    np.testing.assert_allclose([f['score'] for f in flakes], plain.scores[order].numpy(), rtol=1e-6)
    assert {f['thickness'] for f in flakes} <= {'mono', 'few', 'thick'}
    masks = plain.masks[order].numpy()
    assert [f['area_px'] for f in flakes] == [int(m.sum()) for m in masks]
    centroids = [np.nonzero(m)[::-1] for m in masks]
    np.testing.assert_allclose([f['centroid_xy'] for f in flakes],
                               [(xs.mean(), ys.mean()) for xs, ys in centroids], rtol=1e-9)


class BrightSquareDetector:
    """Stands in for a network: in each crop it detects the pixels of value 255 as one flake."""
    dataset_meta = dict(classes=('mono', 'few', 'thick'))

    def __call__(self, model, crop):
        bright = (crop == 255).all(axis=2)
        result = DetDataSample()
        ys, xs = np.nonzero(bright)
        boxes = [[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]] if len(xs) else []
        result.pred_instances = InstanceData(
            bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
            scores=torch.ones(len(boxes)), labels=torch.zeros(len(boxes), dtype=torch.long),
            masks=torch.from_numpy(bright[None] if len(xs) else np.zeros((0, *bright.shape), bool)))
        return result


class OffCentreDetector(BrightSquareDetector):
    """Like BrightSquareDetector, but its box is shifted ``shift`` px along x towards the crop's centre
    (negative: away from it), as a network's box depends on the context it sees."""

    def __init__(self, shift):
        self.shift = shift

    def __call__(self, model, crop):
        result = super().__call__(model, crop)
        boxes = result.pred_instances.bboxes
        if len(boxes):
            towards = np.sign(crop.shape[1] / 2 - float(boxes[0, 0] + boxes[0, 2]) / 2)
            boxes[:, [0, 2]] += towards * self.shift
        return result


@pytest.mark.parametrize('shift', [4, -4])
def test_a_flake_on_a_cut_whose_boxes_differ_between_tiles_is_found_once(monkeypatch, shift):
    """Centred on the cut between the first two 256 px tiles (x = 206): shifted towards their centres both
    boxes lie in their own tile's core (a duplicate by the core rule alone), shifted away neither does
    (a lost flake)."""
    import mmdet.apis
    detector = OffCentreDetector(shift)
    monkeypatch.setattr(mmdet.apis, 'init_detector', lambda *args, **kwargs: detector)
    monkeypatch.setattr('qmat.apis.hunter.check_checkpoint_fits', lambda *args: None)  # no real weights
    monkeypatch.setattr(mmdet.apis, 'inference_detector', detector)
    image = np.full((600, 700, 3), 120, np.uint8)
    image[40:80, 176:236] = 255
    hunter = FlakeHunter(*FAKE_FILES, tile=256, overlap=100)
    flakes = hunter.hunt(image)
    assert len(flakes) == 1 and flakes[0]['area_px'] == 40 * 60
    assert abs(flakes[0]['bbox'][0] - 176) == 4


@pytest.fixture
def fake_network(monkeypatch):
    import mmdet.apis
    detector = BrightSquareDetector()
    monkeypatch.setattr(mmdet.apis, 'init_detector', lambda *args, **kwargs: detector)
    monkeypatch.setattr('qmat.apis.hunter.check_checkpoint_fits', lambda *args: None)  # no real weights
    monkeypatch.setattr(mmdet.apis, 'inference_detector', detector)


def test_a_flake_across_tile_borders_is_found_once_and_whole(fake_network):
    image = np.full((600, 700, 3), 120, np.uint8)
    image[230:290, 240:330] = 255  # 90 x 60 px, across the cuts of 256 px tiles stepping by 156
    hunter = FlakeHunter(*FAKE_FILES, tile=256, overlap=100, microns_per_pixel=0.2)
    flakes = hunter.hunt(image)
    assert len(flakes) == 1
    assert flakes[0]['bbox'] == [240, 230, 330, 290]
    assert flakes[0]['area_px'] == 90 * 60 and flakes[0]['area_um2'] == pytest.approx(90 * 60 * 0.04)
    import pycocotools.mask as mask_utils
    assert mask_utils.area(flakes[0]['segmentation']) == 90 * 60
    assert flakes[0]['contrast_rgb'] == pytest.approx([(120 - 255) / 120] * 3)
    without_overlap = FlakeHunter(*FAKE_FILES, tile=256, overlap=0).hunt(image)
    # without overlap the tile borders at 256 px cut it into four pieces: why the overlap matters
    assert len(without_overlap) == 4 and sum(f['area_px'] for f in without_overlap) == 90 * 60


def test_unreadable_file_is_named(fake_network, tmp_path):
    broken = tmp_path / 'chip_07.png'
    broken.write_bytes(b'not a png')
    with pytest.raises(ValueError, match='chip_07.png: not a readable image'):
        FlakeHunter(*FAKE_FILES).hunt(str(broken))
    good = tmp_path / 'chip_08.png'
    mmcv.imwrite(np.full((64, 64, 3), 120, np.uint8), str(good))
    assert FlakeHunter(*FAKE_FILES).hunt(str(good)) == []

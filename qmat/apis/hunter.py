"""Flake hunting: a trained detector over micrographs of any size, flakes out with physical measurements.

:class:`FlakeHunter` loads a config and checkpoint once (mmdet's ``init_detector``) and turns one micrograph
into a list of flakes: thickness class, material, score, box, mask (COCO RLE), area in pixels and square
micrometres, centroid and optical contrast. Images larger than ``tile`` are cut into overlapping tiles
(:mod:`qmat.apis.tiling`); each flake is kept from the one tile whose core holds its centre, and
overlapping detections of one flake from neighbouring tiles are reduced to one. What lies mostly in the
image's dark frame (:mod:`qmat.apis.dark_frame`) is dropped.
"""
import os.path as osp
from typing import List, Optional, Union

import mmcv
import numpy as np
import pycocotools.mask as mask_utils
import torch

from qmat.engine.checkpoint import check_checkpoint_fits
from qmat.utils import UserInputError

from .dark_frame import dark_frame
from .measure import window_flake_measurements
from .tiling import cross_window_duplicates, cut_by_edge, in_core, tile_windows


class FlakeHunter:
    """Find and measure flakes with a trained qmat/mmdet detector.

    Args:
        config: Config file of the model.
        checkpoint: Its checkpoint (loaded with ``weights_only=True``).
        device: ``'cpu'``, ``'cuda:0'``, ...
        score_thr: Flakes below this score are dropped.
        microns_per_pixel: Image scale, for areas in square micrometres (None: pixels only).
        material: Material name written on every flake (the classes are thickness classes).
        tile: Tile size in pixels for large images (None: the whole image at once).
        overlap: Pixels shared by neighbouring tiles; at least the largest flake's size.
        keep_dark_frame: Keep detections that lie mostly in the image's dark frame (a black band or
            corners), which are dropped by default.

    Raises:
        UserInputError: A file does not exist or a value is out of range (a ValueError, named in one line).
    """

    def __init__(self, config: str, checkpoint: str, device: str = 'cpu', score_thr: float = 0.3,
                 microns_per_pixel: Optional[float] = None, material: Optional[str] = None,
                 tile: Optional[int] = None, overlap: int = 256, keep_dark_frame: bool = False) -> None:
        from mmdet.apis import init_detector

        for path, what in ((config, 'config'), (checkpoint, 'checkpoint')):
            if not osp.isfile(path):
                raise UserInputError(f'{what} {path} does not exist')
        if not 0 <= score_thr <= 1:
            raise UserInputError(f'score_thr must be in [0, 1], got {score_thr}')
        if microns_per_pixel is not None and not microns_per_pixel > 0:
            raise UserInputError(f'microns_per_pixel must be > 0, got {microns_per_pixel}')
        if tile is not None and not 0 <= overlap < tile:
            raise UserInputError(f'tiling needs 0 <= overlap < tile, got overlap {overlap} and tile {tile}')
        if device.startswith('cuda') and not torch.cuda.is_available():
            raise UserInputError(f'device {device}: torch sees no CUDA GPU here (use --device cpu)')
        self.config_path, self.checkpoint_path = config, checkpoint
        self.model = init_detector(config, checkpoint, device=device)
        check_checkpoint_fits(self.model, checkpoint)
        # Detections under score_thr are dropped anyway: filtered before the mask head, they cost no mask
        # prediction and no full-size paste (most of a tile's 100 detections on the CPU). NMS and the
        # per-image cap keep the same detections above the threshold.
        roi_test_cfg = getattr(getattr(self.model, 'roi_head', None), 'test_cfg', None)
        if roi_test_cfg is not None and roi_test_cfg.get('score_thr', 0) < score_thr:
            roi_test_cfg.score_thr = score_thr
        self.classes = self.model.dataset_meta['classes']
        self.score_thr, self.microns_per_pixel, self.material = score_thr, microns_per_pixel, material
        self.tile, self.overlap, self.keep_dark_frame = tile, overlap, keep_dark_frame

    def detect(self, image: np.ndarray) -> List[dict]:
        """Raw detections of a BGR image in image coordinates: ``box``, ``score``, ``label`` and ``mask``
        (a boolean array over ``window``, the tile it came from)."""
        from mmdet.apis import inference_detector

        height, width = image.shape[:2]
        if self.tile is None:  # the whole image at once
            windows, cores = tile_windows(height, width, max(height, width), 0)
        else:
            windows, cores = tile_windows(height, width, self.tile, self.overlap)
        detections, sources, owned = [], [], []
        for index, ((x0, y0, x1, y1), core) in enumerate(zip(windows, cores)):
            result = inference_detector(self.model, np.ascontiguousarray(image[y0:y1, x0:x1])).pred_instances
            result = result[result.scores >= self.score_thr]
            boxes = result.bboxes.cpu().numpy() + np.array([x0, y0, x0, y0], np.float32)
            # Also a quarter of the overlap around the core, so that a flake whose boxes from two windows
            # both miss their own cores is not lost (duplicates are resolved below); but not what the
            # window's edge cuts: a piece of a flake that the neighbouring window sees whole.
            own = in_core(boxes, core)
            cut = cut_by_edge(boxes, (x0, y0, x1, y1), width, height)
            near = own | (in_core(boxes, core, self.overlap / 4) & ~cut)
            masks = result.masks.cpu().numpy() if 'masks' in result else None
            for k in np.nonzero(near)[0]:
                detections.append(dict(box=boxes[k].tolist(), score=float(result.scores[k]),
                                       label=int(result.labels[k]), window=(x0, y0, x1, y1),
                                       mask=masks[k] if masks is not None else None))
                sources.append(index)
                owned.append(own[k])
        if len(windows) > 1 and detections:
            keep = cross_window_duplicates(np.array([d['box'] for d in detections]),
                                           np.array([d['score'] for d in detections]), np.array(sources),
                                           np.array(owned))
            detections = [d for d, kept in zip(detections, keep) if kept]
        return detections

    @staticmethod
    def outside_dark_frame(image: np.ndarray, detections: List[dict]) -> List[dict]:
        """The detections of which at most half (of the mask, else of the box) lies in the dark frame."""
        frame = dark_frame(image)
        if not frame.any():
            return detections
        kept = []
        for det in detections:
            if det['mask'] is not None:
                x0, y0, x1, y1 = det['window']
                mask = det['mask']
                inside = (frame[y0:y1, x0:x1] & mask).sum() / max(mask.sum(), 1)
            else:
                x0, y0, x1, y1 = (int(round(v)) for v in det['box'])
                inside = frame[max(y0, 0):y1, max(x0, 0):x1].mean() if y1 > y0 and x1 > x0 else 0.0
            if inside <= 0.5:
                kept.append(det)
        return kept

    def hunt(self, image: Union[str, np.ndarray]) -> List[dict]:
        """Flakes of one micrograph (a path, or a BGR array as mmcv reads it), best score first.

        Raises:
            UserInputError: The file cannot be read as an image.
        """
        path = image if isinstance(image, str) else None
        if path is not None:
            image = mmcv.imread(path)
            if image is None:
                raise UserInputError(f'{path}: not a readable image')
        height, width = image.shape[:2]
        detections = self.detect(image)
        if not self.keep_dark_frame:
            detections = self.outside_dark_frame(image, detections)
        occupied = np.zeros((height, width), bool)
        for det in detections:
            if det['mask'] is not None:
                x0, y0, x1, y1 = det['window']
                occupied[y0:y1, x0:x1] |= det['mask']
        rgb = mmcv.bgr2rgb(image)
        flakes = []
        for det in detections:  # one whole-image mask at a time: hundreds of them would not fit in memory
            x0, y0, x1, y1 = det['window']
            window_mask = det['mask'] if det['mask'] is not None else np.zeros((y1 - y0, x1 - x0), bool)
            full = np.zeros((height, width), np.uint8, order='F')
            full[y0:y1, x0:x1] = window_mask
            rle = mask_utils.encode(full)
            rle['counts'] = rle['counts'].decode('ascii')
            flakes.append(dict(
                image=path, thickness=self.classes[det['label']], material=self.material, score=det['score'],
                bbox=det['box'], segmentation=rle,
                **window_flake_measurements(rgb, window_mask, det['window'], occupied,
                                            self.microns_per_pixel)))
        return sorted(flakes, key=lambda flake: -flake['score'])

"""The dark frame of a micrograph: a black band or corners where the camera sees past the field stop or the
chip's edge. Nothing there is a flake, whatever a detector says; :class:`~qmat.apis.FlakeHunter` drops what
lies in it. The rule (much darker than the image's median, touching its border, at least 0.3 % of it) also
takes in a fibre or hair lying across the image, which is no flake either."""
import cv2
import numpy as np

# darker than this fraction of the image's median brightness (brightest channel), and touching the border
DARK_FRACTION = 0.35
# a frame covers at least this share of the image: smaller dark patches at the edge are dust or flakes
MIN_FRAME_SHARE = 0.003


def dark_frame(image: np.ndarray, step: int = 4) -> np.ndarray:
    """(H, W) bool mask of the dark frame of an image (H, W, 3), all False when it has none.

    Args:
        image: The micrograph, any channel order.
        step: Subsampling for speed (the frame's edge is found to within ``step`` pixels).
    """
    height, width = image.shape[:2]
    brightness = image[::step, ::step].max(axis=2)
    dark = (brightness < DARK_FRACTION * np.median(brightness)).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=4)
    border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    frame_labels = [label for label in border
                    if label and stats[label, cv2.CC_STAT_AREA] >= MIN_FRAME_SHARE * dark.size]
    small = np.isin(labels, frame_labels)
    if not small.any():
        return np.zeros((height, width), bool)
    return cv2.resize(small.astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST).astype(bool)

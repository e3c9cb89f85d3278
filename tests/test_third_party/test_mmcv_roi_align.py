"""mmcv's CPU RoIAlign as tools/setup_env.sh builds it, with qmat's threaded copy of its kernels
(third_party/mmcv-2.1.0): the installed sources are qmat's, forward and backward agree with an independent
bilinear RoIAlign written here in float64, and the threads change no bit of either."""
import hashlib
import math
import os.path as osp

import pytest
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
KERNEL = 'mmcv/ops/csrc/pytorch/cpu/roi_align.cpp'


def _sha256(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_installed_mmcv_carries_qmats_cpu_kernel():
    import mmcv
    installed = osp.join(osp.dirname(mmcv.__file__), '..', KERNEL)
    assert osp.isfile(installed), f'{installed}: mmcv installed without its sources'
    assert _sha256(installed) == _sha256(osp.join(ROOT, 'third_party', 'mmcv-2.1.0', KERNEL)), (
        'the installed mmcv was not built from third_party/mmcv-2.1.0: run tools/setup_env.sh')


def _sample(feature, y, x):
    """mmcv's bilinear sample of ``feature`` (H, W) at (y, x), with its border rules."""
    height, width = feature.shape
    if y < -1.0 or y > height or x < -1.0 or x > width:
        return feature.new_zeros(())
    y, x = max(y, 0.0), max(x, 0.0)
    y_low, x_low = int(y), int(x)
    if y_low >= height - 1:
        y_low = y_high = height - 1
        y = float(y_low)
    else:
        y_high = y_low + 1
    if x_low >= width - 1:
        x_low = x_high = width - 1
        x = float(x_low)
    else:
        x_high = x_low + 1
    ly, lx = y - y_low, x - x_low
    return ((1 - ly) * (1 - lx) * feature[y_low, x_low] + (1 - ly) * lx * feature[y_low, x_high]
            + ly * (1 - lx) * feature[y_high, x_low] + ly * lx * feature[y_high, x_high])


def reference_roi_align(features, rois, size, scale, sampling_ratio, aligned):
    """Average RoIAlign (He et al. 2017, as detectron2 and mmcv define it) one sample at a time."""
    out = []
    for batch_ind, *box in rois.tolist():
        start_x, start_y, end_x, end_y = (v * scale - (0.5 if aligned else 0.0) for v in box)
        roi_w, roi_h = end_x - start_x, end_y - start_y
        if not aligned:
            roi_w, roi_h = max(roi_w, 1.0), max(roi_h, 1.0)
        bin_h, bin_w = roi_h / size[0], roi_w / size[1]
        grid_h = sampling_ratio if sampling_ratio > 0 else math.ceil(roi_h / size[0])
        grid_w = sampling_ratio if sampling_ratio > 0 else math.ceil(roi_w / size[1])
        bins = torch.stack([torch.stack([
            torch.stack([
                sum(_sample(plane, start_y + ph * bin_h + (iy + 0.5) * bin_h / grid_h,
                            start_x + pw * bin_w + (ix + 0.5) * bin_w / grid_w)
                    for iy in range(grid_h) for ix in range(grid_w)) / max(grid_h * grid_w, 1)
                for pw in range(size[1])])
            for ph in range(size[0])]) for plane in features[int(batch_ind)]])
        out.append(bins)
    return torch.stack(out)


def _case(seed=0):
    generator = torch.Generator().manual_seed(seed)
    features = torch.randn(2, 3, 9, 11, generator=generator)
    # inside, across the right and bottom borders, partly outside on the top left, tiny, in the 2nd image
    rois = torch.tensor([[0, 1.0, 2.0, 30.0, 20.0], [0, 20.0, 15.0, 44.0, 36.0], [1, -6.0, -3.0, 10.0, 9.0],
                         [1, 12.0, 12.0, 13.5, 12.5], [1, 0.0, 0.0, 43.0, 35.0]])
    return features, rois, torch.randn(len(rois), 3, 3, 2, generator=generator)


@pytest.mark.parametrize('sampling_ratio,aligned', [(2, True), (0, True), (2, False)])
def test_roi_align_matches_an_independent_computation(sampling_ratio, aligned):
    from mmcv.ops import roi_align
    features, rois, upstream = _case()
    features.requires_grad_(True)
    output = roi_align(features, rois, (3, 2), 0.25, sampling_ratio, 'avg', aligned)
    output.backward(upstream)

    reference_input = features.detach().double().requires_grad_(True)
    expected = reference_roi_align(reference_input, rois.double(), (3, 2), 0.25, sampling_ratio, aligned)
    expected.backward(upstream.double())
    assert expected.abs().sum() > 0 and reference_input.grad.abs().sum() > 0
    torch.testing.assert_close(output.double(), expected, rtol=0, atol=1e-5)
    torch.testing.assert_close(features.grad.double(), reference_input.grad, rtol=0, atol=1e-5)


@pytest.mark.parametrize('pool_mode', ['avg', 'max'])
def test_roi_align_threads_change_no_bit(pool_mode):
    from mmcv.ops import roi_align
    generator = torch.Generator().manual_seed(1)
    # as many RoIs and channels as a CPU model's R-CNN step holds, where the work is split among threads
    features = torch.randn(2, 64, 40, 60, generator=generator)
    corners = torch.rand(300, 2, generator=generator) * torch.tensor([200.0, 130.0])
    sizes = torch.rand(300, 2, generator=generator) * 60 + 1
    images = torch.randint(0, 2, (300, 1), generator=generator).float()
    rois = torch.cat([images, corners, corners + sizes], 1)
    upstream = torch.randn(300, 64, 7, 7, generator=generator)
    threads = torch.get_num_threads()
    results = []
    try:
        for count in (1, 2, 3):
            torch.set_num_threads(count)
            inputs = features.clone().requires_grad_(True)
            output = roi_align(inputs, rois, (7, 7), 0.25, 2, pool_mode, True)
            output.backward(upstream)
            results.append((output, inputs.grad))
    finally:
        torch.set_num_threads(threads)
    for output, grad in results[1:]:
        assert torch.equal(output, results[0][0]) and torch.equal(grad, results[0][1])

# Baseline of the paper's Table 1 on WTe2: Mask R-CNN R101-FPN, 10k iterations, batch 48.
_base_ = [
    '../_base_/models/mask-rcnn_r101_fpn.py', '../_base_/datasets/wte2.py',
    '../_base_/schedules/schedule_10k.py', '../_base_/default_runtime.py'
]

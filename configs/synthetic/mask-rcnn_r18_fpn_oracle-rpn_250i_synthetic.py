# Diagnostic, not a method: the RPN ignores exactly the anchors that a complete annotation would not call
# background, those with IoU >= its neg_iou_thr (0.3) with a flake whose annotation was removed (kept as
# iscrowd=1 by tools/data_tools/drop_annotations.py --keep-as-ignored). A perfect false-negative detector that
# takes the missed flakes out of the RPN's background would do this.
_base_ = './mask-rcnn_r18_fpn_250i_synthetic.py'

model = dict(train_cfg=dict(rpn=dict(assigner=dict(type='IoUIgnoreAssigner'))))

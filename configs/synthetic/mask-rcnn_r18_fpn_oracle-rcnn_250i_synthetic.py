# Diagnostic, not a method: the R-CNN stage ignores exactly the proposals that a complete annotation would not
# call background, those with IoU >= its neg_iou_thr (0.5) with a flake whose annotation was removed (kept as
# iscrowd=1 by tools/data_tools/drop_annotations.py --keep-as-ignored). Beside the RPN oracles it shows which
# stage the missing annotations hurt; SASL does not act in this one.
_base_ = './mask-rcnn_r18_fpn_250i_synthetic.py'

model = dict(train_cfg=dict(rcnn=dict(assigner=dict(type='IoUIgnoreAssigner'))))

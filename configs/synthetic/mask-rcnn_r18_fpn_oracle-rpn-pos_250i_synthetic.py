# Diagnostic, not a method: the RPN learns the flakes whose annotations were removed as positives (kept as
# iscrowd=1 by tools/data_tools/drop_annotations.py --keep-as-ignored); the R-CNN stage does not see them. It
# is the ceiling of any rule that corrects the RPN's targets, soft labels included.
_base_ = './mask-rcnn_r18_fpn_250i_synthetic.py'

model = dict(rpn_head=dict(type='PositiveOracleRPNHead'))

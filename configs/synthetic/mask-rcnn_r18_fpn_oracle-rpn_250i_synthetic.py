# Diagnostic, not a method: the RPN ignores the anchors on the flakes whose annotations were removed (kept
# as iscrowd=1 by tools/drop_annotations.py --keep-as-ignored; mmdet's COCO-crowd rule: an anchor whose
# area lies at least half inside such a box is neither positive nor negative). It is what a perfect
# false-negative detector in the RPN would achieve by taking them out of the background, which is what
# SASL-RPN's soft labels aim at: an upper bound for RPN-side corrections in the missing-annotation study.
_base_ = './mask-rcnn_r18_fpn_250i_synthetic.py'

model = dict(train_cfg=dict(rpn=dict(assigner=dict(ignore_iof_thr=0.5))))

# Diagnostic, not a method: the R-CNN stage ignores the proposals on the flakes whose annotations were
# removed (kept as iscrowd=1 by tools/drop_annotations.py --keep-as-ignored; mmdet's COCO-crowd rule: a
# proposal at least half inside such a box is not sampled as background). Beside oracle-rpn, it shows which
# stage the missing annotations hurt: the bound for corrections in the second stage, where SASL does not act.
_base_ = './mask-rcnn_r18_fpn_250i_synthetic.py'

model = dict(train_cfg=dict(rcnn=dict(assigner=dict(ignore_iof_thr=0.5))))

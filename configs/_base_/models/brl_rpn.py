# The background recalibration loss (Zhang et al., ICASSP 2020) on the RPN objectness, as its authors apply
# it (qmat/models/dense_heads/brl_rpn_head.py): every anchor takes part (no sampler); positives and the
# normal negatives (IoU in [0.1, 0.3) with the nearest annotation) take the focal loss; the confusion
# anchors (IoU < 0.1 with every annotation) take the recalibrated loss at weight 0.1; all divided by the
# number of positives; the objectness starts from the focal prior 0.01. Configs merge both parts:
#   model = dict(rpn_head={{_base_.brl_rpn_head}}, train_cfg=dict(rpn={{_base_.brl_rpn_train_cfg}}))
brl_rpn_head = dict(
    type='BRLRPNHead',
    loss_cls=dict(_delete_=True, type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=1.0),
    loss_confusion=dict(type='BackgroundRecalibrationLoss', use_sigmoid=True, gamma_1=2.0, gamma_2=2.0,
                        alpha=0.25, thresh=0.5, beta=1.0, loss_weight=0.1))
# the RPN's positives and negative threshold (0.7 / 0.3) stay; below 0.1: confusion anchors
brl_rpn_train_cfg = dict(
    assigner=dict(type='SelectiveIoUAssigner', confusion_iou_thr=0.1),
    sampler=dict(_delete_=True, type='SelectiveIoUSampler'))

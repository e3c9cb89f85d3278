# The CPU-sized synthetic config with the background recalibration loss on the RPN (configs/brl/).
_base_ = './mask-rcnn_r18_fpn_250i_synthetic.py'

model = dict(rpn_head=dict(loss_cls=dict(
    _delete_=True, type='BackgroundRecalibrationLoss', gamma_1=2.0, gamma_2=2.0, alpha=0.25, thresh=0.5,
    beta=1.0, loss_weight=1.0)))

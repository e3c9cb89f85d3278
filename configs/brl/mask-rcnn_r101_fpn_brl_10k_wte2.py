# Background recalibration loss (Zhang et al., ICASSP 2020) on WTe2, on the RPN objectness where SASL-RPN
# acts, with the authors' hyper-parameters (qmat/models/losses/background_recalibration.py).
_base_ = '../baseline/mask-rcnn_r101_fpn_10k_wte2.py'

model = dict(rpn_head=dict(loss_cls=dict(
    _delete_=True, type='BackgroundRecalibrationLoss', gamma_1=2.0, gamma_2=2.0, alpha=0.25, thresh=0.5,
    beta=1.0, loss_weight=1.0)))

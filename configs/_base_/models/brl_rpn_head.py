# Background recalibration loss (Zhang et al., ICASSP 2020) on the RPN objectness, where SASL-RPN acts, with
# the authors' hyper-parameters (qmat/models/losses/background_recalibration.py). Configs merge it into their
# rpn_head with model = dict(rpn_head={{_base_.brl_rpn_head}}).
brl_rpn_head = dict(
    # use_sigmoid tells the head to output one objectness logit per anchor, as the loss expects
    loss_cls=dict(_delete_=True, type='BackgroundRecalibrationLoss', use_sigmoid=True, gamma_1=2.0,
                  gamma_2=2.0, alpha=0.25, thresh=0.5, beta=1.0, loss_weight=1.0),
    # a focal-form loss starts from the focal-loss prior (p = 0.01), as the authors' RetinaNet does; at
    # mmdet's RPN start (p = 0.5) every negative would sit on the threshold of the mirrored branch
    init_cfg=dict(type='Normal', layer='Conv2d', std=0.01,
                  override=dict(type='Normal', name='rpn_cls', std=0.01, bias_prob=0.01)))

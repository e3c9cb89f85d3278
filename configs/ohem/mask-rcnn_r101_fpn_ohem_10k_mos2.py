# OHEM baseline of the paper's Table 1 on MoS2: the R-CNN stage picks its 512 RoIs by loss with mmdet's
# OHEMSampler, as mmdet's own faster-rcnn_r50_fpn_ohem_1x_coco.py does: the hardest by classification loss,
# separately for positives and negatives at the sampler's fixed foreground fraction (0.25), no NMS before
# the selection. Shrivastava et al. (2016) rank by the whole loss, apply NMS (0.7) to the RoIs first and drop
# the foreground fraction. The RPN keeps its random sampler, as the paper does not say otherwise.
_base_ = '../baseline/mask-rcnn_r101_fpn_10k_mos2.py'

model = dict(train_cfg=dict(rcnn=dict(sampler=dict(type='OHEMSampler'))))

# OHEM baseline of the paper's Table 1 on hBN: the R-CNN stage samples its 512 RoIs by loss
# (mmdet's OHEMSampler, Shrivastava et al. 2016); the RPN keeps its random sampler, as the paper does not
# say otherwise.
_base_ = '../baseline/mask-rcnn_r101_fpn_10k_hbn.py'

model = dict(train_cfg=dict(rcnn=dict(sampler=dict(type='OHEMSampler'))))

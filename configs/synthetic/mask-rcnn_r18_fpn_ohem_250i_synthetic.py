# The CPU-sized synthetic config with OHEM in the R-CNN stage: mmdet's OHEMSampler as in configs/ohem/
# (hardest RoIs by classification loss at a fixed foreground fraction, no NMS; not Shrivastava et al.'s
# original, which ranks by the whole loss after NMS and has no foreground fraction).
_base_ = './mask-rcnn_r18_fpn_250i_synthetic.py'

model = dict(train_cfg=dict(rcnn=dict(sampler=dict(type='OHEMSampler'))))

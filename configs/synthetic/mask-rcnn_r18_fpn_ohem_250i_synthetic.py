# The CPU-sized synthetic config with OHEM in the R-CNN stage (the baselines of configs/ohem/).
_base_ = './mask-rcnn_r18_fpn_250i_synthetic.py'

model = dict(train_cfg=dict(rcnn=dict(sampler=dict(type='OHEMSampler'))))

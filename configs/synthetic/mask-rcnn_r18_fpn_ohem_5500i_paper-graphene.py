# The paper-statistics regime (mask-rcnn_r18_fpn_5500i_paper-graphene.py) with OHEM in the R-CNN stage, as
# mask-rcnn_r18_fpn_ohem_250i_synthetic.py.
_base_ = './mask-rcnn_r18_fpn_5500i_paper-graphene.py'

model = dict(train_cfg=dict(rcnn=dict(sampler=dict(type='OHEMSampler'))))

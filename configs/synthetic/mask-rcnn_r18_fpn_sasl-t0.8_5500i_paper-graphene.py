# The paper-statistics regime with SASL-RPN at threshold 0.8 in the literal reading of Eq. 5, the best of
# the readings in the CPU study (mask-rcnn_r18_fpn_sasl-t0.8_250i_synthetic.py, docs/method.md).
_base_ = ['./mask-rcnn_r18_fpn_5500i_paper-graphene.py', '../_base_/models/sasl_rpn.py']

model = dict(rpn_head={{_base_.sasl_rpn_head}})

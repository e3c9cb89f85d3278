# Control for SASL-RPN in the paper-statistics regime: its head (objectness read from the anchor
# embeddings) trained with the plain loss, no soft labels; SASL minus this is what the rule does, this
# minus the baseline what the head does.
_base_ = './mask-rcnn_r18_fpn_sasl-t0.8_5500i_paper-graphene.py'

model = dict(rpn_head=dict(soft_labels=False))

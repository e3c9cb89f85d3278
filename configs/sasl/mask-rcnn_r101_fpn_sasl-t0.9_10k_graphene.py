# SASL-RPN (the paper's method, threshold t = 0.9) on Graphene: the baseline with the RPN head replaced, in
# the literal reading of Eq. 5 (L2 norm, temperature 1, per image, every sampled positive anchor a key, no
# background key; D = 256 as in the paper), each option spelled out (the other readings: docs/method.md).
_base_ = '../baseline/mask-rcnn_r101_fpn_10k_graphene.py'

model = dict(
    rpn_head=dict(type='SASLRPNHead', threshold=0.9, embed_dims=256, norm='l2', temperature=1.0,
                  scope='image', keys='anchors', key_pool='sampled', background=False, soft_labels=True))

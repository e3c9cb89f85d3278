# SASL-RPN at threshold 0.8 in the literal reading of the paper's Eq. 5 (L2 norm, temperature 1, per image,
# every sampled positive anchor a key, no background key), each option spelled out, for configs whose model
# differs from configs/synthetic/mask-rcnn_r18_fpn_250i_synthetic.py in other ways (embed_dims: its 64
# channels). Merge it as model = dict(rpn_head={{_base_.sasl_rpn_head}}).
sasl_rpn_head = dict(type='SASLRPNHead', threshold=0.8, embed_dims=64, norm='l2', temperature=1.0,
                     scope='image', keys='anchors', key_pool='sampled', background=False, soft_labels=True)

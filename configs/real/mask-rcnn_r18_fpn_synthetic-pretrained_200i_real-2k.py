# Fine-tuning on a lab's few annotated 2K micrographs from qmat's synthetic pretraining: the from-scratch
# config with the weights that `python tools/pretrain.py` keeps in the cache (QMAT_CACHE_DIR, default
# ~/.cache/qmat) as its starting point. Same schedule and crops, so the two compare at equal cost.
_base_ = './mask-rcnn_r18_fpn_200i_real-2k.py'

load_from = '{{$QMAT_CACHE_DIR:~/.cache/qmat}}/weights/mask-rcnn_r18_fpn_2000i_synthetic-2k.pth'

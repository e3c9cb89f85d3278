# Mask R-CNN, ResNet-101 + FPN, na = 3 anchors per location (the paper's detectron2 setup),
# 3 thickness classes.
_base_ = 'mmdet::_base_/models/mask-rcnn_r50_fpn.py'

model = dict(
    backbone=dict(
        depth=101,
        # torchvision's ImageNet ResNet-101 by URL: mmengine's 'torchvision://' scheme would need torchvision.
        init_cfg=dict(
            type='Pretrained', checkpoint='https://download.pytorch.org/models/resnet101-63fe2227.pth')),
    roi_head=dict(bbox_head=dict(num_classes=3), mask_head=dict(num_classes=3)))

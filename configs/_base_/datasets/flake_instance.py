# Flake instance segmentation in the layout of Masubuchi et al., npj 2D Mater. Appl. 4, 3 (2020)
# (data: doi 10.6084/m9.figshare.11881053; loader: tdmms/tdmms_DL tdmcoco.py, NUM_CLASSES = 1 + 3):
#   DATA_ROOT/annotations/instances_train2019.json   images in DATA_ROOT/train2019/
#   DATA_ROOT/annotations/instances_val2019.json     images in DATA_ROOT/val2019/
# The material bases (graphene.py, hbn.py, mos2.py, wte2.py) set DATA_ROOT. The thickness classes (mono, few,
# thick) and their palette are FlakeDataset.METAINFO; set metainfo=dict(classes=...) for other categories.
dataset_type = 'FlakeDataset'
data_root = 'data/flakes/'
backend_args = None

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    # flakes have no up or down: flip both ways
    dict(type='RandomFlip', prob=[0.25, 0.25], direction=['horizontal', 'vertical']),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]

train_dataloader = dict(
    batch_size=12,  # x 4 GPUs = the paper's batch of 48
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),  # iteration-based training: no epoch restarts
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/instances_train2019.json',
        data_prefix=dict(img='train2019/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=1),
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/instances_val2019.json',
        data_prefix=dict(img='val2019/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader

val_evaluator = dict(
    type='CocoMetric',
    ann_file=data_root + 'annotations/instances_val2019.json',
    metric=['bbox', 'segm'],
    format_only=False,
    backend_args=backend_args)
test_evaluator = val_evaluator

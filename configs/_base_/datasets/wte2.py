# WTe2 flakes of Masubuchi et al. (2020), unpacked into data/wte2/ in the layout of flake_instance.py.
_base_ = './flake_instance.py'

data_root = 'data/wte2/'
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val2019.json')
test_evaluator = val_evaluator

# mmdet's runtime (default_scope='mmdet', hooks, visualizer) plus qmat's registration and plain checkpoints.
_base_ = 'mmdet::_base_/default_runtime.py'

custom_imports = dict(imports=['qmat'], allow_failed_imports=False)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=1000, max_keep_ckpts=3))
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=False)
# Checkpoints without numpy/HistoryBuffer pickles: they load with torch.load(weights_only=True) anywhere.
custom_hooks = [dict(type='PlainCheckpointHook')]

from .boxes import box_iom, box_iou, xywh_to_xyxy
from .errors import UnsafeCheckpointError, UserInputError, run_cli
from .io import atomic_open, dump_json, nan_to_none, refuse_overwriting, same_file, write_text

__all__ = ['box_iom', 'box_iou', 'xywh_to_xyxy', 'UnsafeCheckpointError', 'UserInputError', 'run_cli',
           'atomic_open', 'dump_json', 'nan_to_none', 'refuse_overwriting', 'same_file', 'write_text']

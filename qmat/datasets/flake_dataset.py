"""FlakeDataset: COCO-format flake annotations in the layout of Masubuchi et al.'s published data."""
from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS


@DATASETS.register_module()
class FlakeDataset(CocoDataset):
    """Flakes labelled by thickness class, read from COCO json (polygon or RLE masks, any image size).

    The layout is that of the paper's data: ``DATA_ROOT/annotations/instances_{train,val}2019.json`` with
    images in ``DATA_ROOT/{train,val}2019/``; qmat's synthetic sets are written the same way, so a config
    for real data and one for synthetic data differ only in ``data_root``. The class names below are the
    only place qmat names them; a lab with other categories sets ``metainfo=dict(classes=...)``.
    """

    METAINFO = {
        'classes': ('mono', 'few', 'thick'),  # monolayer, few-layer, thick (tdmms: NUM_CLASSES = 1 + 3)
        'palette': [(220, 20, 60), (0, 150, 255), (255, 180, 0)],
    }

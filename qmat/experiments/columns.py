"""The metric keys that the experiments' tables show: (column name, metric key as logged or evaluated)."""

# COCO keys as mmdet's CocoMetric logs them
BBOX_AP, SEGM_AP = 'coco/bbox_mAP', 'coco/segm_mAP'
# Table 1: (task, name, key)
TABLE1_COLUMNS = (('bbox', 'AP50', 'coco/bbox_mAP_50'), ('bbox', 'AP75', 'coco/bbox_mAP_75'),
                  ('bbox', 'AP', BBOX_AP), ('segm', 'AP50', 'coco/segm_mAP_50'),
                  ('segm', 'AP75', 'coco/segm_mAP_75'), ('segm', 'AP', SEGM_AP))
# the study's table: COCO AP, then the proposal recall and the recovered share of its evaluation
STUDY_COLUMNS = (('bbox AP', BBOX_AP), ('bbox AP50', 'coco/bbox_mAP_50'),
                 ('bbox AP75', 'coco/bbox_mAP_75'), ('segm AP', SEGM_AP),
                 ('segm AP50', 'coco/segm_mAP_50'), ('segm AP75', 'coco/segm_mAP_75'),
                 ('AR@100', 'AR@100'), ('AR@1000', 'AR@1000'), ('recovered', 'recovered'))
# what the recovery table and the plot follow
GOAL_COLUMNS = (('bbox', BBOX_AP), ('segm', SEGM_AP))
# training-log scalars kept in the records (means over the logged iterations): SASL's rule, BRL's,
# self-training's pseudo-labels
RULE_LOG_PREFIXES = ('sasl_', 'brl_', 'selftrain_')

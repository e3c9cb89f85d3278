#!/usr/bin/env bash
# The main job on a fresh machine, CPU-sized: set up the environment, generate a small synthetic flake set,
# remove 30 % of its training annotations the way annotators miss flakes, train the method (Mask R-CNN with
# SASL-RPN) on the CPU, evaluate COCO bbox/segm AP on the complete validation set and draw the predictions.
#   QMAT_DEMO_DATA (default data/synthetic)   QMAT_DEMO_WORK (default work_dirs/quickstart)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash tools/setup_env.sh
PY=.venv/bin/python
CONFIG=configs/synthetic/mask-rcnn_r18_fpn_sasl-t0.8_250i_synthetic.py
DATA=${QMAT_DEMO_DATA:-data/synthetic}
WORK=${QMAT_DEMO_WORK:-work_dirs/quickstart}
MISSING=annotations/instances_train2019_missing30.json

echo "[quickstart] generating synthetic flakes in $DATA"
"$PY" tools/data_tools/generate_synthetic.py "$DATA" --train 64 --val 16 --size 256 256 --workers 2
echo "[quickstart] removing 30 % of the training annotations (small, thin and faint flakes first)"
# kept as ignored instances: training does not see them, the log counts the soft labels that land on them
"$PY" tools/data_tools/drop_annotations.py "$DATA/annotations/instances_train2019.json" "$DATA/$MISSING" \
    --fraction 0.3 --policy annotator --seed 0 --keep-as-ignored
echo "[quickstart] training $CONFIG on the CPU (work dir $WORK)"
"$PY" tools/train.py "$CONFIG" --work-dir "$WORK" --data-root "$DATA" \
    --cfg-options "train_dataloader.dataset.ann_file=$MISSING"
CHECKPOINT=$(ls -t "$WORK"/iter_*.pth | head -n 1)
echo "[quickstart] evaluating $CHECKPOINT on the complete validation set"
"$PY" tools/test.py "$CONFIG" "$CHECKPOINT" --work-dir "$WORK/test" --show-dir predictions \
    --data-root "$DATA" 2>&1 | tee "$WORK/test.log"

echo
echo "[quickstart] done:"
echo "  data:         $DATA (COCO json in annotations/, images in train2019/ and val2019/)"
echo "  training set: $DATA/$MISSING (removed flakes: $DATA/${MISSING%.json}.removed.json)"
echo "  checkpoint:   $CHECKPOINT"
echo "  training log: $(ls -td "$WORK"/2*/ | tail -n 1) (sasl_* columns: the soft labels)"
echo "  metrics:      $WORK/test.log (coco/bbox_mAP, coco/segm_mAP)"
echo "  pictures:     $(ls -td "$WORK"/test/2*/predictions 2>/dev/null | head -n 1)"

#!/usr/bin/env bash
# The main job on a fresh machine, CPU-sized: set up the environment, generate a small synthetic flake set,
# train a Mask R-CNN on it, evaluate COCO bbox/segm AP and draw the predictions.
#   QMAT_DEMO_DATA (default data/synthetic)   QMAT_DEMO_WORK (default work_dirs/quickstart)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash tools/setup_env.sh
PY=.venv/bin/python
CONFIG=configs/synthetic/mask-rcnn_r18_fpn_400i_synthetic.py
DATA=${QMAT_DEMO_DATA:-data/synthetic}
WORK=${QMAT_DEMO_WORK:-work_dirs/quickstart}

echo "[quickstart] generating synthetic flakes in $DATA"
"$PY" tools/generate_synthetic.py "$DATA" --train 64 --val 16 --size 256 256 --workers 2
echo "[quickstart] training $CONFIG on the CPU (work dir $WORK)"
"$PY" tools/train.py "$CONFIG" --work-dir "$WORK" --data-root "$DATA"
CHECKPOINT=$(ls -t "$WORK"/iter_*.pth | head -n 1)
echo "[quickstart] evaluating $CHECKPOINT"
"$PY" tools/test.py "$CONFIG" "$CHECKPOINT" --work-dir "$WORK/test" --show-dir predictions \
    --data-root "$DATA" 2>&1 | tee "$WORK/test.log"

echo
echo "[quickstart] done:"
echo "  data:        $DATA (COCO json in annotations/, images in train2019/ and val2019/)"
echo "  checkpoint:  $CHECKPOINT"
echo "  training log: $(ls -td "$WORK"/2*/ | tail -n 1)"
echo "  metrics:     $WORK/test.log (coco/bbox_mAP, coco/segm_mAP)"
echo "  pictures:    $(ls -td "$WORK"/test/2*/predictions 2>/dev/null | head -n 1)"

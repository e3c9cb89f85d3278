#!/usr/bin/env bash
# srun launcher shared by slurm_train.sh and slurm_test.sh: slurm_launch.sh PARTITION JOB_NAME SCRIPT [args]
# GPUS (total, default 4: the paper's 4 x 12 images), GPUS_PER_NODE, CPUS_PER_TASK and SRUN_ARGS as in mmdet.
set -euo pipefail
PARTITION=$1
JOB_NAME=$2
SCRIPT=$3
shift 3
GPUS=${GPUS:-4}
GPUS_PER_NODE=${GPUS_PER_NODE:-4}
# shellcheck disable=SC2086  # SRUN_ARGS holds several arguments
exec srun -p "$PARTITION" --job-name="$JOB_NAME" --gres=gpu:"$GPUS_PER_NODE" --ntasks="$GPUS" \
    --ntasks-per-node="$GPUS_PER_NODE" --cpus-per-task="${CPUS_PER_TASK:-5}" --kill-on-bad-exit=1 \
    ${SRUN_ARGS:-} "${PYTHON:-python}" -u "$(dirname "$0")/$SCRIPT" "$@" --launcher=slurm

#!/usr/bin/env bash
# Training on a Slurm cluster: bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [train.py options]
set -euo pipefail
if [ $# -lt 4 ]; then
    echo "usage: bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [train.py options]" >&2
    exit 2
fi
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
WORK_DIR=$4
shift 4
exec bash "$(dirname "$0")/slurm_launch.sh" "$PARTITION" "$JOB_NAME" train.py "$CONFIG" --work-dir="$WORK_DIR" "$@"

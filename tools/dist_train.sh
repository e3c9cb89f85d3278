#!/usr/bin/env bash
# Distributed training: bash tools/dist_train.sh CONFIG NUM_PROCESSES [train.py options]
# (GPUs: one process each, NCCL; no GPU: CPU processes with gloo. See dist_launch.sh for multi-node.)
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: bash tools/dist_train.sh CONFIG NUM_PROCESSES [train.py options]" >&2
    exit 2
fi
CONFIG=$1
NPROC=$2
shift 2
exec bash "$(dirname "$0")/dist_launch.sh" train.py "$NPROC" "$CONFIG" "$@"

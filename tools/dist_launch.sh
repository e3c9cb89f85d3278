#!/usr/bin/env bash
# torchrun launcher shared by dist_train.sh and dist_test.sh: dist_launch.sh SCRIPT NUM_PROCESSES [SCRIPT args]
# One process per GPU (NCCL); on a machine without a GPU the processes run on the CPU with gloo.
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR and PORT as in mmdet; PYTHON picks the interpreter.
set -euo pipefail
SCRIPT=$1
NPROC=$2
shift 2
exec "${PYTHON:-python}" -m torch.distributed.run \
    --nnodes="${NNODES:-1}" --node_rank="${NODE_RANK:-0}" --master_addr="${MASTER_ADDR:-127.0.0.1}" \
    --nproc_per_node="$NPROC" --master_port="${PORT:-29500}" \
    "$(dirname "$0")/$SCRIPT" "$@" --launcher pytorch

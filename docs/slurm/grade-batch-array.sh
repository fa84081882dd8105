#!/bin/bash
# Grade a folder of submissions on a Slurm cluster: one array task per shard, then one
# merge job that runs once every shard has finished.
#
#   sbatch --array=1-8 docs/slurm/grade-batch-array.sh submissions/ grading/hw3
#   sbatch --dependency=afterany:<array job id> --wrap \
#       "ner-instructor grade-batch-merge grading/hw3"
#
# Every task sees the same submissions folder and writes into the same OUT folder (a shared
# file system). The shard count is the array's size; a task that fails leaves no
# OUT/shards/shard-K-of-N.json, and the merge names it instead of merging without it.
#SBATCH --job-name=ner-grade
#SBATCH --cpus-per-task=2
#SBATCH --mem=8G
#SBATCH --time=02:00:00
#SBATCH --output=grade-%A_%a.log
set -euo pipefail

FOLDER=${1:?usage: grade-batch-array.sh SUBMISSIONS OUT}
OUT=${2:?usage: grade-batch-array.sh SUBMISSIONS OUT}
INDEX=${SLURM_ARRAY_TASK_ID:?run with sbatch --array=1-N}
COUNT=${SLURM_ARRAY_TASK_COUNT:?run with sbatch --array=1-N}

export HF_DATASETS_OFFLINE=1 HF_HUB_OFFLINE=1
ner-instructor grade-batch "$FOLDER" --out "$OUT" --shard "$INDEX/$COUNT" \
    --workers "${SLURM_CPUS_PER_TASK:-1}" --no-progress

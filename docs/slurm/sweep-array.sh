#!/usr/bin/env bash
# A sweep on a Slurm cluster: every array task is one worker on one shared study.
#
#   sbatch --array=0-7 docs/slurm/sweep-array.sh ner_helpers/sweep/seeds/optimizers-cells.yaml
#
# Needs a PostgreSQL database every node can reach; put its URL (with the password) in
# ~/.ner-kit-sweep-url, readable by you only (chmod 600), so that it is in no job script.
# Each task claims waiting grid points until none is left; a task the scheduler kills
# (time limit, preemption) leaves its trial to be failed and enqueued again, and the
# next task to look resumes it from its last epoch checkpoint.
#SBATCH --job-name=ner-sweep
#SBATCH --cpus-per-task=2
#SBATCH --mem=8G
#SBATCH --time=02:00:00
#SBATCH --output=artefacts/sweeps/slurm-%A_%a.out
set -euo pipefail

SWEEP_FILE=${1:?give the sweep file}
STORAGE_URL=$(cat "${HOME}/.ner-kit-sweep-url")
export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}

# The kit, the corpus (dataset/) and the tokenizer (artefacts/tokenizer.json) live on a
# shared file system, so every trial folder lands in the one artefacts/experiments/.
cd "${SLURM_SUBMIT_DIR}"
.venv/bin/ner-kit sweep "${SWEEP_FILE}" --storage "${STORAGE_URL}" \
    --threads "${OMP_NUM_THREADS}" --no-progress --no-report

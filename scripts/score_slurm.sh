#!/bin/bash
# Scores a candidate database on a Slurm array: one shard per array task, each resumable.
#
#   sbatch --array=0-15 scripts/score_slurm.sh candidates.db results/
#   # when every task is done (or as a dependent job: sbatch --dependency=afterok:<jobid> ...):
#   screen merge results/shard-*.db --out results.db
#   screen merge results/shard-*.db --out top100.db --top 100 --by formation_energy
#
# Pre-empted or failed tasks are simply resubmitted (`scontrol requeue`, or sbatch with the
# same --array indices): --resume continues each shard from its last committed block, and a
# finished shard is left as it is. The shard count N is the array size; keep it fixed for a
# given output directory (screen refuses to resume a shard of another split).
#
#SBATCH --job-name=screen-score
#SBATCH --cpus-per-task=8
#SBATCH --mem=4G
#SBATCH --time=04:00:00
#SBATCH --requeue
#SBATCH --output=%x-%A_%a.log
set -euo pipefail

input=${1:?usage: sbatch --array=0-(N-1) score_slurm.sh INPUT OUTDIR [MODEL]}
outdir=${2:?usage: sbatch --array=0-(N-1) score_slurm.sh INPUT OUTDIR [MODEL]}
model=${3:-perovskite-eform}
mkdir -p "$outdir"

i=${SLURM_ARRAY_TASK_ID:?run this as a Slurm array job (sbatch --array=...)}
n=${SLURM_ARRAY_TASK_COUNT:?}

# Array indices must be 0..N-1 (e.g. --array=0-15 for 16 shards).
srun screen score --model "$model" "$input" \
    --out "$outdir/shard-$i-of-$n.db" \
    --shard "$i/$n" \
    --threads "${SLURM_CPUS_PER_TASK:-1}" \
    --resume

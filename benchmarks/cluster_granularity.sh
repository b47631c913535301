#!/usr/bin/env bash
# Cluster granularity on movie_sentences: PPO at 5% with 200, 800 and 2000 stratified clusters (two seeds
# each), beside random 5% and the full train split; MiniLM finetunes. Choose on the "val accuracy" column,
# report test. Finished runs (a finetune.json present) are reused. Writes runs/granularity/*/results.md.
#   bash benchmarks/cluster_granularity.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
COMMON=(--select_config=experiments/configs/select.py --finetune_config=experiments/configs/finetune.py --seeds=0,1)
"$PY" experiments/compare.py --workdir=runs/granularity/c200 --methods=ppo,random,full "${COMMON[@]}"
"$PY" experiments/compare.py --workdir=runs/granularity/c800 --methods=ppo "${COMMON[@]}" \
    --select_config.prepare.num_clusters=800 --select_config.prepare.per_cluster=16
"$PY" experiments/compare.py --workdir=runs/granularity/c2000 --methods=ppo "${COMMON[@]}" \
    --select_config.prepare.num_clusters=2000 --select_config.prepare.per_cluster=8

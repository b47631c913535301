#!/usr/bin/env bash
# The throughput benchmark with GPU-sized env counts, when an NVIDIA GPU is present; otherwise a no-op.
#
#   bash benchmarks/gpu.sh [OUT.json] [extra flags for benchmarks/throughput.py]
#
# Needs the CUDA build of jaxlib in the venv (`pip install -e '.[gpu]'`); says so and stops if jax sees no GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"
OUT="${1:-results/throughput_gpu.json}"
shift || true

if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
  echo "no GPU found (nvidia-smi missing or lists no device): nothing to benchmark"
  exit 0
fi
nvidia-smi -L
if [ "$("$PY" -c 'import jax; print(jax.default_backend())')" != "gpu" ]; then
  echo "a GPU is present but jax runs on $("$PY" -c 'import jax; print(jax.default_backend())');" \
       "install the CUDA build first: $PY -m pip install -e '.[gpu]'" >&2
  exit 1
fi
# Larger batches amortise the per-step launch cost on a GPU; the sharded part needs host devices, so skip it.
"$PY" benchmarks/throughput.py --out="$OUT" --env_counts=64,256,1024,4096,16384 --env_steps=262144 \
  --scaling_envs=4096 --nodevices_4 "$@"

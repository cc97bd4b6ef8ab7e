#!/usr/bin/env bash
# Measures the example manifest twice (two independent sweeps, for run-to-run spread) on the
# first CUDA GPU: fp16 autocast, channels_last, 224 px, throughput at batch 256, latency at batch 1,
# NVML energy (one 3 s window per architecture after a 2 s idle baseline per worker).
# Usage: examples/profiling/run_gpu_example.sh OUT_DIR [LABEL]
set -uo pipefail
OUT=${1:?output directory}
LABEL=${2:-}
ARGS=(--config configs/profile/gpu.yaml --archs file:examples/profiling/manifest.txt
      --iters 20 --latency-iters 50 --latency-warmup-iters 10 --energy-window-s 3 --energy-repeats 1
      --idle-window-s 2 --no-progress)
[ -n "$LABEL" ] && ARGS+=(--label "$LABEL")
for run in run1 run2; do
  timeout "${RUN_TIMEOUT:-270}" python runners/profile_devices.py run "${ARGS[@]}" --out "$OUT/$run"
  echo "$run exit $?"
done

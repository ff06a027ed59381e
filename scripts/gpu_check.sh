#!/usr/bin/env bash
# Measure the GPU path in one short run (meant to fit 8 minutes on one H100; nothing is
# downloaded): our SFT step, the evaluation runner and PPO, each beside a plain-transformers
# anchor on the same model, printed as one table. baselines/gpu_check.py says what each row is.
#   bash scripts/gpu_check.sh                   # SmolLM2-135M's shape, random weights
#   bash scripts/gpu_check.sh --model DIR       # a local Hugging Face model instead
#   bash scripts/gpu_check.sh --tiny            # a tiny model on the CPU, in seconds (tests)
# Other flags: --device auto|cpu|cuda[:N], --dtype, --peak-flops F (GPUs not in its table).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" exec "$PYTHON" -m baselines.gpu_check "$@"

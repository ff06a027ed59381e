#!/usr/bin/env bash
# Everything the GPU path needs checked, in one short lease of an offline GPU machine:
#   1. the device-sensitive tests (devices, SFT, PPO) on the GPU;
#   2. the GPU recipe (scripts/learned_gpu.sh) on expert data made here and carried there;
#   3. scripts/gpu_check.sh with whatever time is left.
# Each stage has its own time limit, so one that hangs or fails leaves the others their time.
# Logs and the trained models (as tar files) go to $OUT.
#
# Here:  bash ../shared/gpu-kit/prepare.sh                     # wheels into .whl/
#        .venv/bin/dynplan data crafter --trajectories N --max-steps 1000 --schedules \
#          every=1,dynamic=1 --text-options balrog --no-instruction --actor sb3:sb3-ppo \
#          --workers 2 --out DATA
#        mkdir -p .lease && cp DATA/card.json .lease/ && xz -c DATA/samples.jsonl \
#          > .lease/samples.jsonl.xz        # .lease/ is git-ignored; .gz is read too (larger)
# There: bash scripts/gpu_lease.sh   (carrying .whl and .lease; BUDGET_S: the seconds it may take;
#        TESTS: the test files; EVALUATE=0: no evaluation there, the models are evaluated here)
# A dry run here (tests/baselines/test_gpu_scripts.py): INSTALL=0 PYTHON=.venv/bin/python TESTS_S=0
#   MODEL=scratch:tiny GPU_CHECK_ARGS=--tiny and tiny SFT_*/RL_* sizes.
set -uo pipefail
OUT=${OUT:-/tmp/gpu-lease}
BUDGET_S=${BUDGET_S:-570}
MODEL=${MODEL:-scratch:base}
PYTHON=${PYTHON:-python3}
INSTALL=${INSTALL:-1}  # 0: use the packages at hand (a dry run here: PYTHON=.venv/bin/python)
LEASE_DIR=${LEASE_DIR:-.lease}  # card.json and samples.jsonl.xz (or .gz) of the expert data
TESTS_S=${TESTS_S:-75}  # 0: skip the tests
TESTS=${TESTS:-tests/baselines/test_devices.py tests/baselines/test_sft.py tests/baselines/test_ppo_llm.py}  # device-sensitive
mkdir -p "$OUT"
start=$(date +%s)
elapsed() { echo $(($(date +%s) - start)); }

stage() {  # $1: name, $2: time limit in seconds, then the command; its log goes to $OUT
  local name=$1 limit=$2
  shift 2
  echo "== $name: up to ${limit} s, from +$(elapsed) s"
  timeout -k 10 "$limit" "$@" >"$OUT/$name.log" 2>&1
  local rc=$?
  echo "== $name: exit $rc at +$(elapsed) s"
  tr '\r' '\n' <"$OUT/$name.log" | grep -v '^ *$' | tail -n 4
}

if [ "$INSTALL" = 1 ]; then
  bash .whl/install.sh || exit 1
  export PYTHONPATH=/tmp/site:$PWD
fi
export PYTHONUNBUFFERED=1 DYNPLAN_HOME=${DYNPLAN_HOME:-/tmp/dph}
nvidia-smi -L 2>/dev/null
"$PYTHON" -c "import torch, transformers; print('torch', torch.__version__, 'transformers', \
transformers.__version__, 'cuda', torch.cuda.is_available())"

# shellcheck disable=SC2086  # TESTS is a list of paths
[ "$TESTS_S" -gt 0 ] && stage tests "$TESTS_S" "$PYTHON" -m pytest -q -p no:cacheprovider $TESTS

run=$DYNPLAN_HOME/recipes/lease
mkdir -p "$run/data"
cp "$LEASE_DIR/card.json" "$run/data/" && "$PYTHON" - "$LEASE_DIR" "$run/data/samples.jsonl" <<'EOF' || exit 1
import gzip, lzma, shutil, sys
from pathlib import Path
lease = Path(sys.argv[1])
packed = next(p for p in (lease / "samples.jsonl.xz", lease / "samples.jsonl.gz") if p.is_file())
with (lzma if packed.suffix == ".xz" else gzip).open(packed, "rb") as src:
    with open(sys.argv[2], "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
EOF
stage recipe "${RECIPE_S:-290}" env RUN="$run" MODEL="$MODEL" DYNPLAN="$PYTHON -m dynplan_cli" \
  PYTHON="$PYTHON" SFT_STEPS="${SFT_STEPS:-4000}" SFT_BATCH="${SFT_BATCH:-64}" \
  SFT_MINUTES="${SFT_MINUTES:-3}" RL_UPDATES="${RL_UPDATES:-3}" RL_ENVS="${RL_ENVS:-32}" \
  RL_STEPS="${RL_STEPS:-16}" PROTOCOL=crafter-quick EVAL_ENVS=4 EVALUATE="${EVALUATE:-1}" \
  bash scripts/learned_gpu.sh
for part in sft rl; do
  [ -f "$run/$part/card.json" ] && tar -C "$run/$part" --exclude=checkpoints -cf "$OUT/$part.tar" .
done

left=$((BUDGET_S - $(elapsed) - 15))
[ "$left" -gt 30 ] && stage gpu_check "$left" env PYTHON="$PYTHON" bash scripts/gpu_check.sh ${GPU_CHECK_ARGS:-}
echo "== done at +$(elapsed) s"
ls -la "$OUT"

#!/usr/bin/env bash
# The CPU recipe of the learned dynamic planner, end to end (`make learned`):
#   data -> SFT (scratch:small) -> PPO with a planning cost -> evaluation on held-out seeds,
# plus the control: the same model trained on never-plan data from the same trajectories.
# Every stage resumes: run it again after an interruption and finished stages are skipped.
# Measured on 2 CPU cores: see the model cards under agents/checkpoints/.
set -euo pipefail
DYNPLAN=${DYNPLAN:-.venv/bin/dynplan}
RUN=${RUN:-${DYNPLAN_HOME:-$HOME/.dynplan}/recipes/crafter-cpu}
PROTOCOL=${PROTOCOL:-crafter-balrog}
mkdir -p "$RUN"

data() {  # $1: out, $2: schedules
  [ -f "$RUN/$1/card.json" ] || $DYNPLAN data crafter --trajectories 64 --max-steps 250 \
    --schedules "$2" --out "$RUN/$1"
}
data data every=1,dynamic=1
data data-never never=1

$DYNPLAN train sft --data "$RUN/data" --model scratch:small --out "$RUN/sft" --resume
$DYNPLAN train sft --data "$RUN/data-never" --model scratch:small --out "$RUN/sft-never" --resume
$DYNPLAN train rl --model "$RUN/sft" --out "$RUN/rl" --resume

evaluate() {  # $1: name, $2: strategy, then backend options
  local name=$1 strategy=$2
  shift 2
  local out="$RUN/eval-$PROTOCOL-$name"
  local resume=()
  [ -d "$out" ] && resume=(--resume)
  $DYNPLAN eval --agent "llm:$strategy" --protocol "$PROTOCOL" --temperature 1.0 \
    --num-envs 10 --name "$name" --out "$out" "${resume[@]}" "$@"
}
evaluate learned-dynamic dynamic --model "$RUN/sft"
evaluate learned-never never --model "$RUN/sft-never"
evaluate learned-dynamic+rl dynamic --model "$RUN/sft" --adapter "$RUN/rl"
echo "results: $RUN/eval-$PROTOCOL-*/result.json (submit with: dynplan submit FILE --to-repo)"

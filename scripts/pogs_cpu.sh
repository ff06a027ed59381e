#!/usr/bin/env bash
# The CPU recipe of the shipped POGS planner (`make pogs-planner`), end to end:
#   data (the POGS expert, every-K and dynamic schedules; the prompt restates the current node's
#   neighbours) -> SFT (scratch:small, with the loss on each sample's own observation as well as
#   its answer) -> evaluation on development seeds.
# Every stage resumes: run it again after an interruption and finished stages are skipped.
# Sizes are environment variables (defaults: the shipped checkpoint, ~45 minutes of SFT on 2
# cores). Evaluation uses the development protocols; the board's seeds are scored once, at the
# end, with `dynplan eval --agent pogs-planner --protocol pogs-standard|pogs-hard`.
set -euo pipefail
DYNPLAN=${DYNPLAN:-.venv/bin/dynplan}
RUN=${RUN:-${DYNPLAN_HOME:-$HOME/.dynplan}/recipes/pogs-cpu}
TRAJECTORIES=${TRAJECTORIES:-6000}  # expert episodes (5-6 steps each on DynPlanPOGS-v0)
MODEL=${MODEL:-scratch:small}
SFT_STEPS=${SFT_STEPS:-1800}  # batches of BATCH
BATCH=${BATCH:-32}
PROMPT_LOSS=${PROMPT_LOSS:-1}  # 0: the loss on answers only
PROTOCOLS=${PROTOCOLS:-pogs-standard-dev pogs-hard-dev}
EVAL_ENVS=${EVAL_ENVS:-25}
mkdir -p "$RUN"

[ -f "$RUN/data/card.json" ] || $DYNPLAN data pogs --trajectories "$TRAJECTORIES" \
  --schedules every=1,dynamic=1 --neighbours --out "$RUN/data"
$DYNPLAN train sft --data "$RUN/data" --model "$MODEL" --out "$RUN/sft" --resume \
  --max-steps "$SFT_STEPS" --batch-size "$BATCH" --prompt-loss-weight "$PROMPT_LOSS" \
  --eval-steps 400 --save-steps 200
for protocol in $PROTOCOLS; do
  out="$RUN/eval-$protocol-pogs-planner"
  resume=()
  [ -d "$out" ] && resume=(--resume)
  $DYNPLAN eval --agent llm:dynamic --model "$RUN/sft" --protocol "$protocol" \
    --temperature 1.0 --num-envs "$EVAL_ENVS" --name pogs-planner --out "$out" "${resume[@]}"
done
echo "results: $RUN/eval-*/result.json"

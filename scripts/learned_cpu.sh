#!/usr/bin/env bash
# The CPU recipe of the learned dynamic planner, end to end (`make learned`):
#   data (the scripted expert writes plans on every:K / dynamic schedules and the plan in force
#   is carried out from what the prompt shows, so the actions depend on the plan; prompts
#   without the system message, which a scratch model learns nothing from, and with the window
#   drawn as a grid) ->
#   SFT (scratch:small, with the loss on each sample's observation as well as its answer) ->
#   DAgger rounds (the student plays; its states are labelled as the data's are, the actions
#   carrying out the student's own plan in force; DAGGER_ROUNDS=0: none) ->
#   PPO with a planning cost, once per seed, keeping the run best on development seeds ->
#   evaluation on other development seeds,
# plus the control, side by side with it: the same model trained on the same trajectories with
# the plans hidden (prompts and answers), and the same DAgger rounds on its own states.
# Every stage resumes: run it again after an interruption and finished stages are skipped.
# Sizes are environment variables (defaults: the shipped checkpoints; times on 2 cores in the
# model cards under agents/checkpoints/). Evaluation uses the development protocol: tuning
# never looks at the board's seeds (score the board with `dynplan eval --protocol
# crafter-balrog` once, at the end).
set -euo pipefail
DYNPLAN=${DYNPLAN:-.venv/bin/dynplan}
RUN=${RUN:-${DYNPLAN_HOME:-$HOME/.dynplan}/recipes/crafter-cpu}
PROTOCOL=${PROTOCOL:-crafter-balrog-dev}
TEXT=${TEXT:-balrog}  # the data's observation text: the one crafter-balrog(-dev) shows
ACTOR=${ACTOR:-executor}  # who acts in the data (sb3:sb3-ppo: a policy that reads no plan)
EXECUTOR_CHECKS=${EXECUTOR_CHECKS:-0}  # 1: the executor reads the prompt first (done, materials)
VIEW_GRID=${VIEW_GRID:-1}  # 1: prompts draw the window as a grid (what the executor acts on)
TRAJECTORIES=${TRAJECTORIES:-192}  # episodes, whole (up to MAX_STEPS)
MAX_STEPS=${MAX_STEPS:-1000}
MODEL=${MODEL:-scratch:small}
SFT_STEPS=${SFT_STEPS:-4800}  # batches of BATCH (~2 epochs of the default data)
SFT_SEED=${SFT_SEED:-0}  # the draw: initial weights, batch order (and DAgger's sampling)
BATCH=${BATCH:-16}
PROMPT_LOSS=${PROMPT_LOSS:-1}  # weight of the loss on each sample's own observation (0: none)
INSTRUCTION=${INSTRUCTION:-0}  # 1: prompts open with the system message (~2x the SFT time)
CONTROL=${CONTROL:-1}  # 0: skip the never-plan control
DAGGER_ROUNDS=${DAGGER_ROUNDS:-0}  # DAgger rounds between SFT and PPO (0: none; 3 measured worse)
DAGGER_EPISODES=${DAGGER_EPISODES:-48}  # student episodes per round
DAGGER_STEPS=${DAGGER_STEPS:-600}  # SFT steps per round
RL_UPDATES=${RL_UPDATES:-16}
RL_ENVS=${RL_ENVS:-8}
RL_STEPS=${RL_STEPS:-32}  # per env and update
RL_SEEDS=${RL_SEEDS:-0 1}  # PPO runs side by side (a core each); the best on SELECT_PROTOCOL is rl
SELECT_PROTOCOL=${SELECT_PROTOCOL:-crafter-balrog-select-dev}  # development seeds, not PROTOCOL's
EVAL_ENVS=${EVAL_ENVS:-10}
PYTHON=${PYTHON:-$(dirname "$(command -v "$DYNPLAN")")/python}
mkdir -p "$RUN"

SCHEDULES=every=1,dynamic=1  # the planner's data; the control's: the same, plans hidden

data() {  # $1: out, then more `dynplan data` options
  local out=$1 prompt=()
  shift
  [ "$INSTRUCTION" = 1 ] || prompt+=(--no-instruction)
  [ "$VIEW_GRID" = 1 ] && prompt+=(--view-grid)
  [ "$EXECUTOR_CHECKS" = 1 ] && prompt+=(--executor-checks)
  [ -f "$RUN/$out/card.json" ] || $DYNPLAN data crafter --trajectories "$TRAJECTORIES" \
    --max-steps "$MAX_STEPS" --schedules "$SCHEDULES" --text-options "$TEXT" \
    --actor "$ACTOR" --out "$RUN/$out" "${prompt[@]}" "$@"
}
sft() {  # $1: data, $2: out
  $DYNPLAN train sft --data "$RUN/$1" --model "$MODEL" --out "$RUN/$2" --resume \
    --max-steps "$SFT_STEPS" --batch-size "$BATCH" --prompt-loss-weight "$PROMPT_LOSS" \
    --eval-steps 1600 --save-steps 400 --seed "$SFT_SEED"
}
evaluate() {  # $1: name, $2: strategy, then backend options
  local name=$1 strategy=$2
  shift 2
  local out="$RUN/eval-$PROTOCOL-$name"
  local resume=()
  [ -d "$out" ] && resume=(--resume)
  $DYNPLAN eval --agent "llm:$strategy" --protocol "$PROTOCOL" --temperature 1.0 \
    --num-envs "$EVAL_ENVS" --name "$name" --out "$out" "${resume[@]}" "$@"
}
side_by_side() {  # $1: what runs (for a failure's message), then the pids to wait for
  local what=$1 pid
  shift
  for pid; do wait "$pid" || { echo "$what failed: see $RUN/*.log" >&2; return 1; }; done
}
rl() {  # $1: the student. PPO once per seed of RL_SEEDS, side by side (a core each); $RUN/rl
  # links the run that plays best on SELECT_PROTOCOL (the scores, and the chosen run's gain
  # over the student itself, played on the same seeds: $RUN/rl-selection.json)
  local student=$1 seeds=($RL_SEEDS) pids=() runs=() evaluations=() seed best
  if [ -e "$RUN/rl" ] && [ ! -L "$RUN/rl" ]; then
    echo "$RUN/rl holds an RL run of an older recipe (one seed); move it away and run again" >&2
    return 1
  fi
  echo "PPO, seeds ${seeds[*]} side by side: logs $RUN/rl-seed*.log"
  for seed in "${seeds[@]}"; do
    OMP_NUM_THREADS=1 $DYNPLAN train rl --model "$student" --out "$RUN/rl-seed$seed" --resume \
      --updates "$RL_UPDATES" --num-envs "$RL_ENVS" --rollout-steps "$RL_STEPS" --seed "$seed" \
      --no-progress >"$RUN/rl-seed$seed.log" 2>&1 &
    pids+=($!)
    runs+=("$RUN/rl-seed$seed")
  done
  side_by_side PPO "${pids[@]}"
  best=${runs[0]}
  if [ "${#seeds[@]}" -gt 1 ]; then
    OMP_NUM_THREADS=1 PROTOCOL=$SELECT_PROTOCOL evaluate student dynamic --model "$student" \
      --no-progress >"$RUN/select-student.log" 2>&1 &
    pids=($!)
    for seed in "${seeds[@]}"; do
      OMP_NUM_THREADS=1 PROTOCOL=$SELECT_PROTOCOL evaluate "rl-seed$seed" dynamic \
        --model "$student" --adapter "$RUN/rl-seed$seed" --no-progress \
        >"$RUN/select-seed$seed.log" 2>&1 &
      pids+=($!)
      evaluations+=("$RUN/eval-$SELECT_PROTOCOL-rl-seed$seed")  # where `evaluate` writes
    done
    side_by_side "the evaluation on $SELECT_PROTOCOL" "${pids[@]}"
    best=$("$PYTHON" -m baselines.select_run "$RUN/rl-selection.json" \
      --reference "$RUN/eval-$SELECT_PROTOCOL-student" "${evaluations[@]}")
  fi
  ln -sfn "$(basename "$best")" "$RUN/rl"
  echo "the RL model: $best"
}

trained() {  # $1: the SFT model's directory name; the student after DAgger
  if [ "$DAGGER_ROUNDS" -gt 0 ]; then echo "$RUN/dagger-$1/round-$DAGGER_ROUNDS/model"
  else echo "$RUN/$1"; fi
}
dagger() {  # $1: data, $2: the SFT model's directory name (nothing when DAGGER_ROUNDS=0)
  [ "$DAGGER_ROUNDS" -gt 0 ] || return 0
  $DYNPLAN train dagger --model "$RUN/$2" --data "$RUN/$1" --out "$RUN/dagger-$2" \
    --rounds "$DAGGER_ROUNDS" --episodes "$DAGGER_EPISODES" --sft-steps "$DAGGER_STEPS" \
    --max-steps "$MAX_STEPS" --batch-size "$BATCH" --prompt-loss-weight "$PROMPT_LOSS" \
    --seed "$SFT_SEED"
}
planner() {  # the learned dynamic planner: data, SFT, DAgger, PPO, evaluations
  data data
  sft data sft
  dagger data sft
  local student
  student=$(trained sft)
  rl "$student"
  evaluate learned-dynamic dynamic --model "$student"
  evaluate learned-dynamic+rl dynamic --model "$student" --adapter "$RUN/rl"
}
control() {  # the same trajectories, the plans hidden
  data data-never --hide-plans
  sft data-never sft-never
  dagger data-never sft-never
  local student
  student=$(trained sft-never)
  evaluate learned-never never --model "$student"
}

information() {  # the plans' information: next-action accuracy on 1,000 held-out states of 8
  # episodes (seeds from 15,000), the planner shown the plans against the control without them
  [ -f "$RUN/plan-information.txt" ] && { cat "$RUN/plan-information.txt"; return 0; }
  data held-out --trajectories 8 --first-env-seed 15000
  data held-out-never --trajectories 8 --first-env-seed 15000 --hide-plans
  $DYNPLAN diagnose --model "$(trained sft)" --data "$RUN/held-out" --samples 1000 --no-progress \
    --json "$RUN/diagnose-planner.json" >/dev/null &
  $DYNPLAN diagnose --model "$(trained sft-never)" --data "$RUN/held-out-never" --samples 1000 \
    --no-progress --json "$RUN/diagnose-control.json" >/dev/null &
  side_by_side "dynplan diagnose" $(jobs -p)
  "$PYTHON" -c 'import json, sys
planner, control = (json.load(open(f))["accuracy"] for f in sys.argv[1:])
print(f"plan information: planner {planner:.1%}, control {control:.1%}, "
      f"difference {planner - control:+.1%} (1,000 held-out states)")' \
    "$RUN/diagnose-planner.json" "$RUN/diagnose-control.json" | tee "$RUN/plan-information.txt"
}

if [ "$CONTROL" = 1 ]; then  # two lanes side by side, a core each (a small model uses one well)
  export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
  echo "the never-plan control runs beside the planner: its log is $RUN/control.log"
  control >"$RUN/control.log" 2>&1 &
  lane=$!
  trap 'kill "$lane" 2>/dev/null || true' EXIT
  planner
  wait "$lane" || { echo "the never-plan control failed: see $RUN/control.log" >&2; exit 1; }
  information
else
  planner
fi
echo "results: $RUN/eval-$PROTOCOL-*/result.json"

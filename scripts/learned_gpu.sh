#!/usr/bin/env bash
# The GPU recipe of the learned dynamic planner, end to end:
#   expert data -> SFT (SmolLM2-135M with LoRA, or a scratch model) -> PPO with the planning
#   cost -> evaluation of SFT + RL on held-out seeds.
# Every stage resumes: run it again after an interruption and finished stages are skipped.
# Every size below is an environment variable, e.g. a CPU smoke run:
#   MODEL=scratch:tiny TRAJECTORIES=2 MAX_STEPS=20 SFT_STEPS=2 RL_UPDATES=1 RL_ENVS=2 \
#   RL_STEPS=2 PROTOCOL=crafter-quick EVAL_ENVS=2 bash scripts/learned_gpu.sh
#
# The defaults aim at ~10 minutes on one H100. These are estimates, not measurements (run
# scripts/gpu_check.sh first and scale by its rows):
#   data  64 x 400 expert steps = ~25,600 samples; the expert runs on one CPU core at a few
#         hundred samples/s: ~1.5 min.
#   SFT   800 steps x 32 samples = one epoch; tokenizing the samples ~1 min; a LoRA step of
#         SmolLM2-135M on 32 x ~380 own tokens (+ the ~600-token shared prefix once) is
#         ~7 TFLOP, ~0.1 s at the low utilisation a 576-wide model gets: ~1.5 min.
#   RL    4 updates of 64 envs x 16 steps = 4,096 env steps; decoding is bound by kernel
#         launches (~20-30 ms a token at any of these batch sizes) and nearly every lockstep
#         step has an env that plans (up to 64 tokens): ~1.5 s a step, ~25 s of rollout and
#         ~15 s of scoring and updates per update: ~3 min.
#   eval  crafter-balrog, 10 episodes in lockstep: a model this weak dies within a few hundred
#         steps (the CPU models: 120-250), at ~0.5-1 s a step: ~2-4 min. A model that survives
#         the full 2,000 steps takes up to ~20 min. EVAL_SFT=1 also evaluates the SFT model.
# Measured on one H200, MODEL=scratch:base, data made on a CPU and carried (gpu_lease.sh):
#   2026-11-27, prompts with the system message: SFT 1,046 samples/s at batch 128 (1,201 steps
#   in 147 s); PPO 4 updates of 32 envs x 16 steps in 57 s.
#   2026-11-28, the defaults' prompts (no system message, loss on the observation), 1,024
#   sb3-ppo episodes (201,386 samples): SFT 1,613 samples/s at batch 256 (1,000 steps in 159 s;
#   ~4.6 min from the data to PPO); PPO 4 updates of 32 envs x 16 steps in 76 s (27 env steps/s).
set -euo pipefail
DYNPLAN=${DYNPLAN:-.venv/bin/dynplan}
PYTHON=${PYTHON:-python3}  # reads the model cards (standard library only)
MODEL=${MODEL:-smollm2-135m}  # an embedded model or HF directory (LoRA), or scratch:SIZE
DEVICE=${DEVICE:-auto}
SLUG=$(basename "$MODEL" | tr -c 'A-Za-z0-9._\n-' '-')
RUN=${RUN:-${DYNPLAN_HOME:-$HOME/.dynplan}/recipes/crafter-gpu-$SLUG}
ACTOR=${ACTOR:-executor}  # who acts in the data, as in make learned: the plan in force, carried out
VIEW_GRID=${VIEW_GRID:-1}  # 1: prompts draw the window as a grid (what the executor acts on)
TRAJECTORIES=${TRAJECTORIES:-64}
MAX_STEPS=${MAX_STEPS:-400}
SFT_STEPS=${SFT_STEPS:-800}
SFT_BATCH=${SFT_BATCH:-32}
SFT_MINUTES=${SFT_MINUTES:-}  # stop SFT (saved) after this many minutes, e.g. on a short lease
LORA_RANK=${LORA_RANK:-16}  # SFT and RL adapters (scratch models train every weight in SFT)
RL_UPDATES=${RL_UPDATES:-4}
RL_ENVS=${RL_ENVS:-64}
RL_STEPS=${RL_STEPS:-16}
PROTOCOL=${PROTOCOL:-crafter-balrog}
TEXT=${TEXT:-balrog}  # the data's observation text: the one crafter-balrog shows
# make learned's two levers (docs/results/learned-planner.md, "What limits the student"): a loss on each sample's own
# observation, and prompts without the ~600-token system message.
PROMPT_LOSS=${PROMPT_LOSS:-1}  # weight of the loss on each sample's own observation (0: none)
INSTRUCTION=${INSTRUCTION:-0}  # 1: prompts open with the system message
EVAL_ENVS=${EVAL_ENVS:-10}
EVAL_SFT=${EVAL_SFT:-0}
EVALUATE=${EVALUATE:-1}  # 0: stop after PPO (a short lease brings the models back to evaluate)
mkdir -p "$RUN"

card() {  # $1: a card.json, $2: a Python expression of its contents `c`
  "$PYTHON" -c "import json, sys; c = json.load(open(sys.argv[1])); print($2)" "$1"
}

prompt=()
[ "$INSTRUCTION" = 1 ] || prompt+=(--no-instruction)
[ "$VIEW_GRID" = 1 ] && prompt+=(--view-grid)
[ -f "$RUN/data/card.json" ] || $DYNPLAN data crafter --trajectories "$TRAJECTORIES" \
  --max-steps "$MAX_STEPS" --schedules every=1,dynamic=1 --text-options "$TEXT" --actor "$ACTOR" \
  --out "$RUN/data" "${prompt[@]}"

$DYNPLAN train sft --data "$RUN/data" --model "$MODEL" --out "$RUN/sft" --resume \
  --max-steps "$SFT_STEPS" --batch-size "$SFT_BATCH" --lora-rank "$LORA_RANK" --group-by-length \
  --prompt-loss-weight "$PROMPT_LOSS" \
  --eval-steps 400 --save-steps 400 --device "$DEVICE" ${SFT_MINUTES:+--max-minutes "$SFT_MINUTES"}
if [ "$(card "$RUN/sft/card.json" 'c["kind"]')" = lora-adapter ]; then
  sft=(--model "$(card "$RUN/sft/card.json" 'c["base"]["path"]')" --adapter "$RUN/sft")
else
  sft=(--model "$RUN/sft")
fi

$DYNPLAN train rl "${sft[@]}" --out "$RUN/rl" --resume --updates "$RL_UPDATES" \
  --num-envs "$RL_ENVS" --rollout-steps "$RL_STEPS" --lora-rank "$LORA_RANK" \
  --device "$DEVICE"
rl=(--model "$(card "$RUN/rl/card.json" 'c["load_with"]["model"]')" --adapter "$RUN/rl")

evaluate() {  # $1: name, then the model options
  local name=$1
  shift
  local out="$RUN/eval-$PROTOCOL-$name"
  local resume=()
  [ -d "$out" ] && resume=(--resume)
  $DYNPLAN eval --agent llm:dynamic --protocol "$PROTOCOL" --temperature 1.0 \
    --num-envs "$EVAL_ENVS" --name "$name" --out "$out" --device "$DEVICE" "${resume[@]}" "$@"
}
[ "$EVALUATE" = 1 ] || exit 0
if [ "$EVAL_SFT" = 1 ]; then
  evaluate "$SLUG-gpu-dynamic" "${sft[@]}"
fi
evaluate "$SLUG-gpu-dynamic+rl" "${rl[@]}"
echo "results: $RUN/eval-$PROTOCOL-*/result.json (submit with: dynplan submit FILE --to-repo)"

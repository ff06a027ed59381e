"""DAgger for the learned planner (`dynplan train dagger`): the student plays, the expert labels.

Behaviour cloning learns from the expert's states alone; played, the student's own mistakes
lead it to states the expert never showed it, and it dies when random does
(docs/results/learned-planner.md, "What limits the student"). DAgger (Ross, Gordon and
Bagnell, 2011) trains on the student's states.
Each round:
  1. the current student plays `episodes` Crafter episodes (sampled, under `dynamic`; under
     `never`, and labelled without plans, when its data had only never-plan answers) and the
     scripted expert, given the same observations, labels every state with what it would do;
     its map memory and facing follow the player (`ExpertAgent.follow`). Where the planning
     data's actor was a trained policy (`dynplan data --actor sb3:...`), that policy's sampled
     action is the label and the expert writes the plans, as in the data. With `expert_mix` > 0
     a step plays the expert's action instead (DAgger's beta), and the student's history says
     so (`LLMAgent.follow`). Where the data's actions carry out the plan in force (`dynplan
     data --actor executor`), so do the labels: `agents.prompt_executor.PromptExecutor`, from
     what the student's prompt shows, carries out the subgoal of the *student's own* plan in
     force, and the label plans anew (the expert's plan) where the data's `dynamic` schedule
     would (its subgoal changed, health lost, the plan 12 steps old) or where the plan in force
     names no subgoal the rules allow now (`ExecutorLabels`). A student of hidden-plan data
     (the control) is labelled with the expert's plans in force, hidden as in its data;
  2. a sample is the student's own prompt (`LLMAgent.last_prompts`: the one prompt builder)
     with the expert's answer, a plan when the expert's subgoal changes (the planning data's
     `dynamic` schedule, `baselines.planning_data`);
  3. the student is fine-tuned (`train_sft`, all weights) on every round's states so far plus
     `replay` planning-data samples per state, so it keeps what it learned.
Each round's states, training set and model are directories under `out`; a finished stage is
skipped on a rerun (an interrupted collection plays its round again).
"""

from __future__ import annotations

import dataclasses
import json
import random
from dataclasses import asdict
from pathlib import Path

import numpy as np

from baselines.configs import DaggerConfig, SFTConfig, cli_command
from dynplan_gym.lockstep import Lockstep

CARD = "card.json"


def run_dagger(config: DaggerConfig, progress: bool = True) -> dict:
    """Every round of `config`; returns (and writes to `out/card.json`) what each measured."""
    out = Path(config.out)
    _checked_inputs(config)
    done = _finished(out)
    if done and done["config"] == asdict(config):
        return done  # every round of this very config finished before
    out.mkdir(parents=True, exist_ok=True)
    student = _student(config.model)
    rounds = []
    for index in range(1, config.rounds + 1):
        here = out / f"round-{index}"
        states = _finished(here / "states") or collect_states(
            config, index, student, here / "states", progress
        )
        training_set(config, index, here / "data")
        sft = _sft(config, student, here / "data", here / "model", progress)
        rounds.append(
            {
                "round": index,
                "student": str(student),
                "states": states["samples"],
                "student_progression": states["progression"],
                "student_episode_length": states["episode_length"],
                "agreement_with_expert": states["agreement"],
                "held_out_loss": sft["final_held_out_loss"],
                "model": str(here / "model"),
            }
        )
        student = here / "model"
    card = {
        "config": asdict(config),
        "command": cli_command("dynplan train dagger", config, always=("model", "data", "out")),
        "model": str(student),
        "rounds": rounds,
    }
    (out / CARD).write_text(json.dumps(card, indent=1))
    return card


def _checked_inputs(config: DaggerConfig):
    """The planning data's config, after checking the student and the data fit together."""
    from agents.models import card_prompt
    from baselines.planning_data import DataConfig
    from leaderboard.protocols import DEVELOPMENT_SEEDS, EVALUATION_SEEDS, PROTOCOLS

    data_card = Path(config.data) / CARD
    if not data_card.is_file():
        raise FileNotFoundError(f"{data_card} not found: --data takes a `dynplan data` directory")
    card = json.loads(data_card.read_text())
    if not card.get("config"):
        raise ValueError(f"{config.data} holds no planning data config: expected `dynplan data`'s")
    data_config = DataConfig.from_dict(card["config"])
    if data_config.family != "crafter":
        raise ValueError(f"DAgger's expert labels Crafter; {config.data} holds {data_config.env}")
    if data_config.plans != "expert" and set(data_config.schedule_weights) != {"never"}:
        raise ValueError(
            f"{config.data}'s plans are hindsight plans (what the player went on to unlock), "
            "which no one can write for the student's states: expected expert plans or "
            "never-plan data"
        )
    if card_prompt(_student(config.model)) != card.get("prompt"):
        raise ValueError(
            f"{config.model} was not prompted as {config.data}'s samples are: expected the SFT "
            "model trained on that data"
        )
    reserved = set(EVALUATION_SEEDS) | set(DEVELOPMENT_SEEDS)
    reserved |= {s for p in PROTOCOLS.values() for s in p.seeds}
    seeds = range(config.first_env_seed, config.first_env_seed + config.rounds * config.episodes)
    if reserved & set(seeds):
        raise ValueError(f"--first-env-seed must be above the board's seeds ({max(reserved)})")
    return data_config


def _student(model: str) -> Path:
    """The first student's directory (a local one or a shipped name); adapters are refused."""
    from agents.models import whole_model

    return whole_model(model, "DAgger fine-tunes a whole SFT model")


def _finished(directory: Path) -> dict | None:
    """The card of a stage that finished before, else None."""
    card = directory / CARD
    return json.loads(card.read_text()) if card.is_file() else None


# -- 1-2: the student plays, the expert labels --------------------------------------------------
def collect_states(
    config: DaggerConfig, round_index: int, student: Path, out: Path, progress: bool = True
) -> dict:
    """Round `round_index`'s episodes of `student`, every state labelled by the expert, as a
    dataset (`samples.jsonl`, `card.json`) in `out`; returns the card."""
    from tqdm import tqdm

    from agents.factory import make_agent
    from baselines.planning_data import (
        PLAN_STYLES,
        actor_decision,
        actor_policy,
        env_and_expert,
        expert_answer,
        goal_text,
        plans_dynamically,
        sample_line,
    )
    from dynplan_gym.achievements import progression

    data_config = dataclasses.replace(_checked_inputs(config), max_steps=config.max_steps)
    # a student of never-plan (or hidden-plan) data plays and is labelled without plans
    never = set(data_config.schedule_weights) == {"never"} or data_config.hide_plans
    agent = make_agent(
        "llm:never" if never else "llm:dynamic",
        backend_options={"kind": "transformers", "model": str(student), "device": config.device},
        temperature=config.temperature,
        seed=config.seed + round_index,
    )
    first = config.first_env_seed + (round_index - 1) * config.episodes
    queue = list(range(first, first + config.episodes))
    rng = random.Random(f"{config.seed}:{round_index}")
    styles = {seed: rng.choice(sorted(PLAN_STYLES)) for seed in queue}
    mix = np.random.default_rng([config.seed, round_index])
    # the data's actor labels: the expert, or a trained policy (sampled) with the expert's plans
    executing = data_config.actor == "executor"
    policy = actor_policy(data_config.actor) if data_config.actor.startswith("sb3:") else None
    executors = ExecutorLabels(
        data_config.prompt_config().remembered_kinds, hidden=never, longest=data_config.k_range[1]
    )
    draws = np.random.default_rng([config.seed, round_index, 1])
    slots = min(config.num_envs, len(queue))
    pairs = [env_and_expert(data_config) for _ in range(slots)]
    expert = pairs[0][1]  # the expert is batched over slots
    agent.reset(slots)
    expert.reset(slots)
    lockstep = Lockstep([env for env, _ in pairs], queue)
    health: dict[int, int | None] = dict.fromkeys(lockstep.running)  # at each slot's last step
    lines: list[str] = []
    finished: list[dict] = []
    agreed = 0
    bar = tqdm(total=config.episodes, desc=f"DAgger round {round_index}", disable=not progress)
    while lockstep:
        active = lockstep.active
        observations, infos = lockstep.observations(), lockstep.infos()
        decisions = agent.act(observations, infos)
        hurts = [_hurt(health[s], info) for s, info in zip(active, infos, strict=True)]
        labels = [
            actor_decision(label, policy, obs, info, draws)
            for label, obs, info in zip(
                expert.act(observations, infos), observations, infos, strict=True
            )
        ]
        plans_now = [
            not never and plans_dynamically(label, hurt, int(info["step"]))
            for label, hurt, info in zip(labels, hurts, infos, strict=True)
        ]
        if executing:
            labels, plans_now = zip(
                *(
                    executors.label(s, label, obs, info, agent.episode_memory(s).map, hurt)
                    for s, label, obs, info, hurt in zip(
                        active, labels, observations, infos, hurts, strict=True
                    )
                ),
                strict=True,
            )
            plans_now = [plan_now and not never for plan_now in plans_now]
        played = [
            label.action if mix.random() < config.expert_mix else decision.action
            for decision, label in zip(decisions, labels, strict=True)
        ]
        expert.follow(played, infos)
        agent.follow(played, infos)
        for slot, prompt, decision, label, action, plan_now, info in zip(
            active, agent.last_prompts, decisions, labels, played, plans_now, infos, strict=True
        ):
            seed = lockstep.running[slot].seed
            step = int(info["step"])
            style = styles[seed]
            answer, plan = expert_answer(label, plan_now, style, "crafter")
            meta = {
                "seed": seed,
                "step": step,
                "schedule": "dagger",
                "style": style,
                "subgoal": goal_text(label.meta["subgoal"]),
                "action": label.action,
                "plan": plan,
                "student_action": decision.action,
                "student_plan": decision.plan,
            }
            lines.append(sample_line(prompt, answer, meta))
            agreed += decision.action == label.action
            health[slot] = info["inventory"]["health"]
            _, _, terminated, truncated, info = lockstep.step(
                slot, {"action": action, "plan": decision.plan}
            )
            if terminated or truncated:
                finished.append(
                    {"length": step + 1, "progression": 100 * progression(info["achievements"])}
                )
                lockstep.end(slot)
                health[slot] = None
                bar.update(1)
    bar.close()
    lockstep.close()
    out.mkdir(parents=True, exist_ok=True)
    (out / "samples.jsonl").write_text("".join(lines))
    scores = np.array([e["progression"] for e in finished])
    card = {
        "kind": "dagger-states",
        "round": round_index,
        "student": str(student),
        "config": asdict(data_config),
        "prompt": agent.config.to_dict(),
        "samples": len(lines),
        "episodes": len(finished),
        "seeds": [first, first + config.episodes - 1],
        "progression": _mean_and_error(scores),
        "episode_length": float(np.mean([e["length"] for e in finished])),
        "agreement": agreed / max(len(lines), 1),
        "expert_mix": config.expert_mix,
    }
    (out / CARD).write_text(json.dumps(card, indent=1))
    return card


def _hurt(last_health: int | None, info: dict) -> bool:
    """Whether the player has less health than at its last step (`last_health`)."""
    return last_health is not None and info["inventory"]["health"] < last_health


def actionable(subgoal: str, inventory: dict[str, int]) -> bool:
    """Whether the rules let the player work on `subgoal` now: a subgoal the expert knows,
    and for collecting, placing and making, one its inventory and tools allow."""
    from agents.expert import PURSUITS
    from agents.gate import feasible_subgoals

    if subgoal.startswith(("collect_", "place_", "make_")):
        return subgoal in feasible_subgoals(inventory)
    return subgoal in PURSUITS


class ExecutorLabels:
    """The labels of executor data on a student's states, one episode per slot.

    Each step the label acts as `PromptExecutor` would for the subgoal of the plan in force:
    the student's own (read from its prompt by `agents.gate.plan_subgoal`), or, `hidden`
    (the control, which sees no plan), the expert's plan it would have in force. It plans
    anew, the expert's plan, where the data's `dynamic` schedule would (the expert's subgoal
    changed, health lost, the first step, a plan `longest` steps old) or where the plan in
    force names no subgoal the rules allow now."""

    def __init__(self, remembered_kinds, hidden: bool, longest: int) -> None:
        self.remembered_kinds = tuple(remembered_kinds)
        self.hidden = hidden
        self.longest = longest
        self.slots: dict[int, dict] = {}

    def label(self, slot: int, decision, obs: dict, info: dict, prompt_map, hurt: bool):
        """(the expert's `decision` with the executor's action, whether the label plans)."""
        from dataclasses import replace

        from agents.gate import plan_subgoal
        from agents.prompt_executor import PromptExecutor
        from baselines.planning_data import plans_dynamically

        step = int(info["step"])
        if step == 0 or slot not in self.slots:
            self.slots[slot] = {"executor": PromptExecutor(self.remembered_kinds)}
        state = self.slots[slot]
        if self.hidden:  # the expert's plan in force, which the student never saw
            goal, age = state.get("goal", ""), step - state.get("since", step)
        else:
            goal = plan_subgoal(obs["plan"]) if obs.get("plan") else ""
            age = int(obs.get("plan_age", 0))
        plan_now = (
            plans_dynamically(decision, hurt, step)
            or age >= self.longest
            or not actionable(goal, info["inventory"])
        )
        if plan_now:
            goal = decision.meta["subgoal"]
            state.update(goal=goal, since=step)
        action = state["executor"](obs, info, goal, prompt_map)
        meta = {**decision.meta, "subgoal": goal}
        return replace(decision, action=action, meta=meta), plan_now


def _mean_and_error(values: np.ndarray) -> dict:
    error = float(values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else 0.0
    return {"mean": float(values.mean()), "standard_error": error}


# -- 3: the student learns from its own states ----------------------------------------------------
def training_set(config: DaggerConfig, round_index: int, out: Path) -> Path:
    """Every round's states up to `round_index`, plus `replay` planning-data samples per state
    (drawn at random, seeded), as a dataset in `out`."""
    if (out / CARD).is_file():
        return out
    from baselines.sft import load_samples

    root = out.parent.parent
    states = []
    for index in range(1, round_index + 1):
        states += (root / f"round-{index}" / "states" / "samples.jsonl").read_text().splitlines()
    base = load_samples(config.data)
    wanted = min(len(base), round(config.replay * len(states)))
    replayed = random.Random(f"{config.seed}:{round_index}").sample(range(len(base)), wanted)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "samples.jsonl", "w") as f:
        for line in states:
            f.write(line + "\n")
        for i in sorted(replayed):
            f.write(json.dumps(base[i]) + "\n")
    data_card = json.loads((Path(config.data) / CARD).read_text())
    card = {
        "kind": "dagger-training-set",
        "round": round_index,
        "config": data_card["config"],  # the replayed data's, whose prompt every sample shares
        "command": data_card.get("command"),
        "prompt": data_card["prompt"],
        "samples": len(states) + wanted,
        "states": len(states),
        "replayed": wanted,
        "replayed_from": str(config.data),
    }
    (out / CARD).write_text(json.dumps(card, indent=1))
    return out


def _sft(config: DaggerConfig, student: Path, data: Path, out: Path, progress: bool) -> dict:
    """The student fine-tuned on `data` (all weights), resuming where it stopped."""
    from baselines.sft import train_sft

    sft = SFTConfig(
        data=str(data),
        out=str(out),
        model=str(student),
        lora_rank=0,
        max_steps=config.sft_steps,
        learning_rate=config.learning_rate,
        batch_size=config.batch_size,
        prompt_loss_weight=config.prompt_loss_weight,
        eval_steps=max(config.sft_steps, 1),
        save_steps=max(config.sft_steps // 3, 1),
        seed=config.seed,
        device=config.device,
        dtype=config.dtype,
    )
    return train_sft(sft, resume=True, progress=progress)


def run_from_args(args) -> int:
    """`dynplan train dagger`."""
    from baselines.configs import config_from_args

    config = config_from_args(DaggerConfig, args)
    try:
        card = run_dagger(config, progress=not args.no_progress)
    except (FileExistsError, FileNotFoundError, ValueError) as err:
        raise SystemExit(f"dynplan train dagger: {err}") from None
    print(f"model: {card['model']}")
    for r in card["rounds"]:
        p = r["student_progression"]
        print(
            f"  round {r['round']}: {r['states']} states; its student {p['mean']:.1f} ± "
            f"{p['standard_error']:.1f} % progression, {r['student_episode_length']:.0f} steps, "
            f"{100 * r['agreement_with_expert']:.1f} % of actions the expert's; held-out loss "
            f"{r['held_out_loss']:.3f}"
        )
    return 0

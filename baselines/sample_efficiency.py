"""`dynplan experiment sample-efficiency`: does SFT on planning data make RL sample-efficient?

PPO with the planning cost (`baselines.ppo_llm`, the same budget for each) from three starts:
  - `planner`: the SFT planner (default `learned-dynamic`), playing under `dynamic`;
  - `control`: its never-plan control (default `learned-never`), under `never`;
  - `base`: the planner's architecture and tokenizer with weights drawn afresh (unprimed),
    under `dynamic`.
Each start trains `seeds` PPO runs (resumable, one directory each under `OUT/runs/`). The
learning curves are each run's rollout statistics per update (unlocks per 100 steps, reward per
step, against env steps), mean ± s.e. over seeds. Then every final model plays `protocol`
(development seeds): per seed the mean over the PPO runs of a start, compared paired by seed.
The claim is shown when the planner reaches the control's final level (the mean of the last
quarter of its curve) in at most half the steps, or its final play beats the control's by more
than 2 s.e. `OUT/results.json`, `OUT/sample-efficiency.png` and `OUT/README.md` hold the result.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from baselines.configs import SampleEfficiencyConfig, cli_command
from baselines.sweep import README, RESULTS, run_jobs, write_experiment  # noqa: F401 (re-exported)

PLOT = "sample-efficiency.png"
CURVE = "unlocks_per_100_steps"  # the curve the claim reads; reward_per_step is plotted beside
SMOOTHING = 4  # updates in the curves' moving average
BASE_SEED = 1  # the base's weights (SFT draws a scratch model's initial weights with its seed, 0)


def starts(config: SampleEfficiencyConfig) -> dict[str, tuple[str, str]]:
    """{start: (model spec, strategy)}; the base is made by `untrained_base`."""
    chosen = {"planner": (config.planner, "dynamic"), "control": (config.control, "never")}
    if config.base:
        chosen["base"] = ("", "dynamic")
    return chosen


def untrained_base(config: SampleEfficiencyConfig) -> Path:
    """`OUT/base`: the planner's architecture and tokenizer with fresh random weights (seeded),
    and the planner's prompt in its card, so it plays the same text."""
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    from agents.models import card_prompt

    out = Path(config.out) / "base"
    if (out / "card.json").is_file():
        return out
    planner = _model_dir(config.planner)
    import torch

    torch.manual_seed(BASE_SEED)
    model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(planner))
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(planner, local_files_only=True).save_pretrained(out)
    card = {"kind": "untrained base", "of": str(planner), "prompt": card_prompt(planner)}
    (out / "card.json").write_text(json.dumps(card, indent=1))
    return out


def _model_dir(spec: str) -> Path:
    from agents.models import whole_model

    return whole_model(spec, "PPO starts from a whole SFT model")


def train_and_play(args: tuple) -> tuple[tuple[str, int], dict[str, Any]]:
    """One PPO run of a start (resumed where it stopped), then its final model on `protocol`."""
    import os

    from agents.factory import make_agent
    from baselines.ppo_llm import PPOConfig, PPOTrainer, read_log
    from leaderboard.agent_specs import describe
    from leaderboard.protocols import get_protocol
    from leaderboard.runner import EvaluationRun

    config, start, model, strategy, seed = args
    if config.workers > 1:
        from agents.devices import cpu_threads

        os.environ["DYNPLAN_THREADS"] = str(cpu_threads(config.workers))
    out = Path(config.out) / "runs" / f"{start}-seed{seed}"
    ppo = PPOConfig(
        model=str(model),
        out=str(out / "rl"),
        strategy=strategy,
        num_envs=config.num_envs,
        rollout_steps=config.rollout_steps,
        updates=config.updates,
        seed=seed,
    )
    PPOTrainer(ppo, progress=False).train(resume=True)
    options = {"kind": "transformers", "model": str(model), "adapter": str(out / "rl")}
    agent = make_agent(f"llm:{strategy}", backend_options=options, temperature=1.0, seed=seed)
    spec = describe(
        f"llm:{strategy}",
        name=f"{start} + PPO (seed {seed})",
        backend=options["kind"],
        model=options["model"],
        adapter=options["adapter"],
        temperature=1.0,
    )
    result = EvaluationRun(
        agent, spec, get_protocol(config.protocol), out / "eval", num_envs=config.eval_envs
    ).run(resume=True, progress=False)
    from dynplan_gym.achievements import progression

    return (start, seed), {
        "log": [
            {k: row.get(k) for k in ("update", "env_steps", CURVE, "reward_per_step")}
            for row in read_log(out / "rl")
        ],
        "progression_by_seed": [
            [e.seed, 100 * progression(e.achievements)] for e in result.episodes
        ],
    }


def curve(runs: list[dict[str, Any]], key: str) -> dict[str, list[float]]:
    """Mean ± s.e. over runs of `key` per update, and its moving average (`SMOOTHING`)."""
    from leaderboard.metrics import mean_and_se

    length = min(len(run["log"]) for run in runs)
    steps = [runs[0]["log"][i]["env_steps"] for i in range(length)]
    stats = [mean_and_se([float(run["log"][i][key]) for run in runs]) for i in range(length)]
    means = [m for m, _ in stats]
    smooth = [
        sum(means[max(0, i - SMOOTHING + 1) : i + 1])
        / len(means[max(0, i - SMOOTHING + 1) : i + 1])
        for i in range(length)
    ]
    return {"env_steps": steps, "mean": means, "se": [s for _, s in stats], "smooth": smooth}


def final_level(points: dict[str, list[float]]) -> float:
    """The mean of a curve's last quarter (at least one update)."""
    tail = points["mean"][-max(1, len(points["mean"]) // 4) :]
    return sum(tail) / len(tail)


def steps_to_reach(points: dict[str, list[float]], level: float) -> int | None:
    """The first env step at which a curve's moving average reaches `level` (None: never)."""
    return next(
        (s for s, v in zip(points["env_steps"], points["smooth"], strict=True) if v >= level), None
    )


def pooled(runs: list[dict[str, Any]]) -> list[tuple[int, float]]:
    """(seed, mean over a start's PPO runs of that seed's progression)."""
    by_seed: dict[int, list[float]] = {}
    for run in runs:
        for seed, value in run["progression_by_seed"]:
            by_seed.setdefault(seed, []).append(value)
    return sorted((seed, sum(v) / len(v)) for seed, v in by_seed.items())


def claim_of(starts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Claim 2 read off the planner's and the control's results: the planner's curve climbs
    to the control's final level in at most half the budget, or its final play beats the
    control's by more than 2 s.e. (paired by seed). A curve that starts at or above that level
    reaches it without learning anything (rollouts of young episodes unlock more per step than
    old ones), so reaching counts only from below."""
    from leaderboard.compare import difference

    planner, control = starts["planner"], starts["control"]
    level = final_level(control["curves"][CURVE])
    starts_above = planner["curves"][CURVE]["smooth"][0] >= level
    reached = None if starts_above else steps_to_reach(planner["curves"][CURVE], level)
    budget = control["curves"][CURVE]["env_steps"][-1]
    gap = difference(control["progression_by_seed"], planner["progression_by_seed"])
    claim = {
        "control_final_level": round(level, 3),
        "planner_starts_above_it": starts_above,
        "planner_steps_to_reach_it": reached,
        "budget_env_steps": budget,
        "in_half_the_steps": reached is not None and reached <= budget / 2,
        "final_play_difference": round(gap.difference, 3),
        "final_play_se": round(gap.se, 3),
        "final_play_beyond_2se": gap.beyond_2se and gap.difference > 0,
    }
    claim["shown"] = claim["in_half_the_steps"] or claim["final_play_beyond_2se"]
    return claim


def run_sample_efficiency(config: SampleEfficiencyConfig, progress: bool = True) -> dict[str, Any]:
    """The whole experiment; writes results.json, the plot and the report; returns results."""
    from leaderboard.metrics import mean_and_se
    from leaderboard.protocols import get_protocol

    get_protocol(config.protocol)  # fail before any run
    started = time.perf_counter()
    chosen = starts(config)
    models = {
        name: untrained_base(config) if name == "base" else _model_dir(spec)
        for name, (spec, _) in chosen.items()
    }
    jobs = [
        (config, name, models[name], strategy, seed)
        for name, (_, strategy) in chosen.items()
        for seed in range(config.seeds)
    ]
    done = run_jobs(train_and_play, jobs, config.workers, "PPO runs", progress, config.ray)
    results_by_start = {}
    for name in chosen:
        runs = [done[(name, seed)] for seed in range(config.seeds)]
        scores = pooled(runs)
        mean, se = mean_and_se([v for _, v in scores])
        results_by_start[name] = {
            "model": str(models[name]),
            "strategy": chosen[name][1],
            "curves": {key: curve(runs, key) for key in (CURVE, "reward_per_step")},
            "final_play": {"mean": round(mean, 3), "se": round(se, 3)},
            "progression_by_seed": [[s, round(v, 4)] for s, v in scores],
        }
    results = {
        "command": cli_command("dynplan experiment sample-efficiency", config, always=()),
        "config": asdict(config),
        "protocol": config.protocol,
        "starts": results_by_start,
        "claim": claim_of(results_by_start),
        "seconds": round(time.perf_counter() - started, 1),
    }
    write_experiment(results, config.out, plot, write_readme, PLOT)
    return results


def verdict(results: dict[str, Any]) -> str:
    claim = results["claim"]
    level, budget = claim["control_final_level"], claim["budget_env_steps"]
    reached = claim["planner_steps_to_reach_it"]
    if claim.get("planner_starts_above_it"):
        curve = (
            f"the planner's curve starts above the control's final level ({level:.2f} unlocks "
            f"per 100 steps), so reaching it says nothing of learning"
        )
    else:
        where = f"at {reached} env steps" if reached is not None else "never"
        curve = (
            f"the planner reaches the control's final level ({level:.2f} unlocks per 100 "
            f"steps) {where} of {budget}"
        )
    return (
        f"Claim {'shown' if claim['shown'] else 'not shown'}: {curve}; final play, planner - "
        f"control: {claim['final_play_difference']:+.1f} ± {claim['final_play_se']:.1f} "
        "points (paired by seed)."
    )


def write_readme(results: dict[str, Any], path: Path) -> None:
    """The report: the budget, a table per start, the verdict, the plot."""
    from leaderboard.protocols import get_protocol

    config, protocol = results["config"], get_protocol(results["protocol"])
    lines = [
        "# sample-efficiency: does SFT on planning data make RL sample-efficient?",
        "",
        f"`{results['command']}` ({results['seconds'] / 60:.0f} minutes on this machine). PPO "
        f"with the planning cost, {config['updates']} updates of {config['num_envs']} envs x "
        f"{config['rollout_steps']} steps ({results['claim']['budget_env_steps']} env steps) "
        f"per run, {config['seeds']} seeds per start. Curves: rollout statistics per update, "
        f"mean over seeds; final play: {protocol.id} ({protocol.description}), per seed the "
        "mean over a start's runs, mean ± standard error over seeds.",
        "",
        f"![sample-efficiency]({PLOT})",
        "",
        "| start | strategy | final level (unlocks / 100 steps) | final play progression % |",
        "| --- | --- | --- | --- |",
    ]
    for name, start in results["starts"].items():
        play = start["final_play"]
        lines.append(
            f"| {name} | {start['strategy']} | {final_level(start['curves'][CURVE]):.2f} | "
            f"{play['mean']:.1f} ± {play['se']:.1f} |"
        )
    lines += ["", verdict(results), ""]
    path.write_text("\n".join(lines))


def plot(results: dict[str, Any], path: Path) -> None:
    """Unlocks per 100 steps and reward per step against env steps, one line per start
    (mean over seeds ± s.e. band, with its moving average)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for axis, key, label in zip(
        axes, (CURVE, "reward_per_step"), ("unlocks per 100 steps", "reward per step"), strict=True
    ):
        for name, start in results["starts"].items():
            points = start["curves"][key]
            low = [m - s for m, s in zip(points["mean"], points["se"], strict=True)]
            high = [m + s for m, s in zip(points["mean"], points["se"], strict=True)]
            (line,) = axis.plot(points["env_steps"], points["smooth"], label=name)
            axis.fill_between(points["env_steps"], low, high, alpha=0.2, color=line.get_color())
        axis.set_xlabel("env steps")
        axis.set_ylabel(label)
        axis.legend(fontsize=8)
    fig.suptitle("PPO with the planning cost from each start (mean ± s.e. over seeds)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)

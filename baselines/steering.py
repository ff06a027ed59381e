"""`dynplan experiment steering`: can human-written plans steer an agent past its own play?

For each actor (default: the best shipped learned agent, `learned-dynamic-gpu`, and the
scripted expert's executor as the reference that follows plans literally), the same seeds are
played under these planners:
  - `no plans`: the actor alone, no plan ever in force;
  - `own plans`: an LLM actor's own planning (its model under `dynamic`);
  - `plans:NAME`: each human plan file (`plans/*.txt`), handed in as its triggers fire;
  - `expert planner`: the scripted expert's planner half (a plan when its subgoal changes).
Every run is a planner/actor pair (`agents.pair`) through the leaderboard's runner (resumable,
one directory per run under `OUT/runs/`). `OUT/results.json` holds every number as mean ±
s.e. with the command, and each steered run's difference from the same actor's `no plans`
and `own plans` runs; `OUT/steering.png` plots progression per planner and per-achievement
success; `OUT/README.md` is the report.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from baselines.configs import SteeringConfig, cli_command
from baselines.sweep import (  # noqa: F401 (README, RESULTS re-exported)
    README,
    RESULTS,
    median_seed,
    run_jobs,
    write_experiment,
)

PLOT = "steering.png"
NO_PLANS, OWN_PLANS, EXPERT_PLANNER = "no plans", "own plans", "expert planner"


@dataclass(frozen=True)
class SteeringRun:
    """One actor under one planner (`planner`: a planner spec; "" for the actor's own)."""

    actor: str
    condition: str
    planner: str

    @property
    def directory(self) -> str:
        return f"{_slug(self.actor)}/{_slug(self.condition)}"


def _slug(text: str) -> str:
    from dynplan_gym.paths import safe_name

    return safe_name(text.replace(" ", "-").replace(":", "-"))


def plan_files(config: SteeringConfig) -> list[Path]:
    """The plan files of `config.plans` (`shipped`: every shipped one; a directory's *.txt,
    sorted; or one file)."""
    if config.plans == "shipped":
        from agents.human_plan import shipped_plans

        return list(shipped_plans().values())
    path = Path(config.plans)
    files = sorted(path.glob("*.txt")) if path.is_dir() else [path]
    missing = [str(f) for f in files if not f.is_file()]
    if not files or missing:
        raise ValueError(f"--plans must be a plan file or a directory of *.txt plan files: {path}")
    return files


def is_llm_actor(actor: str) -> bool:
    from agents.specs import parse_spec

    return actor not in ("human", "expert") and parse_spec(actor, "never").kind == "llm"


def plan_runs(config: SteeringConfig) -> list[SteeringRun]:
    """Every run of the experiment, actor by actor."""
    if not config.actors:
        raise ValueError("--actors needs at least one actor")
    runs = []
    for actor in config.actors:
        runs.append(SteeringRun(actor, NO_PLANS, "none"))
        if is_llm_actor(actor):
            runs.append(SteeringRun(actor, OWN_PLANS, ""))
        runs += [SteeringRun(actor, f"plans:{f.stem}", str(f)) for f in plan_files(config)]
        runs.append(SteeringRun(actor, EXPERT_PLANNER, "expert"))
    return runs


def make_run_agent(run: SteeringRun, config: SteeringConfig):
    """The agent and its result-file spec for one run."""
    from agents.factory import make_agent
    from agents.pair import make_pair
    from agents.specs import parse_spec
    from leaderboard.agent_specs import describe, describe_pair

    if run.condition == OWN_PLANS:
        parsed = parse_spec(run.actor)  # a shipped name plans under dynamic
        agent = make_agent(parsed, temperature=config.temperature)
        name = f"{run.actor} (own plans)"
        return agent, describe(parsed, name=name, temperature=config.temperature)
    agent = make_pair(run.planner, run.actor, temperature=config.temperature)
    return agent, describe_pair(run.planner, run.actor, temperature=config.temperature)


def play(args: tuple[SteeringConfig, SteeringRun]) -> tuple[SteeringRun, dict[str, Any]]:
    """Play (or finish) one run; its summary."""
    from leaderboard.protocols import get_protocol
    from leaderboard.runner import EvaluationRun

    config, run = args
    if config.workers > 1 and is_llm_actor(run.actor):
        import os

        from agents.devices import cpu_threads

        os.environ["DYNPLAN_THREADS"] = str(cpu_threads(config.workers))  # the backend's
    agent, spec = make_run_agent(run, config)
    out = Path(config.out) / "runs" / run.directory
    result = EvaluationRun(
        agent, spec, get_protocol(config.protocol), out, num_envs=config.num_envs
    ).run(resume=True, progress=False)
    return run, summarize(result.episodes)


def summarize(episodes) -> dict[str, Any]:
    """The goldilocks summary plus each achievement's success rate (% of episodes) and each
    episode's progression by seed (what the comparisons pair)."""
    from baselines.goldilocks import summarize as base_summary
    from dynplan_gym.achievements import ACHIEVEMENTS
    from leaderboard.compare import episode_scores

    summary = base_summary(episodes)
    summary["success"] = {
        name: round(100 * sum(e.achievements.get(name, 0) > 0 for e in episodes) / len(episodes), 1)
        for name in ACHIEVEMENTS
    }
    summary["progression_by_seed"] = [
        [seed, round(value, 4)] for seed, value in episode_scores(episodes, "progression")
    ]
    return summary


def compare(point: dict[str, Any], baseline: dict[str, Any]) -> dict[str, Any]:
    """Progression difference (point - baseline), its s.e. (paired by seed: every run plays the
    protocol's seeds), and whether it exceeds 2 s.e."""
    from leaderboard.compare import difference

    gap = difference(
        [tuple(pair) for pair in baseline["progression_by_seed"]],
        [tuple(pair) for pair in point["progression_by_seed"]],
    )
    return {
        "difference": round(gap.difference, 3),
        "se": round(gap.se, 3),
        "paired": gap.paired,
        "beyond_2se": gap.beyond_2se,
    }


def run_steering(config: SteeringConfig, progress: bool = True) -> dict[str, Any]:
    """The whole experiment; writes results.json, the plot and the report; returns results."""
    from leaderboard.protocols import get_protocol

    get_protocol(config.protocol)  # fail before any run
    started = time.perf_counter()
    runs = plan_runs(config)
    jobs = [(config, run) for run in runs]
    summaries = run_jobs(play, jobs, config.workers, "steering runs", progress, config.ray)
    actors = []
    for actor in config.actors:
        points = {r.condition: summaries[r] for r in runs if r.actor == actor}
        for condition, point in points.items():
            if condition in (NO_PLANS, OWN_PLANS):
                continue
            point["vs_no_plans"] = compare(point, points[NO_PLANS])
            if OWN_PLANS in points:
                point["vs_own_plans"] = compare(point, points[OWN_PLANS])
        if OWN_PLANS in points:
            points[OWN_PLANS]["vs_no_plans"] = compare(points[OWN_PLANS], points[NO_PLANS])
        actors.append({"actor": actor, "runs": points})
    results = {
        "command": cli_command("dynplan experiment steering", config, always=()),
        "config": asdict(config),
        "protocol": config.protocol,
        "actors": actors,
        "seconds": round(time.perf_counter() - started, 1),
    }
    write_experiment(results, config.out, plot, write_readme, PLOT)
    return results


def _cell(stat: dict[str, float]) -> str:
    return f"{stat['mean']:.1f} ± {stat['se']:.1f}"


def _versus(comparison: dict[str, Any] | None) -> str:
    if not comparison:
        return ""
    mark = " **(> 2 s.e.)**" if comparison["beyond_2se"] else ""
    return f"{comparison['difference']:+.1f} ± {comparison['se']:.1f}{mark}"


def write_readme(results: dict[str, Any], path: Path) -> None:
    """The report: a table per actor, the verdict, the plot."""
    from leaderboard.protocols import get_protocol

    protocol = get_protocol(results["protocol"])
    lines = [
        "# steering: do human-written plans lift an actor above its own play?",
        "",
        f"`{results['command']}` ({results['seconds'] / 60:.0f} minutes on this machine; "
        f"{protocol.id}: {protocol.description}). Mean ± standard error over episodes; "
        "progression is the share of Crafter's 22 achievements unlocked. A difference is "
        "marked only where it exceeds 2 standard errors of the difference (paired by seed: "
        "every run plays the same seeds).",
        "",
        f"![steering]({PLOT})",
        "",
    ]
    for entry in results["actors"]:
        runs = entry["runs"]
        lines += [
            f"## actor: {entry['actor']}",
            "",
            "| planner | progression % | vs no plans | vs own plans | task return | length | "
            "plans / 100 steps |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for condition, point in runs.items():
            lines.append(
                f"| {condition} | {_cell(point['progression'])} | "
                f"{_versus(point.get('vs_no_plans'))} | {_versus(point.get('vs_own_plans'))} | "
                f"{point['task_return']['mean']:.2f} ± {point['task_return']['se']:.2f} | "
                f"{point['length']['mean']:.0f} | {point['plans_per_100_steps']:.1f} |"
            )
        lines += ["", verdict(entry), "", replay_line(results, entry), ""]
    path.write_text("\n".join(lines))


def replay_line(results: dict[str, Any], entry: dict[str, Any]) -> str:
    """The `dynplan replay` command that shows a typical episode (the median seed of the best
    human plan) with no plans and with that plan, side by side."""
    runs = entry["runs"]
    human = {c: p for c, p in runs.items() if c.startswith("plans:")}
    if not human:
        return ""
    best = max(human, key=lambda c: human[c]["progression"]["mean"])
    seed = median_seed(human[best]["progression_by_seed"])
    root = Path(results["config"]["out"]) / "runs"
    plain, steered = (root / SteeringRun(entry["actor"], c, "").directory for c in (NO_PLANS, best))
    return (
        f"A typical episode (seed {seed}, the median of {best}), without plans and with it: "
        f"`dynplan replay {plain} --seed {seed} --compare {steered}`."
    )


def verdict(entry: dict[str, Any]) -> str:
    """One paragraph: which human plans lift the actor beyond its unaided play."""
    runs = entry["runs"]
    human = {c: p for c, p in runs.items() if c.startswith("plans:")}
    baseline = OWN_PLANS if OWN_PLANS in runs else NO_PLANS
    key = "vs_own_plans" if baseline == OWN_PLANS else "vs_no_plans"
    lifted = [c for c, p in human.items() if p[key]["beyond_2se"] and p[key]["difference"] > 0]
    lowered = [c for c, p in human.items() if p[key]["beyond_2se"] and p[key]["difference"] < 0]
    best = max(human, key=lambda c: human[c]["progression"]["mean"]) if human else None
    parts = [
        f"Unaided ({baseline}), {entry['actor']} reaches "
        f"{_cell(runs[baseline]['progression'])} % progression."
    ]
    if best:
        parts.append(
            f"The best human plan file, {best}, gives {_cell(human[best]['progression'])} % "
            f"({_versus(human[best][key])} points)."
        )
    parts.append(
        f"Human plans that lift it by more than 2 s.e.: {', '.join(lifted) or 'none'}; that "
        f"lower it: {', '.join(lowered) or 'none'}."
    )
    return " ".join(parts)


def plot(results: dict[str, Any], path: Path) -> None:
    """Top: progression per planner, one bar group per actor. Bottom: per-achievement
    success of each run of the first actor (a heat map)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from dynplan_gym.achievements import ACHIEVEMENTS

    actors = results["actors"]
    conditions = list(dict.fromkeys(c for entry in actors for c in entry["runs"]))
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(11, 9), gridspec_kw={"height_ratios": [1, 1.3]}
    )
    width = 0.8 / len(actors)
    for i, entry in enumerate(actors):
        xs, means, errors = [], [], []
        for j, condition in enumerate(conditions):
            if condition in entry["runs"]:
                point = entry["runs"][condition]["progression"]
                xs.append(j + (i - (len(actors) - 1) / 2) * width)
                means.append(point["mean"])
                errors.append(point["se"])
        top.bar(xs, means, width, yerr=errors, capsize=3, label=f"actor: {entry['actor']}")
    top.set_xticks(range(len(conditions)), conditions, rotation=20, ha="right", fontsize=8)
    top.set_ylabel("progression (%)")
    top.set_title(f"steering on {results['protocol']} (mean ± s.e.)", fontsize=11)
    top.legend(fontsize=8)
    first = actors[0]
    rows = list(first["runs"])
    grid = np.array([[first["runs"][c]["success"][a] for a in ACHIEVEMENTS] for c in rows])
    image = bottom.imshow(grid, aspect="auto", cmap="viridis", vmin=0, vmax=100)
    bottom.set_yticks(range(len(rows)), rows, fontsize=8)
    bottom.set_xticks(range(len(ACHIEVEMENTS)), ACHIEVEMENTS, rotation=60, ha="right", fontsize=7)
    bottom.set_title(f"success rate per achievement (%), actor {first['actor']}", fontsize=10)
    fig.colorbar(image, ax=bottom, fraction=0.03)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)

"""`dynplan experiment tech-tree`: do planners reach deeper into Crafter's tech tree?

Each agent (default: the never-plan control `learned-never`, the planner `learned-dynamic`
and its PPO run `learned-dynamic+rl`) plays the same seeds of `protocol` through the
leaderboard's runner (resumable, one directory per agent under `OUT/runs/`). Per episode, the
deepest tier of `dynplan_gym.achievements.TECH_TIERS` it reached (wood, table, wood tools,
stone, stone tools, coal or furnace, iron, iron tools, diamond); per agent, the share of
episodes that reach each tier or a deeper one, and each achievement's success rate. Every
agent is compared with the reference (paired by seed): the mean deepest tier, and for each
tier the share reaching it. `OUT/results.json` holds the numbers with the command,
`OUT/tech-tree.png` the plot, `OUT/README.md` the report.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from baselines.configs import TechTreeConfig, cli_command
from baselines.sweep import README, RESULTS, run_jobs, write_experiment  # noqa: F401 (re-exported)

PLOT = "tech-tree.png"


def make_run_agent(agent_text: str, config: TechTreeConfig):
    """The agent and its result-file spec for one agent spec (`dynplan eval --agent`'s)."""
    from agents.factory import make_agent
    from agents.specs import parse_spec
    from leaderboard.agent_specs import describe

    spec = parse_spec(agent_text)
    agent = make_agent(spec, temperature=config.temperature, seed=0)
    return agent, describe(spec, name=agent_text, temperature=config.temperature)


def play(args: tuple[TechTreeConfig, str]) -> tuple[str, dict[str, Any]]:
    """Run (or finish) one agent's episodes; its summary."""
    from dynplan_gym.paths import safe_name
    from leaderboard.protocols import get_protocol
    from leaderboard.runner import EvaluationRun

    config, agent_text = args
    if config.workers > 1:
        import os

        from agents.devices import cpu_threads

        os.environ["DYNPLAN_THREADS"] = str(cpu_threads(config.workers))  # the backend's
    agent, spec = make_run_agent(agent_text, config)
    out = Path(config.out) / "runs" / safe_name(agent_text)
    result = EvaluationRun(
        agent, spec, get_protocol(config.protocol), out, num_envs=config.num_envs
    ).run(resume=True, progress=False)
    return agent_text, summarize(result.episodes)


def summarize(episodes) -> dict[str, Any]:
    """Steering's summary (progression, success per achievement, by seed) plus the deepest
    tier per seed and the share of episodes reaching each tier or deeper."""
    from baselines.steering import summarize as base_summary
    from dynplan_gym.achievements import TECH_TIERS, deepest_tier
    from leaderboard.metrics import mean_and_se

    summary = base_summary(episodes)
    depths = sorted((e.seed, deepest_tier(e.achievements)) for e in episodes)
    summary["tier_by_seed"] = [list(pair) for pair in depths]
    mean, se = mean_and_se([float(depth) for _, depth in depths])
    summary["deepest_tier"] = {"mean": round(mean, 4), "se": round(se, 4)}
    summary["reaches"] = {}
    for level, (tier, _) in enumerate(TECH_TIERS, 1):
        mean, se = mean_and_se([100.0 * (depth >= level) for _, depth in depths])
        summary["reaches"][tier] = {"mean": round(mean, 2), "se": round(se, 2)}
    return summary


def compare(point: dict[str, Any], reference: dict[str, Any]) -> dict[str, Any]:
    """Paired by seed (point - reference): the mean deepest tier, and per tier the share of
    episodes reaching it (points), each with its s.e. and whether it exceeds 2 s.e."""
    from dynplan_gym.achievements import TECH_TIERS
    from leaderboard.compare import difference

    def paired(values: list, baseline: list) -> dict[str, Any]:
        gap = difference([tuple(v) for v in baseline], [tuple(v) for v in values])
        return {
            "difference": round(gap.difference, 3),
            "se": round(gap.se, 3),
            "beyond_2se": gap.beyond_2se,
        }

    tiers = point["tier_by_seed"], reference["tier_by_seed"]
    out = {"deepest_tier": paired(*tiers), "reaches": {}}
    for level, (tier, _) in enumerate(TECH_TIERS, 1):
        reached = [[[s, 100.0 * (d >= level)] for s, d in side] for side in tiers]
        out["reaches"][tier] = paired(*reached)
    return out


def deeper(comparison: dict[str, Any]) -> bool:
    """Whether an agent reaches deeper than the reference: the mean deepest tier, or the
    share reaching some tier, higher by more than 2 s.e."""
    gaps = [comparison["deepest_tier"], *comparison["reaches"].values()]
    return any(g["beyond_2se"] and g["difference"] > 0 for g in gaps)


def run_tech_tree(config: TechTreeConfig, progress: bool = True) -> dict[str, Any]:
    """The whole experiment; writes results.json, the plot and the report; returns results."""
    from leaderboard.protocols import get_protocol

    get_protocol(config.protocol)  # fail before any run
    started = time.perf_counter()
    jobs = [(config, agent) for agent in config.agents]
    summaries = run_jobs(play, jobs, config.workers, "tech-tree runs", progress, config.ray)
    agents = {agent: summaries[agent] for agent in config.agents}
    for agent, point in agents.items():
        if agent != config.reference:
            point["vs_reference"] = compare(point, agents[config.reference])
    results = {
        "command": cli_command("dynplan experiment tech-tree", config, always=()),
        "config": asdict(config),
        "protocol": config.protocol,
        "reference": config.reference,
        "agents": agents,
        "seconds": round(time.perf_counter() - started, 1),
    }
    write_experiment(results, config.out, plot, write_readme, PLOT)
    return results


def _versus(gap: dict[str, Any]) -> str:
    mark = " **(> 2 s.e.)**" if gap["beyond_2se"] else ""
    return f"{gap['difference']:+.2f} ± {gap['se']:.2f}{mark}"


def verdict(results: dict[str, Any]) -> str:
    """One line per agent: does it reach deeper than the reference?"""
    reference = results["reference"]
    lines = []
    for agent, point in results["agents"].items():
        if agent == reference:
            continue
        comparison = point["vs_reference"]
        gaps = [
            f"{tier} {gap['difference']:+.0f} ± {gap['se']:.0f} points"
            for tier, gap in comparison["reaches"].items()
            if gap["beyond_2se"]
        ]
        word = "deeper than" if deeper(comparison) else "not deeper than"
        lines.append(
            f"{agent} reaches {word} {reference} by more than 2 s.e.: mean deepest tier "
            f"{_versus(comparison['deepest_tier'])}"
            + (f"; tiers beyond 2 s.e.: {', '.join(gaps)}." if gaps else ".")
        )
    return "\n\n".join(lines)


def write_readme(results: dict[str, Any], path: Path) -> None:
    """The report: the tiers table, the verdict, the plot."""
    from dynplan_gym.achievements import TECH_TIERS
    from leaderboard.protocols import get_protocol

    protocol = get_protocol(results["protocol"])
    tiers = [tier for tier, _ in TECH_TIERS]
    lines = [
        "# tech-tree: how deep into Crafter's tech tree does each agent get?",
        "",
        f"`{results['command']}` ({results['seconds'] / 60:.0f} minutes on this machine; "
        f"{protocol.id}: {protocol.description}). Per episode, the deepest tier reached "
        f"({' → '.join(tiers)}: a tier is reached when any of its achievements is unlocked); "
        "the table gives the share of episodes reaching each tier or a deeper one (%), mean ± "
        "standard error. Differences are paired by seed against the reference, "
        f"{results['reference']}, and marked only beyond 2 standard errors.",
        "",
        f"![tech-tree]({PLOT})",
        "",
        "| agent | progression % | mean deepest tier | vs reference | " + " | ".join(tiers) + " |",
        "| --- | --- | --- | --- | " + " | ".join("---" for _ in tiers) + " |",
    ]
    for agent, point in results["agents"].items():
        versus = point.get("vs_reference")
        cells = [
            f"{point['reaches'][t]['mean']:.0f} ± {point['reaches'][t]['se']:.0f}" for t in tiers
        ]
        lines.append(
            f"| {agent} | {point['progression']['mean']:.1f} ± {point['progression']['se']:.1f} | "
            f"{point['deepest_tier']['mean']:.2f} ± {point['deepest_tier']['se']:.2f} | "
            f"{_versus(versus['deepest_tier']) if versus else 'reference'} | "
            + " | ".join(cells)
            + " |"
        )
    lines += ["", verdict(results), ""]
    path.write_text("\n".join(lines))


def plot(results: dict[str, Any], path: Path) -> None:
    """Left: the share of episodes reaching each tier or deeper, per agent (± s.e.). Right:
    per-achievement success per agent (a heat map)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from dynplan_gym.achievements import ACHIEVEMENTS, TECH_TIERS

    tiers = [tier for tier, _ in TECH_TIERS]
    agents = results["agents"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(14, 5), gridspec_kw={"width_ratios": [1, 1.4]})
    for agent, point in agents.items():
        means = [point["reaches"][t]["mean"] for t in tiers]
        errors = [point["reaches"][t]["se"] for t in tiers]
        left.errorbar(range(len(tiers)), means, yerr=errors, marker="o", capsize=3, label=agent)
    left.set_xticks(range(len(tiers)), tiers, rotation=35, ha="right", fontsize=8)
    left.set_ylabel("episodes reaching the tier or deeper (%)")
    left.set_ylim(0, 105)
    left.set_title(f"tech-tree depth on {results['protocol']} (mean ± s.e.)", fontsize=11)
    left.legend(fontsize=8)
    names = list(agents)
    grid = np.array([[agents[a]["success"][name] for name in ACHIEVEMENTS] for a in names])
    image = right.imshow(grid, aspect="auto", cmap="viridis", vmin=0, vmax=100)
    right.set_yticks(range(len(names)), names, fontsize=8)
    right.set_xticks(range(len(ACHIEVEMENTS)), ACHIEVEMENTS, rotation=60, ha="right", fontsize=7)
    right.set_title("success rate per achievement (%)", fontsize=10)
    fig.colorbar(image, ax=right, fraction=0.03)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)

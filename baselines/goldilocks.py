"""`dynplan experiment goldilocks`: how often should an agent plan?

For each setting (a planning latency and a planner noise), the agent plays the protocol's seeds
replanning every K steps (K in `intervals`), never (one plan at the start) and deciding for
itself: the gate agent with a gate PPO-trained at that setting (`dynplan train gate`, resumed if
already there), an LLM agent under `dynamic`. On POGS (`--env pogs`) an LLM agent plays and the
score is the success rate (the share of episodes that reach the target) instead of progression.
Every run goes through the leaderboard's runner (resumable, one directory per run under
`OUT/runs/`); `OUT/results.json` holds every number as mean ± s.e. with the command, and
`OUT/goldilocks.png` plots progression against K and against plan tokens per step, where the
every-K runs trace a front and the learned gate sits on it, beyond it or behind it.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from baselines.configs import GateConfig, GoldilocksConfig, cli_command
from baselines.sweep import (  # noqa: F401 (README, RESULTS re-exported)
    README,
    RESULTS,
    median_seed,
    run_jobs,
    write_experiment,
)

PLOT = "goldilocks.png"


@dataclass(frozen=True)
class SweepPoint:
    """One point of the sweep: a setting and a schedule ("every:K", "never" or "learned")."""

    latency: int
    noise: float
    schedule: str

    @property
    def setting(self) -> str:
        return f"latency {self.latency}, noise {self.noise:g}"

    @property
    def directory(self) -> str:
        return f"L{self.latency}-n{self.noise:g}/{self.schedule.replace(':', '-')}"


def plan_runs(config: GoldilocksConfig) -> list[SweepPoint]:
    """Every run of the sweep (an LLM agent has one setting: no latency, no noise)."""
    settings = config.parsed_settings() if config.agent == "gate" else [(0, 0.0)]
    schedules = [f"every:{int(k)}" for k in config.intervals] + ["never"]
    if config.agent == "gate" and config.gate_timesteps > 0:
        schedules.append("learned")
    elif config.agent == "llm":
        schedules.append("dynamic")
    return [SweepPoint(latency, noise, s) for latency, noise in settings for s in schedules]


def gate_dir(config: GoldilocksConfig, latency: int, noise: float) -> Path:
    return Path(config.out) / "gates" / f"L{latency}-n{noise:g}"


def train_gates(config: GoldilocksConfig, progress: bool) -> dict[tuple[int, float], Path]:
    """The learned gate of each setting (trained on RL seeds, or found finished)."""
    from baselines.sb3_ppo import train_sb3

    gates = {}
    for latency, noise in config.parsed_settings():
        out = gate_dir(config, latency, noise)
        gate = GateConfig(
            out=str(out),
            timesteps=config.gate_timesteps,
            latency=latency,
            noise=noise,
            vec_env="subproc" if config.workers > 1 else "dummy",
        )
        train_sb3(gate, resume=True, progress=progress)
        gates[(latency, noise)] = out
    return gates


def play(
    args: tuple[GoldilocksConfig, SweepPoint, str | None],
) -> tuple[SweepPoint, dict[str, Any]]:
    """Play (or finish) one point; its summary."""
    from agents.factory import make_agent
    from agents.gate import GateAgent
    from leaderboard.agent_specs import describe
    from leaderboard.protocols import get_protocol
    from leaderboard.runner import EvaluationRun

    config, run, policy = args
    protocol = get_protocol(config.protocol)
    if config.agent == "gate":
        options = {"latency": run.latency, "noise": run.noise}
        if run.schedule == "learned":
            agent = GateAgent(policy_dir=policy, **options)
        else:
            agent = GateAgent(schedule=run.schedule, **options)
        which = policy if run.schedule == "learned" else run.schedule
        spec = describe(f"gate:{which}", name=f"gate:{run.schedule} ({run.setting})", gate=options)
    else:
        backend = {"kind": "transformers", "model": config.model}
        agent = make_agent(
            f"llm:{run.schedule}",
            backend_options=backend,
            temperature=config.temperature,
            env=protocol.family,
            env_kwargs=protocol.make_env_kwargs(),
        )
        spec = describe(
            f"llm:{run.schedule}",
            backend="transformers",
            model=config.model,
            temperature=config.temperature,
            prompt=agent.config.to_dict(),
        )
    out = Path(config.out) / "runs" / run.directory
    result = EvaluationRun(agent, spec, protocol, out, num_envs=config.num_envs).run(
        resume=True, progress=False
    )
    return run, summarize(result.episodes)


def summarize(episodes) -> dict[str, Any]:
    """Mean ± s.e. over episodes of what the sweep plots."""
    from dynplan_gym.achievements import progression
    from leaderboard.metrics import mean_and_se

    def stat(values) -> dict[str, float]:
        mean, se = mean_and_se([float(v) for v in values])
        return {"mean": round(mean, 4), "se": round(se, 4)}

    steps = sum(e.length for e in episodes)
    return {
        "episodes": len(episodes),
        "progression": stat(100 * progression(e.achievements) for e in episodes),
        "task_return": stat(e.task_return for e in episodes),
        "return": stat(e.return_ for e in episodes),
        "length": stat(e.length for e in episodes),
        "plan_tokens_per_step": round(sum(e.plan_tokens for e in episodes) / steps, 4),
        "plans_per_100_steps": round(100 * sum(e.plans for e in episodes) / steps, 3),
        "progression_by_seed": [
            [e.seed, round(100 * progression(e.achievements), 4)] for e in episodes
        ],
    }


SELF_SCHEDULED = ("learned", "dynamic")  # the points that decide for themselves when to plan


def self_scheduled(points: dict[str, dict[str, Any]]) -> str | None:
    """The name of the point that decides when to plan (the learned gate or `dynamic`)."""
    return next((name for name in SELF_SCHEDULED if name in points), None)


def front_report(points: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Where the learned gate (or an LLM's `dynamic`) sits against the every-K front
    (progression vs plan tokens): the schedules that plan no more than it and progress further
    (by more than 2 s.e. of the difference: `dominated_by`), and those it beats that way at no
    more tokens (`beats`)."""
    learned = self_scheduled(points)
    if learned is None:
        return {}
    gate = points[learned]
    report: dict[str, Any] = {"dominated_by": [], "beats": []}
    for name, point in points.items():
        if name == learned:
            continue
        gap = point["progression"]["mean"] - gate["progression"]["mean"]
        se = (point["progression"]["se"] ** 2 + gate["progression"]["se"] ** 2) ** 0.5
        cheaper = point["plan_tokens_per_step"] <= gate["plan_tokens_per_step"]
        if cheaper and gap > 2 * se:
            report["dominated_by"].append(name)
        if not cheaper and -gap > 2 * se:
            report["beats"].append(name)
    report["on_or_beyond_front"] = not report["dominated_by"]
    return report


def run_goldilocks(config: GoldilocksConfig, progress: bool = True) -> dict[str, Any]:
    """The whole sweep; writes results.json and the plot, returns the results."""
    from leaderboard.protocols import get_protocol

    if config.agent not in ("gate", "llm"):
        raise ValueError(f"--agent is gate or llm, not {config.agent!r}")
    family = get_protocol(config.protocol).family
    if family != config.env:
        raise ValueError(f"protocol {config.protocol} plays {family}, not {config.env} (--env)")
    started = time.perf_counter()
    runs = plan_runs(config)
    gates = train_gates(config, progress) if any(r.schedule == "learned" for r in runs) else {}
    jobs = [(config, r, str(gates.get((r.latency, r.noise), "")) or None) for r in runs]
    summaries = run_jobs(play, jobs, config.workers, "goldilocks runs", progress, config.ray)
    settings = []
    for latency, noise in dict.fromkeys((r.latency, r.noise) for r in runs):
        points = {
            r.schedule: summaries[r] for r in runs if (r.latency, r.noise) == (latency, noise)
        }
        settings.append(
            {"latency": latency, "noise": noise, "runs": points, "gate": front_report(points)}
        )
    results = {
        "command": cli_command("dynplan experiment goldilocks", config, always=()),
        "config": asdict(config),
        "protocol": config.protocol,
        "score": score_name(config.protocol),
        "settings": settings,
        "seconds": round(time.perf_counter() - started, 1),
    }
    write_experiment(results, config.out, plot, write_readme, PLOT)
    return results


def score_name(protocol_id: str) -> str:
    """What the sweep scores: its game's score ("progression", "success")."""
    return _game(protocol_id).score


def _game(protocol_id: str):
    from dynplan_gym.games import GAMES
    from leaderboard.protocols import get_protocol

    return GAMES[get_protocol(protocol_id).family]


def write_readme(results: dict[str, Any], path: Path) -> None:
    """The results as tables under the plot (regenerated with every run)."""
    from leaderboard.protocols import get_protocol

    protocol = get_protocol(results["protocol"])
    score = score_name(protocol.id)
    lines = [
        "# goldilocks: how often to plan",
        "",
        f"`{results['command']}` ({results['seconds'] / 60:.0f} minutes on this machine; "
        f"{protocol.id}: {protocol.description}). Mean ± standard error over episodes; "
        f"{_game(protocol.id).score_meaning}; return is task return minus the plan cost.",
        "",
        f"![goldilocks]({PLOT})",
        "",
    ]
    for setting in results["settings"]:
        lines += [
            f"## latency {setting['latency']}, noise {setting['noise']:g}",
            "",
            f"| schedule | {score} % | task return | return | plan tokens / step | "
            "plans / 100 steps | length |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for name, point in setting["runs"].items():
            cells = [
                f"{point[k]['mean']:.1f} ± {point[k]['se']:.1f}"
                if k == "progression"
                else f"{point[k]['mean']:.2f} ± {point[k]['se']:.2f}"
                for k in ("progression", "task_return", "return")
            ]
            lines.append(
                f"| {'learned gate' if name == 'learned' else name} | {' | '.join(cells)} | "
                f"{point['plan_tokens_per_step']:.2f} | {point['plans_per_100_steps']:.1f} | "
                f"{point['length']['mean']:.0f} |"
            )
        gate = setting["gate"]
        if gate:
            learned = self_scheduled(setting["runs"])
            who = "The learned gate" if learned == "learned" else "`dynamic`"
            verdict = (
                f"on or beyond the every-K front (no schedule that plans as little or less "
                f"scores a higher {score} by more than 2 s.e.)"
                if gate["on_or_beyond_front"]
                else f"behind the front: {', '.join(gate['dominated_by'])} plan no more and "
                f"score a higher {score} by more than 2 s.e."
            )
            beats = ", ".join(gate["beats"]) or "none"
            lines += [
                "",
                f"{who} is {verdict}. Schedules it beats by more than 2 s.e. while "
                f"planning less: {beats}.",
            ]
        replay = replay_line(results, setting)
        lines += ["", replay] if replay else []
        lines.append("")
    path.write_text("\n".join(lines))


def replay_line(results: dict[str, Any], setting: dict[str, Any]) -> str:
    """The `dynplan replay` command that shows a typical episode (the median seed of the point
    that schedules itself) beside `never` on the same seed ("" where the runs recorded no
    per-seed scores or there is no such pair)."""
    runs = setting["runs"]
    chosen = self_scheduled(runs)
    if chosen is None or "never" not in runs or "progression_by_seed" not in runs[chosen]:
        return ""
    seed = median_seed(runs[chosen]["progression_by_seed"])
    root = Path(results["config"]["out"]) / "runs"
    point = SweepPoint(setting["latency"], setting["noise"], chosen)
    never = SweepPoint(setting["latency"], setting["noise"], "never")
    who = "the learned gate" if chosen == "learned" else "dynamic"
    return (
        f"A typical episode (seed {seed}, the median of {who}), beside never on the same "
        f"seed: `dynplan replay {root / point.directory} --seed {seed} --compare "
        f"{root / never.directory}`."
    )


def plot(results: dict[str, Any], path: Path) -> None:
    """Per setting: progression against K (the gate as a band), and progression against plan
    tokens per step (the every-K front and the gate)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    settings = results["settings"]
    score = f"{score_name(results['protocol'])} (%)"
    fig, axes = plt.subplots(2, len(settings), figsize=(4.2 * len(settings), 7), squeeze=False)
    for column, setting in enumerate(settings):
        runs = setting["runs"]
        learned = self_scheduled(runs)
        label = "learned gate" if learned == "learned" else "dynamic"
        fixed = [(n, p) for n, p in runs.items() if n != learned]
        positions = list(range(len(fixed)))
        labels = [n.replace("every:", "") for n, _ in fixed]
        means = [p["progression"]["mean"] for _, p in fixed]
        errors = [p["progression"]["se"] for _, p in fixed]
        top, bottom = axes[0][column], axes[1][column]
        top.errorbar(positions, means, yerr=errors, marker="o", capsize=3, label="every K steps")
        tokens = [p["plan_tokens_per_step"] for _, p in fixed]
        bottom.errorbar(tokens, means, yerr=errors, marker="o", capsize=3, label="every K / never")
        for x, y, name in zip(tokens, means, labels, strict=True):
            bottom.annotate(name, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7)
        gate = runs.get(learned) if learned else None
        if gate:
            mean, se = gate["progression"]["mean"], gate["progression"]["se"]
            top.axhspan(mean - se, mean + se, color="tab:red", alpha=0.2)
            top.axhline(mean, color="tab:red", label=label)
            bottom.errorbar(
                [gate["plan_tokens_per_step"]],
                [mean],
                yerr=[se],
                marker="*",
                markersize=12,
                color="tab:red",
                capsize=3,
                label=label,
            )
        top.set_xticks(positions, labels)
        top.set_xlabel("replan every K steps")
        top.set_ylabel(score)
        top.set_title(f"latency {setting['latency']}, noise {setting['noise']:g}", fontsize=10)
        bottom.set_xscale("symlog", linthresh=0.1)
        bottom.set_xlabel("plan tokens per step")
        bottom.set_ylabel(score)
        top.legend(fontsize=7)
        bottom.legend(fontsize=7)
    fig.suptitle(f"goldilocks on {results['protocol']} (mean ± s.e.)", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)

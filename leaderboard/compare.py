"""Two evaluations of one protocol side by side: differences with their standard errors.

Two agents scored on the same seeds play the same worlds, so the difference of their
per-episode scores, seed by seed, has a smaller standard error than the two means have
together (how hard a world is cancels out). `difference` pairs the episodes by seed when both
evaluations played exactly the same seeds, and otherwise falls back to the unpaired standard
error (the two means' errors added in quadrature). A difference counts only beyond 2 s.e.
(docs/architecture.md). `dynplan compare BASELINE CANDIDATE` prints `compare_results`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from dynplan_gym.achievements import progression
from leaderboard.metrics import compute_metrics, mean_and_se
from leaderboard.schema import EpisodeRecord, ResultFile

# per-episode scores compared with a standard error: name -> (label, value of an episode)
SCORES = {
    "progression": ("progression %", lambda e: 100 * progression(e.achievements)),
    "task_return": ("task return", lambda e: e.task_return),
    "return": ("return (after plan costs)", lambda e: e.return_),
}


@dataclass(frozen=True)
class Difference:
    """`candidate - baseline` of a per-episode score, with its standard error."""

    baseline: float
    baseline_se: float
    candidate: float
    candidate_se: float
    difference: float
    se: float
    paired: bool  # by seed (both played the same seeds), else the unpaired s.e.
    episodes: int  # pairs of episodes when paired, else the smaller side's episodes

    @property
    def beyond_2se(self) -> bool:
        """Whether the difference exceeds 2 standard errors (never from a single episode a
        side, whose s.e. is unknown)."""
        return self.episodes > 1 and abs(self.difference) > 2 * self.se

    def to_dict(self) -> dict:
        return {**asdict(self), "beyond_2se": self.beyond_2se}


def difference(
    baseline: Sequence[tuple[int, float]], candidate: Sequence[tuple[int, float]]
) -> Difference:
    """The difference of two samples of (seed, value): paired by seed when both hold the same
    seeds once each, else unpaired."""
    if not baseline or not candidate:
        raise ValueError("a difference needs at least one episode on each side")
    base_mean, base_se = mean_and_se([v for _, v in baseline])
    cand_mean, cand_se = mean_and_se([v for _, v in candidate])
    seeds = sorted(s for s, _ in baseline)
    paired = len(set(seeds)) == len(seeds) > 1 and seeds == sorted(s for s, _ in candidate)
    if paired:
        by_seed = dict(baseline)
        gap, se = mean_and_se([v - by_seed[s] for s, v in candidate])
    else:
        gap, se = cand_mean - base_mean, math.hypot(base_se, cand_se)
    episodes = len(candidate) if paired else min(len(baseline), len(candidate))
    return Difference(base_mean, base_se, cand_mean, cand_se, gap, se, paired, episodes)


def episode_scores(episodes: Sequence[EpisodeRecord], score: str) -> list[tuple[int, float]]:
    """(seed, value) of one of `SCORES` for each episode."""
    value = SCORES[score][1]
    return [(e.seed, float(value(e))) for e in episodes]


def compare_results(baseline: ResultFile, candidate: ResultFile) -> dict:
    """Scores (`SCORES`) and each achievement's success (0 or 1 an episode) as `Difference`s,
    plus the planning costs of each side (ratios of totals, no s.e.). Both results must come
    from one protocol."""
    if baseline.protocol.id != candidate.protocol.id:
        raise ValueError(
            f"the baseline played {baseline.protocol.id} and the candidate "
            f"{candidate.protocol.id}; compare two evaluations of one protocol"
        )
    scores = {
        name: difference(
            episode_scores(baseline.episodes, name), episode_scores(candidate.episodes, name)
        )
        for name in SCORES
    }
    names = list(baseline.episodes[0].achievements)
    achievements = {
        name: difference(
            [(e.seed, 100.0 * (e.achievements.get(name, 0) > 0)) for e in baseline.episodes],
            [(e.seed, 100.0 * (e.achievements.get(name, 0) > 0)) for e in candidate.episodes],
        )
        for name in names
    }
    costs = {}
    for side, result in (("baseline", baseline), ("candidate", candidate)):
        metrics = compute_metrics(result.episodes)
        costs[side] = {
            "plans_per_100_steps": metrics.plans_per_100_steps,
            "plan_tokens_per_step": metrics.plan_tokens_per_step,
            "generated_tokens_per_step": metrics.generated_tokens_per_step,
        }
    return {
        "protocol": baseline.protocol.id,
        "baseline": {"agent": baseline.agent.name, "episodes": len(baseline.episodes)},
        "candidate": {"agent": candidate.agent.name, "episodes": len(candidate.episodes)},
        "scores": scores,
        "achievements": achievements,
        "costs": costs,
    }


def _relative(base: float, new: float) -> str:
    if base == 0:
        return "+0 %" if new == 0 else "(from 0)"
    return f"{100 * (new - base) / base:+.0f} %"


def render_comparison(comparison: dict) -> str:
    """The comparison as a short table for a terminal."""
    scores: dict[str, Difference] = comparison["scores"]
    base, cand = comparison["baseline"], comparison["candidate"]
    paired = scores["progression"].paired
    lines = [
        f"{comparison['protocol']}: {cand['agent']} ({cand['episodes']} episodes) against "
        f"{base['agent']} ({base['episodes']}); "
        + ("paired by seed" if paired else "not the same seeds: unpaired standard errors"),
        f"{'':27} {'baseline':>15} {'candidate':>15}   candidate - baseline",
    ]
    for name, (label, _) in SCORES.items():
        d = scores[name]
        verdict = "beyond 2 s.e." if d.beyond_2se else "within 2 s.e."
        ratio = f"{abs(d.difference) / d.se:.1f} s.e." if d.se > 0 else "no spread"
        lines.append(
            f"{label:27} {d.baseline:8.2f} ± {d.baseline_se:4.2f} {d.candidate:8.2f} ± "
            f"{d.candidate_se:4.2f}   {d.difference:+.2f} ± {d.se:.2f} ({ratio}: {verdict})"
        )
    costs = comparison["costs"]
    for key, label in (
        ("plans_per_100_steps", "plans / 100 steps"),
        ("plan_tokens_per_step", "plan tokens / step"),
        ("generated_tokens_per_step", "generated tokens / step"),
    ):
        b, c = costs["baseline"][key], costs["candidate"][key]
        lines.append(f"{label:27} {b:15.2f} {c:15.2f}   {_relative(b, c)}")
    moved = [
        f"{name} {d.baseline:.0f} -> {d.candidate:.0f} % ({d.difference:+.0f} ± {d.se:.0f})"
        for name, d in comparison["achievements"].items()
        if d.beyond_2se
    ]
    count = len(comparison["achievements"])
    lines.append(
        f"achievements whose success rate moved beyond 2 s.e. ({count} compared, so about "
        f"{0.05 * count:.0f} may by chance): " + ("; ".join(moved) or "none")
    )
    return "\n".join(lines)


def comparison_to_dict(comparison: dict) -> dict:
    """The comparison with its `Difference`s as plain dicts (for JSON)."""
    return {
        **comparison,
        "scores": {k: d.to_dict() for k, d in comparison["scores"].items()},
        "achievements": {k: d.to_dict() for k, d in comparison["achievements"].items()},
    }

"""Metrics of a result, recomputed from its episode records (never taken as given)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from dynplan_gym.achievements import crafter_score, progression, success_rates
from leaderboard.schema import EpisodeRecord


@dataclass(frozen=True)
class Metrics:
    episodes: int
    steps: int
    crafter_score: float  # percent, crafter's formula
    progression: float  # mean share of the 22 achievements, in percent
    progression_se: float  # standard error of the mean, in percent
    success_rates: dict[str, float]  # percent of episodes unlocking each achievement
    return_mean: float
    return_se: float
    task_return_mean: float
    length_mean: float
    plans_per_100_steps: float
    plan_tokens_per_step: float
    generated_tokens_per_step: float
    invalid_rate: float  # invalid outputs per step
    steps_per_second: float

    def to_dict(self) -> dict:
        return asdict(self)


def mean_and_se(values: Sequence[float]) -> tuple[float, float]:
    """Mean and standard error of the mean (0 for a single value)."""
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return mean, 0.0
    variance = sum((v - mean) ** 2 for v in values) / (n - 1)
    return mean, math.sqrt(variance / n)


def compute_metrics(episodes: Sequence[EpisodeRecord]) -> Metrics:
    if not episodes:
        raise ValueError("metrics need at least one episode")
    steps = sum(e.length for e in episodes)
    prog, prog_se = mean_and_se([100 * progression(e.achievements) for e in episodes])
    ret, ret_se = mean_and_se([e.return_ for e in episodes])
    rates = success_rates([e.achievements for e in episodes])
    wall = sum(e.wall_time for e in episodes)
    return Metrics(
        episodes=len(episodes),
        steps=steps,
        crafter_score=crafter_score(rates),
        progression=prog,
        progression_se=prog_se,
        success_rates=rates,
        return_mean=ret,
        return_se=ret_se,
        task_return_mean=sum(e.task_return for e in episodes) / len(episodes),
        length_mean=steps / len(episodes),
        plans_per_100_steps=100 * sum(e.plans for e in episodes) / steps,
        plan_tokens_per_step=sum(e.plan_tokens for e in episodes) / steps,
        generated_tokens_per_step=sum(e.completion_tokens for e in episodes) / steps,
        invalid_rate=sum(e.invalid_outputs for e in episodes) / steps,
        steps_per_second=steps / wall if wall > 0 else float("nan"),
    )

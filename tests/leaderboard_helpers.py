"""Building valid result files by hand, for leaderboard tests."""

from __future__ import annotations

import copy

from dynplan_gym.achievements import ACHIEVEMENTS
from leaderboard.protocols import get_protocol


def episode(
    seed: int,
    length: int = 30,
    unlocked=(),
    plans: int = 0,
    plan_tokens: int = 0,
    terminated: bool = False,
    task_return: float | None = None,
    **extra,
) -> dict:
    """One episode record (task return: +1 per unlocked achievement unless given)."""
    task_return = float(len(unlocked)) if task_return is None else task_return
    protocol = get_protocol("crafter-quick")
    cost = protocol.plan_cost_per_plan * plans + protocol.plan_cost_per_token * plan_tokens
    return {
        "seed": seed,
        "length": length,
        "terminated": terminated,
        "return": task_return - cost,
        "task_return": task_return,
        "achievements": {a: int(a in unlocked) for a in ACHIEVEMENTS},
        "plans": plans,
        "plan_tokens": plan_tokens,
        "prompt_tokens": 100 * length,
        "completion_tokens": 5 * length,
        "invalid_outputs": 0,
        "wall_time": 1.0,
        **extra,
    }


def result(episodes=None, name: str = "hand-made", protocol_id: str = "crafter-quick") -> dict:
    protocol = get_protocol(protocol_id)
    episodes = episodes if episodes is not None else [episode(s) for s in protocol.seeds]
    return copy.deepcopy(
        {
            "protocol": protocol.spec(),
            "agent": {"name": name, "kind": "test"},
            "episodes": episodes,
            "complete": True,
            "versions": {"python": "3.11"},
            "created": "2026-11-25T00:00:00+00:00",
        }
    )

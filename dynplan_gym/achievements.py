"""Crafter's 22 achievements, BALROG's progression and Crafter's score.

* progression (BALROG): the share of the 22 achievements an episode unlocked, in [0, 1].
* success rate of an achievement: the percentage of episodes that unlocked it at least once.
* Crafter score (Hafner, 2021): the geometric mean of the success rates with an offset of 1,
  `exp(mean_i log(1 + s_i)) - 1`, with s_i in percent; 0 when nothing is ever unlocked, 100
  when every episode unlocks everything.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

# In crafter's order (crafter/data.yaml); tests check this against the installed crafter.
ACHIEVEMENTS: tuple[str, ...] = (
    "collect_coal",
    "collect_diamond",
    "collect_drink",
    "collect_iron",
    "collect_sapling",
    "collect_stone",
    "collect_wood",
    "defeat_skeleton",
    "defeat_zombie",
    "eat_cow",
    "eat_plant",
    "make_iron_pickaxe",
    "make_iron_sword",
    "make_stone_pickaxe",
    "make_stone_sword",
    "make_wood_pickaxe",
    "make_wood_sword",
    "place_furnace",
    "place_plant",
    "place_stone",
    "place_table",
    "wake_up",
)
NUM_ACHIEVEMENTS = len(ACHIEVEMENTS)

AchievementCounts = Mapping[str, int]


def unlocked(achievements: AchievementCounts) -> set[str]:
    """Names unlocked at least once, from a name -> count mapping (crafter's `info`)."""
    _check_names(achievements)
    return {name for name, count in achievements.items() if count > 0}


def progression(achievements: AchievementCounts) -> float:
    """Share of the 22 achievements unlocked in one episode (BALROG's progression)."""
    return len(unlocked(achievements)) / NUM_ACHIEVEMENTS


def success_rates(episodes: Iterable[AchievementCounts]) -> dict[str, float]:
    """Per achievement, the percentage of episodes that unlocked it."""
    episodes = list(episodes)
    if not episodes:
        raise ValueError("success_rates needs at least one episode's achievements")
    hits = dict.fromkeys(ACHIEVEMENTS, 0)
    for episode in episodes:
        for name in unlocked(episode):
            hits[name] += 1
    return {name: 100.0 * count / len(episodes) for name, count in hits.items()}


def crafter_score(rates: Mapping[str, float]) -> float:
    """Crafter's score from success rates in percent (all 22 achievements required)."""
    missing = [name for name in ACHIEVEMENTS if name not in rates]
    if missing:
        raise ValueError(
            f"crafter_score needs a success rate for every achievement; missing {missing}"
        )
    _check_names(rates)
    values = [float(rates[name]) for name in ACHIEVEMENTS]
    bad = [v for v in values if not 0.0 <= v <= 100.0]  # also catches NaN
    if bad:
        raise ValueError(f"success rates must be percentages in [0, 100]; got {bad}")
    return math.exp(sum(math.log1p(v) for v in values) / NUM_ACHIEVEMENTS) - 1.0


def _check_names(mapping: Mapping[str, object]) -> None:
    unknown = sorted(set(mapping) - set(ACHIEVEMENTS))
    if unknown:
        raise ValueError(
            f"unknown achievement names {unknown}; expected names from {list(ACHIEVEMENTS)}"
        )

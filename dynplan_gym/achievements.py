"""Crafter's 22 achievements (and POGS's one), BALROG's progression and Crafter's score.

* progression (BALROG): the share of the 22 achievements an episode unlocked, in [0, 1]. POGS
  has one achievement, `reach_target`, so its progression is 1 for a success, else 0.
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
POGS_ACHIEVEMENTS: tuple[str, ...] = ("reach_target",)
ACHIEVEMENT_SETS: dict[str, tuple[str, ...]] = {"crafter": ACHIEVEMENTS, "pogs": POGS_ACHIEVEMENTS}

AchievementCounts = Mapping[str, int]

# Crafter's tech tree as tiers, shallow to deep: an episode reaches a tier when it unlocks any
# of the tier's achievements (each needs what the tiers before it give).
TECH_TIERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("wood", ("collect_wood",)),
    ("table", ("place_table",)),
    ("wood tools", ("make_wood_pickaxe", "make_wood_sword")),
    ("stone", ("collect_stone",)),
    ("stone tools", ("make_stone_pickaxe", "make_stone_sword")),
    ("coal, furnace", ("collect_coal", "place_furnace")),
    ("iron", ("collect_iron",)),
    ("iron tools", ("make_iron_pickaxe", "make_iron_sword")),
    ("diamond", ("collect_diamond",)),
)


def deepest_tier(achievements: AchievementCounts) -> int:
    """The deepest tier of `TECH_TIERS` an episode reached, 1-based; 0 for none."""
    reached = [
        depth
        for depth, (_, names) in enumerate(TECH_TIERS, 1)
        if any(achievements.get(name, 0) > 0 for name in names)
    ]
    return max(reached, default=0)


def achievement_set(names: Iterable[str]) -> tuple[str, ...]:
    """The known set (`ACHIEVEMENT_SETS`) that `names` come from; Crafter's for no names."""
    names = set(names)
    for known in ACHIEVEMENT_SETS.values():
        if names <= set(known):
            return known
    unknown = sorted(names - set(ACHIEVEMENTS))
    raise ValueError(
        f"unknown achievement names {unknown}; expected names from {list(ACHIEVEMENTS)} "
        f"(Crafter) or {list(POGS_ACHIEVEMENTS)} (POGS)"
    )


def unlocked(achievements: AchievementCounts) -> set[str]:
    """Names unlocked at least once, from a name -> count mapping (crafter's `info`)."""
    achievement_set(achievements)
    return {name for name, count in achievements.items() if count > 0}


def progression(achievements: AchievementCounts) -> float:
    """Share of the env's achievements (Crafter's 22) unlocked in one episode (BALROG's
    progression)."""
    return len(unlocked(achievements)) / len(achievement_set(achievements))


def success_rates(episodes: Iterable[AchievementCounts]) -> dict[str, float]:
    """Per achievement, the percentage of episodes that unlocked it."""
    episodes = list(episodes)
    if not episodes:
        raise ValueError("success_rates needs at least one episode's achievements")
    hits = dict.fromkeys(achievement_set(episodes[0]), 0)
    for episode in episodes:
        for name in unlocked(episode):
            hits[name] += 1
    return {name: 100.0 * count / len(episodes) for name, count in hits.items()}


def crafter_score(rates: Mapping[str, float]) -> float:
    """Crafter's score from success rates in percent (every achievement of the set required;
    with POGS's one achievement it is the success rate)."""
    names = achievement_set(rates)
    missing = [name for name in names if name not in rates]
    if missing:
        raise ValueError(
            f"crafter_score needs a success rate for every achievement; missing {missing}"
        )
    values = [float(rates[name]) for name in names]
    bad = [v for v in values if not 0.0 <= v <= 100.0]  # also catches NaN
    if bad:
        raise ValueError(f"success rates must be percentages in [0, 100]; got {bad}")
    return math.exp(sum(math.log1p(v) for v in values) / len(values)) - 1.0

"""How a literal executor reads a free-text plan: the subgoals it names, worked through in order.

`read_plan("Take at least 6 wood, Place Table, then Make Wood Pickaxe.")` gives the steps
collect_wood (until 6 wood are held), place_table, make_wood_pickaxe. Survival subgoals a plan
names (drink, eat a cow, sleep, fight monsters) are standing orders instead: looked after
whenever the need arises (a stat runs low, a monster is next to the player), whatever step is
next. `PlanProgress` works through one plan: a step is done when
its item count is reached or its achievement has been unlocked, and stays done while that
plan is in force; when every step is done the plan is finished ("explore"). The words are data
(`agents/data/plan_words.toml`).
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

WORDS = tomllib.loads(resources.files("agents").joinpath("data/plan_words.toml").read_text())
PHRASES: dict[str, str] = WORDS["phrases"]
COLLECTS: dict[str, str] = WORDS["collects"]
NEEDS: dict[str, dict[str, Any]] = WORDS["needs"]
FULL = 9
_CLAUSE = re.compile(r"[.,;:!?\n]|\bthen\b")
_NUMBER = re.compile(r"\b(\d+)\b")


@dataclass(frozen=True)
class Step:
    subgoal: str
    count: int = 1  # for collecting subgoals: how many to hold


@dataclass(frozen=True)
class ReadPlan:
    steps: tuple[Step, ...]
    needs: tuple[str, ...]  # standing orders, in the order named


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+|\d+", text.lower())


@functools.lru_cache(maxsize=256)
def read_plan(plan: str) -> ReadPlan:
    """The steps and standing orders a plan names, in the order it names them."""
    steps: list[Step] = []
    needs: list[str] = []
    longest = max(len(p.split()) for p in PHRASES)
    for clause in _CLAUSE.split(plan.lower()):
        words = _words(clause)
        numbers = _NUMBER.findall(clause)
        i = 0
        while i < len(words):
            for size in range(min(longest, len(words) - i), 0, -1):
                subgoal = PHRASES.get(" ".join(words[i : i + size]))
                if subgoal:
                    break
            else:
                i += 1
                continue
            i += size
            if subgoal in NEEDS:
                if subgoal not in needs:
                    needs.append(subgoal)
                continue
            count = int(numbers[0]) if subgoal in COLLECTS and numbers else 1
            step = Step(subgoal, min(count, FULL))
            if not steps or steps[-1] != step:
                steps.append(step)
    return ReadPlan(tuple(steps), tuple(needs))


@dataclass
class PlanProgress:
    """One plan being carried out: which steps are done, which standing order is active."""

    plan: str
    done: set[int] = field(default_factory=set)
    active_need: str | None = None

    def next_subgoal(self, info: dict[str, Any], monster_adjacent: bool = False) -> str:
        """The subgoal to pursue now ("explore" once every step is done)."""
        read = read_plan(self.plan)
        inventory, achievements = info["inventory"], info.get("achievements", {})
        if "defeat_zombie" in read.needs and monster_adjacent:
            return "defeat_zombie"
        if self.active_need and inventory[NEEDS[self.active_need]["stat"]] >= FULL:
            self.active_need = None
        for need in read.needs:
            rule = NEEDS[need]
            if (
                self.active_need is None
                and "stat" in rule
                and inventory[rule["stat"]] <= rule["low"]
            ):
                self.active_need = need
        if self.active_need:
            return self.active_need
        for index, step in enumerate(read.steps):
            if index not in self.done and _finished(step, inventory, achievements):
                self.done.add(index)
            if index not in self.done:
                return step.subgoal
        return "explore"


def _finished(step: Step, inventory: dict[str, int], achievements: dict[str, int]) -> bool:
    item = COLLECTS.get(step.subgoal)
    if item is not None:
        return inventory.get(item, 0) >= step.count
    return achievements.get(step.subgoal, 0) > 0

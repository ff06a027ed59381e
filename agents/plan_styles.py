"""The eight wordings a plan is written in: the training data's, and any planner's that
should read as the data does.

A plan is the expert's sentences for one subgoal ("Collect 4 wood. The nearest tree I have
seen is 4 steps to your west."); a style lays them out: one line, numbered, a checklist,
bullets, goal then steps, reason then steps, in the first person, or terse.
"""

from __future__ import annotations

import re
from collections.abc import Callable


def _sentences(plan: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", plan.strip()) if s.strip()]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


PLAN_STYLES: dict[str, Callable[[str, str], str]] = {
    "one_line": lambda plan, goal: " ".join(_sentences(plan)),
    "numbered": lambda plan, goal: "\n".join(
        f"{i}. {s}" for i, s in enumerate(_sentences(plan), 1)
    ),
    "checklist": lambda plan, goal: "\n".join(f"- [ ] {s}" for s in _sentences(plan)),
    "bullets": lambda plan, goal: "\n".join(f"* {s}" for s in _sentences(plan)),
    "goal_then_steps": lambda plan, goal: f"Goal: {goal}.\nSteps: {' '.join(_sentences(plan))}",
    "reason_then_steps": lambda plan, goal: (
        f"Reason: the next achievement to work on is {goal}.\nThen: {' '.join(_sentences(plan))}"
    ),
    "first_person": lambda plan, goal: (
        "I will " + " Then I will ".join(_lower_first(s) for s in _sentences(plan))
    ),
    "terse": lambda plan, goal: (
        f"{goal} -> " + "; ".join(s.rstrip(".").lower() for s in _sentences(plan))
    ),
}


def goal_text(subgoal: str) -> str:
    """A subgoal as samples and plans write it ("collect_wood" -> "collect wood")."""
    return subgoal.replace("_", " ")


def styled(plan: str, subgoal: str, style: str) -> str:
    """The expert's `plan` for `subgoal` ("collect_wood") written in `style`."""
    if style not in PLAN_STYLES:
        raise ValueError(f"unknown plan style {style!r}; expected one of {sorted(PLAN_STYLES)}")
    return PLAN_STYLES[style](plan, goal_text(subgoal))

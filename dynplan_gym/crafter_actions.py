"""Crafter's actions: names, one-line descriptions, and checking what `step` is handed.

`step` accepts exactly two forms:
  * `{"action": int in [0, 17), "plan": str}`: a non-empty plan replaces the plan in force,
    "" keeps it ("plan" may be left out, meaning "");
  * a bare int in [0, 17): the action, with no new plan.
Numpy integers and 0-d integer arrays count as ints; bools do not.
"""

from __future__ import annotations

import numbers
import tomllib
from collections.abc import Mapping
from importlib import resources
from typing import Any

import numpy as np

_DATA = tomllib.loads(
    resources.files("dynplan_gym").joinpath("data/crafter_actions.toml").read_text()
)["action"]

CRAFTER_ACTIONS: tuple[str, ...] = tuple(a["crafter"] for a in _DATA)
ACTION_NAMES: tuple[str, ...] = tuple(a["name"] for a in _DATA)
NUM_ACTIONS = len(ACTION_NAMES)

ACCEPTED_FORMS = (
    f'an int in [0, {NUM_ACTIONS}) or a dict {{"action": int in [0, {NUM_ACTIONS}), '
    f'"plan": str}} ("plan" optional; "" keeps the plan in force)'
)


def _requirements(crafter_name: str) -> str:
    """'needs 1 wood, near a table' from crafter's own rule data."""
    from crafter import constants

    kind, _, thing = crafter_name.partition("_")
    rule = {"place": constants.place, "make": constants.make}.get(kind, {}).get(thing)
    if not rule:
        return ""
    parts = [" and ".join(f"{n} {item}" for item, n in rule["uses"].items())]
    if rule.get("nearby"):
        parts.append("near a " + " and a ".join(rule["nearby"]))
    if rule.get("where"):
        parts.append("onto " + ", ".join(rule["where"]))
    return "needs " + ", ".join(parts)


def action_descriptions() -> dict[str, str]:
    """Display name -> one-line description (with requirements), in action order."""
    out = {}
    for entry in _DATA:
        needs = _requirements(entry["crafter"])
        out[entry["name"]] = entry["description"] + (f" ({needs})" if needs else "")
    return out


def as_action_index(value: Any) -> int:
    """The action index `value` names (an int in [0, 17)); raises naming the accepted forms."""
    if isinstance(value, np.ndarray) and value.shape == () and value.dtype.kind in "iu":
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"action must be {ACCEPTED_FORMS}; got action {value!r} of type {type(value).__name__}"
        )
    index = int(value)
    if not 0 <= index < NUM_ACTIONS:
        raise ValueError(f"action must be {ACCEPTED_FORMS}; got action index {index}, out of range")
    return index


def parse_action(action: Any, max_plan_chars: int) -> tuple[int, str]:
    """(action index, plan) from what `step` was handed; raises on anything else."""
    if isinstance(action, Mapping):
        unknown = sorted(set(action) - {"action", "plan"})
        if unknown or "action" not in action:
            raise ValueError(
                f"action must be {ACCEPTED_FORMS}; got a dict with keys {sorted(action)}"
            )
        plan = action.get("plan", "")
        if not isinstance(plan, str):
            raise TypeError(
                f"action must be {ACCEPTED_FORMS}; got plan of type {type(plan).__name__}"
            )
        if len(plan) > max_plan_chars:
            raise ValueError(
                f"plan is {len(plan)} characters; this env accepts at most {max_plan_chars} "
                f"(the `max_plan_chars` setting)"
            )
        return as_action_index(action["action"]), str(plan)
    return as_action_index(action), ""

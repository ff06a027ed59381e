"""Reading a model's answer: an optional `<plan>...</plan>` block, then one action name.

Never raises on model output. What it accepts, in order of trust:
  1. "Action: X" (any case, markdown, punctuation) where X names an action;
  2. the earliest action name in the text after the plan block (longest name on ties), written
     as BALROG names it ("Move West"), as crafter names it ("move_left"), or with its words run
     together or punctuated ("**Make Wood Pickaxe**", "make-wood-pickaxe");
  3. the action name closest in spelling to the answer's first line ("mve west").
An answer with none of these gives Noop. `valid` is True only for a closed (or absent) plan
block and an action found by 1 or 2; otherwise `problem` says what went wrong, so the next
prompt can tell the model.

For POGS (`env="pogs"`) the action is a node's number: the one after "Action:", else the first
number after the plan block; none gives `action = None` (the agent stays where it is).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from dynplan_gym.crafter_actions import ACTION_NAMES, CRAFTER_ACTIONS
from dynplan_gym.games import GAMES

NOOP = GAMES["crafter"].fallback_action  # what an answer naming no Crafter action plays
PLAN_OPEN, PLAN_CLOSE = "<plan>", "</plan>"
_PLAN_BLOCK = re.compile(r"<\s*plan\s*>(.*?)<\s*/\s*plan\s*>", re.I | re.S)
_PLAN_OPEN = re.compile(r"<\s*plan\s*>", re.I)
_ACTION_LABEL = re.compile(r"action\s*[:=\-]\s*(.+)", re.I)
_NON_WORD_ANY_CASE = re.compile(r"[^a-zA-Z]+")
_NUMBER = re.compile(r"\d+")
# English words that are also action names count only when capitalised as a name ("Do"),
# so that "I do not know" is not read as the action Do.
_COMMON_WORDS = {"do": (" Do ", " DO ")}


def _normalise(text: str, lower: bool = True) -> str:
    """Words separated by single spaces (markdown, `_`, `-` and punctuation gone)."""
    words = _NON_WORD_ANY_CASE.split(text.lower() if lower else text)
    return " " + " ".join(words).strip() + " "


# normalised name -> action index; BALROG's names and crafter's, plus the compass synonyms.
_ALIASES: dict[str, int] = {}
for _index, (_name, _crafter) in enumerate(zip(ACTION_NAMES, CRAFTER_ACTIONS, strict=True)):
    for _alias in (_name, _crafter, _name.replace(" ", "")):
        _ALIASES[_normalise(_alias).strip()] = _index
_BY_LENGTH = sorted(_ALIASES, key=len, reverse=True)


@dataclass(frozen=True)
class ParsedOutput:
    action: int | None  # None only for POGS answers that name no node
    plan: str | None  # None: no plan block; "" : an empty one
    valid: bool
    problem: str = ""


def find_action(text: str) -> int | None:
    """Index of the earliest action name in `text` (longest on ties), or None."""
    normalised, cased = _normalise(text), _normalise(text, lower=False)
    best: tuple[int, int, int] | None = None  # (position, -length, index)
    for alias in _BY_LENGTH:
        if alias in _COMMON_WORDS and normalised != f" {alias} ":
            found = [cased.find(form) for form in _COMMON_WORDS[alias]]
            position = min((f for f in found if f >= 0), default=-1)
        else:
            position = normalised.find(f" {alias} ")
        if position >= 0:
            candidate = (position, -len(alias), _ALIASES[alias])
            best = candidate if best is None or candidate < best else best
    return None if best is None else best[2]


def closest_action(text: str) -> int | None:
    """The action whose name is spelled most like `text` (cut-off 0.75), or None."""
    first_line = _normalise(text.strip().split("\n", 1)[0]).strip()
    match = difflib.get_close_matches(first_line, list(_ALIASES), n=1, cutoff=0.75)
    return _ALIASES[match[0]] if match else None


def parse_output(text: str, env: str = "crafter") -> ParsedOutput:
    """The plan and action in a model's answer (an action name; for POGS a node's number);
    never raises."""
    fallback = GAMES[env].fallback_action
    if not isinstance(text, str):
        return ParsedOutput(
            fallback, None, False, f"the answer was not text ({type(text).__name__})"
        )
    plan: str | None = None
    problems = []
    rest = text
    block = _PLAN_BLOCK.search(text)
    if block:
        plan = block.group(1).strip()
        rest = text[block.end() :]
        if not plan:
            problems.append("the <plan></plan> block was empty")
    elif _PLAN_OPEN.search(text):
        opened = _PLAN_OPEN.search(text)
        after = text[opened.end() :]
        label = _ACTION_LABEL.search(after)
        plan = (after[: label.start()] if label else after).strip()
        rest = after[label.start() :] if label else ""
        problems.append("the plan was not closed with </plan>")
    label = _ACTION_LABEL.search(rest)
    if env != "crafter":
        found = _NUMBER.search(label.group(1) if label else rest) or _NUMBER.search(rest)
        if found is None:
            problems.append("no node number was found" + (" after the plan" if plan else ""))
        node = int(found.group()) if found else None
        return ParsedOutput(node, plan, not problems, "; ".join(problems))
    action = find_action(label.group(1)) if label else None
    if action is None:
        action = find_action(rest)
    if action is None:
        action = closest_action(rest)
        if action is not None:
            problems.append(f"the action was misspelled (read as {ACTION_NAMES[action]})")
    if action is None:
        problems.append(
            "no action name was found" + (" after the plan" if plan is not None else "")
        )
        action = NOOP
    return ParsedOutput(action, plan, not problems, "; ".join(problems))

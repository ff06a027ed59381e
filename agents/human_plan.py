"""Steering any agent with human-written plans, from a plan file or typed at a terminal.

A plan file is plain text: blocks that each start with a trigger line, then the plan.

    # comments start with '#'
    @start                  the first step of the episode
    @step 120               episode step 120 or later
    @after collect_wood     once the achievement has been unlocked

Plans take effect in file order: the next plan waits for its trigger once the one before it is
in force. When a human plan takes effect, the wrapped agent sees it as the plan in force, the
decision hands it to the environment (which charges it like any plan), and the model's own
plan of that step is dropped. While steering, the model's own plans are dropped too
(`keep_model_plans=True` lets them through).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from agents.protocol import Agent, Decision
from dynplan_gym.achievements import ACHIEVEMENTS

_TRIGGER = re.compile(r"^@(start|step|after)\b\s*(.*)$")


@dataclass(frozen=True)
class HumanPlan:
    trigger: str  # "start", "step" or "after"
    value: int | str | None  # the step, the achievement, or None for start
    text: str

    def due(self, step: int, achievements: dict[str, int]) -> bool:
        if self.trigger == "start":
            return True
        if self.trigger == "step":
            return step >= self.value
        return achievements.get(self.value, 0) > 0


def parse_plan_file(text: str, source: str = "<plans>") -> list[HumanPlan]:
    """The plans of a plan file; a malformed file raises ValueError naming the line."""
    plans: list[HumanPlan] = []
    trigger: tuple[str, int | str | None] | None = None
    lines: list[str] = []

    def close(line_no: int) -> None:
        if trigger is None:
            return
        body = "\n".join(lines).strip()
        if not body:
            raise ValueError(f"{source}:{line_no}: the @{trigger[0]} block has no plan text")
        plans.append(HumanPlan(trigger[0], trigger[1], body))

    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("#"):
            continue
        match = _TRIGGER.match(line.strip())
        if not match:
            if trigger is None and line.strip():
                raise ValueError(f"{source}:{number}: plan text before any @start/@step/@after")
            lines.append(line)
            continue
        close(number)
        kind, arg = match.group(1), match.group(2).strip()
        if kind == "start" and not arg:
            trigger = ("start", None)
        elif kind == "step" and arg.isdigit():
            trigger = ("step", int(arg))
        elif kind == "after" and arg in ACHIEVEMENTS:
            trigger = ("after", arg)
        else:
            raise ValueError(
                f"{source}:{number}: bad trigger {line.strip()!r}; expected '@start', "
                f"'@step N' or '@after ACHIEVEMENT' with one of {list(ACHIEVEMENTS)}"
            )
        lines = []
    close(len(text.splitlines()))
    if not plans:
        raise ValueError(f"{source}: no plans found")
    return plans


SHIPPED = "plans:"  # `plans:NAME` names a plan file shipped in agents/data/plans/


def shipped_plans() -> dict[str, Path]:
    """The plan files that ship with the package, by name (`first_tools`, ...)."""
    from importlib import resources

    directory = Path(str(resources.files("agents").joinpath("data/plans")))
    return {path.stem: path for path in sorted(directory.glob("*.txt"))}


def plan_file(spec: str | Path) -> Path:
    """The plan file `spec` names: `plans:NAME` (shipped) or a path to one."""
    text = str(spec)
    if text.startswith(SHIPPED):
        shipped = shipped_plans()
        name = text[len(SHIPPED) :]
        if name not in shipped:
            raise ValueError(f"no shipped plan file {text!r}; expected plans:{'|'.join(shipped)}")
        return shipped[name]
    path = Path(spec)
    if not path.is_file():
        names = ", ".join(f"plans:{name}" for name in shipped_plans())
        raise ValueError(f"no plan file {text!r}; give a path to one, or a shipped one: {names}")
    return path


def plan_name(spec: str | Path) -> str:
    """How a plan file reads in names: its stem (`plans:first_tools` -> first_tools)."""
    text = str(spec)
    return text[len(SHIPPED) :] if text.startswith(SHIPPED) else Path(text).stem


class PlanFileSource:
    """Plans from a plan file (a path, or `plans:NAME`), released per episode as their
    triggers fire."""

    def __init__(self, path: str | Path) -> None:
        path = plan_file(path)
        self.plans = parse_plan_file(path.read_text(), str(path))
        self._next: list[int] = []

    def reset(self, n: int) -> None:
        self._next = [0] * n

    def start_episode(self, slot: int) -> None:
        self._next[slot] = 0

    def next_plan(self, slot: int, step: int, achievements: dict[str, int]) -> str | None:
        index = self._next[slot]
        if index < len(self.plans) and self.plans[index].due(step, achievements):
            self._next[slot] = index + 1
            return self.plans[index].text
        return None


class TerminalSource:
    """Plans typed at a terminal: every `ask_every` steps, asks for a plan (Enter keeps it)."""

    def __init__(
        self,
        ask_every: int = 10,
        read: Callable[[str], str] = input,
        write: Callable[[str], None] = print,
    ) -> None:
        if ask_every < 1:
            raise ValueError(f"ask_every must be >= 1, got {ask_every}")
        self.ask_every, self._read, self._write = ask_every, read, write

    def reset(self, n: int) -> None:
        pass

    def start_episode(self, slot: int) -> None:
        pass

    def next_plan(self, slot: int, step: int, achievements: dict[str, int]) -> str | None:
        if step % self.ask_every:
            return None
        try:
            typed = self._read(f"[episode {slot}, step {step}] new plan (Enter keeps the plan): ")
        except EOFError:
            return None
        return typed.strip() or None


class HumanPlanAgent:
    """Wraps an agent and puts human-written plans in place of the model's own."""

    def __init__(
        self, agent: Agent, source: PlanFileSource | TerminalSource, keep_model_plans: bool = False
    ) -> None:
        self.agent, self.source, self.keep_model_plans = agent, source, keep_model_plans
        self.human_plans = 0
        self.replaced_model_plans = 0

    @property
    def name(self) -> str:
        return f"{getattr(self.agent, 'name', type(self.agent).__name__)}+human-plans"

    def reset(self, n: int) -> None:
        self.agent.reset(n)
        self.source.reset(n)

    def act(self, observations: list[dict], infos: list[dict]) -> list[Decision]:
        injected: dict[int, str] = {}
        shown = list(observations)
        for i, (obs, info) in enumerate(zip(observations, infos, strict=True)):
            slot, step = int(info.get("slot", i)), int(info.get("step", 0))
            if step == 0:
                self.source.start_episode(slot)
            plan = self.source.next_plan(slot, step, info.get("achievements", {}))
            if plan:
                injected[i] = plan
                shown[i] = {**obs, "plan": plan, "plan_age": 0}
        decisions = self.agent.act(shown, infos)
        out = []
        for i, decision in enumerate(decisions):
            if i in injected:
                self.human_plans += 1
                self.replaced_model_plans += bool(decision.plan)
                decision = dataclasses.replace(decision, plan=injected[i])
            elif decision.plan and not self.keep_model_plans:
                self.replaced_model_plans += 1
                decision = dataclasses.replace(decision, plan="")
            out.append(decision)
        return out

"""A planner and an actor from different parties, played as one batched agent.

The planner writes plans (or keeps the one in force); the actor sees the plan in force,
including one handed in this step, and picks the action: the turn order of
`dynplan_gym.multiagent`'s AEC env, whose trajectories equal `DynPlanCrafter-v0`'s for the same
plans and actions. So the runner evaluates a pair on any protocol through `PlannerActorAgent`,
and `dynplan play --planner --actor` plays the PettingZoo env itself.

Planner specs: `none`; `human` (typed at the terminal); a plan file; `expert` (the scripted
expert's planner half: a plan whenever its subgoal changes, in its own words) or
`expert:STYLE` (the same plans written in one of the data's eight styles,
`agents.plan_styles`: what a student trained on that data has read); `llm:STRATEGY` (an
LLM's own plans; its actions are dropped) or a shipped LLM checkpoint's name (its plans under
`dynamic`); `gate:...` (a gate agent's plans).
Actor specs: `human` (an action name typed at the terminal); `expert` (the expert's executor
half: it carries out the subgoal the plan in force names, and explores without one);
`random`; `sb3:...`; `llm:STRATEGY` or a shipped LLM checkpoint's name (acting under `never`,
reading the plan in force in its prompt). An actor's own plans are dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from agents.protocol import Agent, Decision, episode_slots

PLANNER_SPECS = (
    "none, human, a plan file, expert, expert:<style>, llm:<strategy>, a shipped LLM name or "
    "gate:<gate>"
)
ACTOR_SPECS = "human, expert, random, sb3:<policy>, llm:<strategy> or a shipped LLM name"


class SourcePlanner:
    """Plans from a plan source (`agents.human_plan`: a plan file or a terminal), or none."""

    def __init__(self, source: Any = None, name: str = "none") -> None:
        self.source, self.name = source, name

    def reset(self, n: int) -> None:
        if self.source is not None:
            self.source.reset(n)

    def act(self, observations: list[dict], infos: list[dict]) -> list[Decision]:
        decisions = []
        for i, info in enumerate(infos):
            plan = None
            if self.source is not None:
                slot, step = int(info.get("slot", i)), int(info.get("step", 0))
                if step == 0:
                    self.source.start_episode(slot)
                plan = self.source.next_plan(slot, step, info.get("achievements", {}))
            decisions.append(Decision(0, plan or "", raw=f"{self.name} plan"))
        return decisions


class ExpertPlannerAgent:
    """The expert's planner half per episode: hands in a plan when its subgoal changes, in its
    own words ("collect_wood: Collect 4 wood. ...") or written in `style`."""

    def __init__(self, style: str | None = None) -> None:
        from agents.plan_styles import PLAN_STYLES

        if style is not None and style not in PLAN_STYLES:
            raise ValueError(
                f"unknown plan style {style!r} for expert:<style>; expected one of "
                f"{', '.join(sorted(PLAN_STYLES))}"
            )
        self.style = style
        self.name = f"expert:{style}" if style else "expert"
        self._slots: list[dict[str, Any]] = []

    def reset(self, n: int) -> None:
        self._slots = [{} for _ in range(n)]

    def act(self, observations: list[dict], infos: list[dict]) -> list[Decision]:
        from agents.gate import ExpertMind, ExpertPlanner, plan_subgoal

        decisions = []
        for slot, obs, info in zip(
            episode_slots(infos, len(observations), len(self._slots)),
            observations,
            infos,
            strict=True,
        ):
            state = self._slots[slot]
            if int(info.get("step", 0)) == 0 or not state:
                state.update(planner=ExpertPlanner(ExpertMind()), subgoal=None)
            plan = state["planner"](obs, info)
            subgoal = plan_subgoal(plan)
            new = self._written(plan, subgoal) if subgoal != state["subgoal"] else ""
            state["subgoal"] = subgoal
            decisions.append(Decision(0, new, raw=f"expert planner: {plan}"))
        return decisions

    def _written(self, plan: str, subgoal: str) -> str:
        """The expert's plan ("subgoal: sentences") as it is handed in."""
        if not self.style:
            return plan
        from agents.plan_styles import styled

        return styled(plan.partition(": ")[2] or plan, subgoal, self.style)


class ExecutorActor:
    """The expert's executor half per episode: carries out the subgoal the plan in force
    names (`agents.gate.plan_subgoal`), exploring when it names none."""

    name = "expert-executor"

    def __init__(self) -> None:
        self._slots: list[Any] = []

    def reset(self, n: int) -> None:
        self._slots = [None] * n

    def act(self, observations: list[dict], infos: list[dict]) -> list[Decision]:
        from agents.gate import ExpertExecutor, ExpertMind

        decisions = []
        for slot, obs, info in zip(
            episode_slots(infos, len(observations), len(self._slots)),
            observations,
            infos,
            strict=True,
        ):
            if int(info.get("step", 0)) == 0 or self._slots[slot] is None:
                self._slots[slot] = ExpertExecutor(ExpertMind())
            action = self._slots[slot](obs, info, obs.get("plan", ""))
            decisions.append(Decision(action, raw="executor"))
        return decisions


class HumanActor:
    """Actions typed at a terminal: an action name (or its number); Enter or end of input
    is Noop; anything else asks again."""

    name = "human"

    def __init__(
        self, read: Callable[[str], str] | None = None, write: Callable[[str], None] = print
    ) -> None:
        self._read, self._write = read, write

    def reset(self, n: int) -> None:
        pass

    def act(self, observations: list[dict], infos: list[dict]) -> list[Decision]:
        from agents.parser import find_action
        from dynplan_gym.crafter_actions import ACTION_NAMES

        decisions = []
        for i, info in enumerate(infos):
            while True:
                try:
                    typed = self._read(f"[episode {info.get('slot', i)}] action: ").strip()
                except EOFError:
                    typed = ""
                if not typed:
                    action = 0
                elif typed.isdigit() and int(typed) < len(ACTION_NAMES):
                    action = int(typed)
                else:
                    action = find_action(typed)
                if action is not None:
                    break
                self._write(f"not an action: {typed!r}; one of {', '.join(ACTION_NAMES)}")
            decisions.append(Decision(action, raw=typed))
        return decisions


class PlannerActorAgent:
    """A planner and an actor as one `Agent`: per step, the planner's plans, then the actor's
    actions on the observations with those plans in force. Token counts add up; `valid` is
    the actor's."""

    def __init__(self, planner: Agent, actor: Agent, name: str | None = None) -> None:
        self.planner, self.actor = planner, actor
        self.name = name or f"{_name(planner)} > {_name(actor)}"

    def reset(self, n: int) -> None:
        self.planner.reset(n)
        self.actor.reset(n)

    def act(self, observations: list[dict], infos: list[dict]) -> list[Decision]:
        plans = self.planner.act(observations, infos)
        shown = [
            {**obs, "plan": p.plan, "plan_age": 0} if p.plan else obs
            for obs, p in zip(observations, plans, strict=True)
        ]
        actions = self.actor.act(shown, infos)
        return [
            Decision(
                a.action,
                p.plan,
                raw=f"planner: {p.raw} | actor: {a.raw}",
                prompt_tokens=p.prompt_tokens + a.prompt_tokens,
                completion_tokens=p.completion_tokens + a.completion_tokens,
                valid=a.valid,
            )
            for p, a in zip(plans, actions, strict=True)
        ]


def _typed(prompt: str) -> str:
    """A line typed at the terminal (`input`, looked up when called)."""
    return input(prompt)


def _name(agent: Agent) -> str:
    return str(getattr(agent, "name", type(agent).__name__))


def pair_name(planner: str, actor: str) -> str:
    """A planner/actor pair's name on the board and in reports, from their specs."""
    return f"{spec_label(planner)} > {spec_label(actor)}"


def spec_label(spec: str) -> str:
    """How a planner or actor spec reads in names: a plan file as `plans:STEM`."""
    if spec in ("none", "human") or spec.startswith(("llm:", "plans:", "expert:")) or _kind(spec):
        return spec
    return f"plans:{Path(spec).stem}"


def _agent(spec: str, shipped_strategy: str, backend_options, temperature, seed) -> Agent:
    """`make_agent(spec)`; a shipped LLM's name plays under `shipped_strategy`."""
    from agents.factory import make_agent

    return make_agent(
        spec,
        backend_options=backend_options,
        temperature=temperature,
        seed=seed,
        default_strategy=shipped_strategy,
    )


def _kind(spec: str) -> str | None:
    """The kind of agent `spec` names (`agents.specs`), None for anything else (a plan file);
    an `llm:` spec with a bad strategy raises its own error."""
    from agents.specs import parse_spec

    try:
        return parse_spec(spec).kind
    except ValueError:
        if spec.startswith("llm:"):
            raise
        return None


def make_planner(
    spec: str,
    *,
    backend_options: dict[str, Any] | None = None,
    temperature: float = 0.0,
    seed: int = 0,
    read: Callable[[str], str] | None = None,
) -> Agent:
    """The planner a spec names (see the module docstring); ValueError for an unknown one."""
    if spec == "none":
        return SourcePlanner()
    if spec == "human":
        from agents.human_plan import TerminalSource

        return SourcePlanner(TerminalSource(read=read or _typed), "human")
    if spec == "expert" or spec.startswith("expert:"):
        return ExpertPlannerAgent(spec.partition(":")[2] or None)
    if _kind(spec) in ("llm", "gate"):
        return _agent(spec, "dynamic", backend_options, temperature, seed)
    if spec.startswith("plans:") or Path(spec).is_file():
        from agents.human_plan import PlanFileSource, plan_name

        return SourcePlanner(PlanFileSource(spec), f"plans:{plan_name(spec)}")
    raise ValueError(f"unknown planner {spec!r}; expected {PLANNER_SPECS}")


def make_actor(
    spec: str,
    *,
    backend_options: dict[str, Any] | None = None,
    temperature: float = 0.0,
    seed: int = 0,
    read: Callable[[str], str] | None = None,
) -> Agent:
    """The actor a spec names (see the module docstring); ValueError for an unknown one."""
    if spec == "human":
        return HumanActor(read=read)
    if spec == "expert":
        return ExecutorActor()
    if _kind(spec) in ("random", "llm", "sb3"):
        return _agent(spec, "never", backend_options, temperature, seed)
    raise ValueError(f"unknown actor {spec!r}; expected {ACTOR_SPECS}")


def make_pair(planner: str, actor: str, **options: Any) -> PlannerActorAgent:
    """`PlannerActorAgent` from a planner spec and an actor spec (options: backend_options,
    temperature, seed, read)."""
    return PlannerActorAgent(
        make_planner(planner, **options),
        make_actor(actor, **options),
        name=pair_name(planner, actor),
    )

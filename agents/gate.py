"""The plan gate with the scripted expert's halves: `DynPlanCrafterGate-v0`, and gate agents.

The expert's planner half runs its subgoal ladder and writes the subgoal as plan text
("collect_wood: Collect 3 wood. The nearest tree I have seen is 2 steps north."; the plan
cost counts its tokens); its executor half carries out the subgoal named in the plan in force
(`Policy.pursue`), even once it has gone stale. Both read one `ExpertMind`: the expert's memory
of the episode, brought up to date with each new observation by whichever half reads it first.
Replanning every step plays exactly as `ExpertAgent` (a test checks whole trajectories).

`GateAgent` plays `DynPlanCrafter-v0` (the board's env) with the same halves and a gate: a
schedule (`gate:every:K`, `gate:never` = one plan at the start) or a policy trained by
`dynplan train gate` (`gate:DIR`, or the shipped `gate-ppo`).
"""

from __future__ import annotations

import re
from typing import Any

import gymnasium as gym
import numpy as np
from crafter import constants

from agents import GATE_ENV_ID
from agents.expert import Memory, Policy
from agents.plan_reader import PlanProgress, read_plan
from agents.protocol import Decision, episode_slots

__all__ = ["GATE_ENV_ID", "GateAgent", "expert_halves", "make_gate_env"]
SUBGOAL = re.compile(r"\s*([a-z_]+):")
# crafter's names for what `collect` takes -> the subgoal that collects it
COLLECT_SUBGOAL = {"tree": "collect_wood", "water": "collect_drink", "grass": "collect_sapling"}


def expert_subgoal(plan: str) -> str | None:
    """The subgoal an expert-style plan ("collect_wood: ...") opens with, else None."""
    from agents.expert import PURSUITS

    match = SUBGOAL.match(plan)
    name = match.group(1) if match else ""
    if name in PURSUITS or (name.startswith("make_") and name[len("make_") :] in constants.make):
        return name
    return None


def plan_subgoal(plan: str) -> str:
    """The subgoal a plan names first: its text before the first colon (the expert's plans),
    else the first step or standing order `agents.plan_reader` reads in it ("First collect
    wood, then ..." -> collect_wood; a free-text plan of an LLM or a person), else ""."""
    named = expert_subgoal(plan)
    if named:
        return named
    read = read_plan(plan)
    return read.steps[0].subgoal if read.steps else (read.needs[0] if read.needs else "")


def feasible_subgoals(inventory: dict[str, int]) -> list[str]:
    """Subgoals crafter's rules allow with this inventory: collecting what the tools reach,
    placing and making what the materials pay for, eating, exploring."""

    def affords(needs: dict[str, int]) -> bool:
        return all(inventory.get(item, 0) >= n for item, n in needs.items())

    subgoals = ["explore", "eat_cow"]
    for name, rule in constants.collect.items():
        if affords(rule["require"]):
            subgoals.append(COLLECT_SUBGOAL.get(name, f"collect_{name}"))
    subgoals += [f"place_{t}" for t, rule in constants.place.items() if affords(rule["uses"])]
    subgoals += [f"make_{t}" for t, rule in constants.make.items() if affords(rule["uses"])]
    return list(dict.fromkeys(subgoals))


def feasible_plans(info: dict[str, Any]) -> list[str]:
    """Plans the rules allow now (what a noisy planner may write instead of its own)."""
    return [f"{s}: Work on {s.replace('_', ' ')}." for s in feasible_subgoals(info["inventory"])]


class ExpertMind:
    """One episode's expert memory, updated once per env step by whichever half reads it."""

    def __init__(self) -> None:
        self.memory = Memory()
        self._step: int | None = None

    def sync(self, obs: dict[str, Any], info: dict[str, Any]) -> tuple[int, int]:
        """Take in this step's view (once); the player's position."""
        step = int(info.get("step", 0))
        pos = (int(info["player_pos"][0]), int(info["player_pos"][1]))
        if step != self._step:
            if step == 0:
                self.memory = Memory()
            self.memory.observe(pos, obs["local_view"])
            self.memory.facing = tuple(int(d) for d in info["player_facing"])
            self._step = step
        return pos


class ExpertPlanner:
    """The planner half: the expert's ladder names the subgoal; its plan sentence explains it."""

    def __init__(self, mind: ExpertMind) -> None:
        self.mind = mind

    def __call__(self, obs: dict[str, Any], info: dict[str, Any]) -> str:
        pos = self.mind.sync(obs, info)
        _, subgoal, plan = Policy(self.mind.memory, pos, info).decide()
        return f"{subgoal}: {plan}"

    def alternatives(self, obs: dict[str, Any], info: dict[str, Any]) -> list[str]:
        return feasible_plans(info)


class ExpertExecutor:
    """The executor half: carries out the plan in force. An expert plan ("subgoal: ...")
    names one subgoal, pursued while the plan is in force; a free-text plan is worked through
    step by step (`agents.plan_reader.PlanProgress`); no plan, or a finished one: explore."""

    def __init__(self, mind: ExpertMind) -> None:
        self.mind = mind
        self._progress: PlanProgress | None = None

    def __call__(self, obs: dict[str, Any], info: dict[str, Any], plan: str) -> int:
        pos = self.mind.sync(obs, info)
        policy = Policy(self.mind.memory, pos, info)
        return policy.pursue(self.subgoal(plan, info, policy.monster_adjacent()))

    def subgoal(self, plan: str, info: dict[str, Any], monster_adjacent: bool = False) -> str:
        """What the plan asks for now."""
        named = expert_subgoal(plan)
        if named:
            return named
        if not plan:
            return "explore"
        if self._progress is None or self._progress.plan != plan or not info.get("step"):
            self._progress = PlanProgress(plan)
        return self._progress.next_subgoal(info, monster_adjacent)


class LLMPlanner:
    """A planner half from any LLM backend: the plan an `LLMAgent` writes when it must plan
    (strategy `always`, the project's one prompt builder and decoding), for an executor that
    works through the subgoals its words name (`agents.plan_reader`). Needs text observations."""

    def __init__(self, agent) -> None:
        from agents.llm_agent import LLMAgent

        if not isinstance(agent, LLMAgent) or str(agent.strategy) != "always":
            raise ValueError("an LLM planner is an LLMAgent with the strategy always")
        self.agent = agent
        self.agent.reset(1)

    def __call__(self, obs: dict[str, Any], info: dict[str, Any]) -> str:
        if not obs.get("text"):
            raise ValueError("an LLM planner reads the text observation: make the env with text")
        decision = self.agent.act([obs], [{**info, "slot": 0}])[0]
        return decision.plan

    def alternatives(self, obs: dict[str, Any], info: dict[str, Any]) -> list[str]:
        return feasible_plans(info)


def expert_halves() -> tuple[ExpertPlanner, ExpertExecutor]:
    """A planner and an executor sharing one expert memory (one pair per env)."""
    mind = ExpertMind()
    return ExpertPlanner(mind), ExpertExecutor(mind)


def make_gate_env(
    *,
    latency: int = 0,
    noise: float = 0.0,
    features: bool = True,
    planner: Any = None,
    **env_kwargs: Any,
) -> gym.Env:
    """`DynPlanCrafter-v0` behind a `PlanGate` with the expert's halves (no text: the expert
    reads the arrays); with `features`, observations as `GateFeatures` (what SB3 trains the
    gate on). `planner`: another planner half for the expert's executor, e.g. an
    `LLMPlanner` (then the env describes the view in text)."""
    from dynplan_gym.crafter_env import DynPlanCrafterEnv
    from dynplan_gym.plan_gate import PlanGate
    from dynplan_gym.wrappers import GateFeatures, SemanticObservation

    expert_planner, executor = expert_halves()
    env = DynPlanCrafterEnv(**{"text": planner is not None, **env_kwargs})
    planner = planner or expert_planner
    gated: gym.Env = PlanGate(env, planner, executor, latency=latency, noise=noise)
    return SemanticObservation(gated, GateFeatures()) if features else gated


class GateAgent:
    """The expert's halves behind a gate, as a batched agent on `DynPlanCrafter-v0`, under the
    gate env's rules (`GateRules`: latency, noise; a trained gate's default: those it was
    trained at; a schedule's: none).

    `schedule`: "every:K" (replan when the plan in force is K steps old) or "never" (one plan,
    at the start); or `policy_dir`, a gate trained by `dynplan train gate` (its most likely
    decision; `deterministic=False` samples it). Each episode draws its noise (and sampled
    decisions) from its own generator, seeded by (agent seed, episode seed)."""

    def __init__(
        self,
        schedule: str | None = None,
        policy_dir: str | None = None,
        *,
        latency: int | None = None,
        noise: float | None = None,
        seed: int = 0,
        deterministic: bool = True,
    ) -> None:
        from dynplan_gym.plan_gate import GateRules

        if (schedule is None) == (policy_dir is None):
            raise ValueError("a gate agent needs a schedule or a trained policy, not both")
        trained_at: dict[str, Any] = {}
        self.interval = None
        if schedule is not None:
            self.interval = parse_schedule(schedule)
            self.name = f"gate:{schedule}"
        else:
            import json

            from agents.sb3_agent import load_policy, resolve_policy_dir

            directory = resolve_policy_dir(policy_dir, kind="sb3-gate")
            self.policy, self.features = load_policy(directory)
            self.name = f"gate:{policy_dir}"
            trained_at = json.loads((directory / "card.json").read_text())["config"]
        # A trained gate plays under the latency and noise it was trained at, unless told.
        self.latency = trained_at.get("latency", 0) if latency is None else latency
        self.noise = trained_at.get("noise", 0.0) if noise is None else noise
        GateRules(self.latency, self.noise)  # checks them
        self.seed, self.deterministic = seed, deterministic
        self._slots: list[dict[str, Any]] = []

    def reset(self, n: int) -> None:
        if n < 1:
            raise ValueError(f"GateAgent.reset needs n >= 1 episodes, got {n}")
        self._slots = [{} for _ in range(n)]

    def act(self, observations: list[dict], infos: list[dict]) -> list[Decision]:
        from dynplan_gym.plan_gate import GateRules

        slots = episode_slots(infos, len(observations), len(self._slots))
        for slot, info in zip(slots, infos, strict=True):
            if int(info.get("step", 0)) == 0 or not self._slots[slot]:
                planner, executor = expert_halves()
                self._slots[slot] = {
                    "planner": planner,
                    "executor": executor,
                    "rules": GateRules(self.latency, self.noise),
                    "rng": np.random.default_rng([self.seed, int(info.get("seed", slot))]),
                }
        replans = self._gate(observations, infos, slots)
        decisions = []
        for slot, obs, info, replan in zip(slots, observations, infos, replans, strict=True):
            state = self._slots[slot]
            plan, idle, label = state["rules"].step(
                replan, state["planner"], obs, info, state["rng"]
            )
            action = 0 if idle else state["executor"](obs, info, state["rules"].plan)
            decisions.append(Decision(action, plan, raw=f"gate {label}: {plan}"))
        return decisions

    def _gate(self, observations, infos, slots) -> list[bool]:
        if self.interval is not None:
            return [
                bool(self.interval) and int(o.get("plan_age", 0)) >= self.interval
                for o in observations
            ]
        from agents.sb3_agent import action_probabilities

        probs = action_probabilities(self.policy, self.features, observations, infos)
        if self.deterministic:
            return [bool(p.argmax()) for p in probs]
        return [
            bool(self._slots[slot]["rng"].random() < p[1])
            for slot, p in zip(slots, probs, strict=True)
        ]


def parse_schedule(schedule: str) -> int:
    """Replanning interval of "every:K" (K >= 1), or 0 for "never"."""
    if schedule == "never":
        return 0
    kind, _, k = schedule.partition(":")
    if kind != "every" or not k.isdigit() or int(k) < 1:
        raise ValueError(f"a gate schedule is never or every:K with K >= 1, not {schedule!r}")
    return int(k)

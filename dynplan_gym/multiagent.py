"""Planning and acting as two PettingZoo agents over one Crafter world.

Each env step the `planner` may hand in a plan (text; "" keeps the plan in force), charged as
in `DynPlanCrafter-v0`; then the `actor` picks one of the 17 actions. Underneath sits one
`DynPlanCrafterEnv`, stepped with `{"action": actor's action, "plan": planner's plan}`, so the
same seed, plans and actions give the same trajectory as the single-agent env.

Observations: both agents see the single-agent observation (text, plan in force, plan age,
inventory, local view). The actor acts after the planner, so it sees a plan handed in this
step, at age 0. With `planner_sees_map=True` the planner also sees the whole world's semantic
map (`map`), which the actor never does.

Rewards: both agents share the task reward. `plan_cost_to` says who pays for plans:
"planner" (default: the planner's reward is task reward - plan cost, the actor's the task
reward) or "both" (both get task reward - plan cost, one team reward).

`env(**kwargs)` gives the AEC form (turns: planner, actor, planner, ...); `parallel_env(**kwargs)`
the parallel form, where one `step({"planner": plan, "actor": action})` is one world step.
Keyword arguments go to `DynPlanCrafterEnv` (text options, plan costs, length, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from pettingzoo import AECEnv, ParallelEnv

from dynplan_gym.crafter_actions import ACCEPTED_FORMS, NUM_ACTIONS, as_action_index
from dynplan_gym.crafter_core import SEMANTIC_NAMES
from dynplan_gym.crafter_env import DynPlanCrafterEnv
from dynplan_gym.spaces import FreeText

PLANNER, ACTOR = "planner", "actor"
AGENTS = (PLANNER, ACTOR)
COST_PAYERS = ("planner", "both")
ENV_NAME = "dynplan_crafter_planner_actor_v0"


class _PlannerActorCore:
    """What both forms share: the world, the spaces, per-agent observations and rewards."""

    def __init__(self, planner_sees_map: bool, plan_cost_to: str, env_kwargs: dict) -> None:
        if plan_cost_to not in COST_PAYERS:
            raise ValueError(f"plan_cost_to must be one of {COST_PAYERS}, got {plan_cost_to!r}")
        self.world = DynPlanCrafterEnv(**env_kwargs)
        self.planner_sees_map = bool(planner_sees_map)
        self.plan_cost_to = plan_cost_to
        actor_obs = self.world.observation_space
        planner_obs = actor_obs
        if self.planner_sees_map:
            area = tuple(self.world.core.semantic_map().shape)
            planner_obs = spaces.Dict(
                {**actor_obs.spaces, "map": spaces.Box(0, len(SEMANTIC_NAMES) - 1, area, np.uint8)}
            )
        self.observation_spaces = {PLANNER: planner_obs, ACTOR: actor_obs}
        self.action_spaces = {
            PLANNER: FreeText(self.world.max_plan_chars),
            ACTOR: spaces.Discrete(NUM_ACTIONS),
        }
        self.obs: dict[str, Any] = {}
        self.info: dict[str, Any] = {}
        self.pending_plan = ""

    def reset(self, seed: int | None) -> None:
        self.obs, self.info = self.world.reset(seed=seed)
        self.pending_plan = ""

    def check_plan(self, plan: Any) -> str:
        if not isinstance(plan, str):
            raise TypeError(
                f"the planner's action must be plan text (str; '' keeps the plan in force), "
                f"got {type(plan).__name__}"
            )
        if len(plan) > self.world.max_plan_chars:
            raise ValueError(
                f"plan is {len(plan)} characters; this env accepts at most "
                f"{self.world.max_plan_chars} (the `max_plan_chars` setting)"
            )
        return plan

    @staticmethod
    def check_action(action: Any) -> int:
        if isinstance(action, Mapping):
            raise TypeError(
                f"the actor's action must be an int in [0, {NUM_ACTIONS}) (plans come from the "
                f"planner); got a dict with keys {sorted(action)}"
            )
        return as_action_index(action)

    def step_world(self, plan: str, action: int) -> tuple[dict[str, float], bool, bool]:
        """One world step; per-agent rewards, terminated, truncated."""
        self.obs, reward, terminated, truncated, self.info = self.world.step(
            {"action": action, "plan": plan}
        )
        self.pending_plan = ""
        task = self.info["task_reward"]
        actor_reward = reward if self.plan_cost_to == "both" else task
        return {PLANNER: float(reward), ACTOR: float(actor_reward)}, terminated, truncated

    def observe(self, agent: str) -> dict[str, Any]:
        obs = dict(self.obs)
        if agent == ACTOR and self.pending_plan:
            obs.update(plan=self.pending_plan, plan_age=0)
        if agent == PLANNER and self.planner_sees_map:
            obs["map"] = self.world.core.semantic_map()
        return obs


class _PlannerActorSpaces:
    """What both forms share besides their step: the world, the spaces, render and close."""

    _core: _PlannerActorCore

    def _setup(self, planner_sees_map: bool, plan_cost_to: str, render_mode, env_kwargs) -> None:
        self._core = _PlannerActorCore(
            planner_sees_map, plan_cost_to, {**env_kwargs, "render_mode": render_mode}
        )
        self.render_mode = render_mode
        self.possible_agents = list(AGENTS)
        self.agents: list[str] = []

    @property
    def world(self) -> DynPlanCrafterEnv:
        """The single-agent env underneath (read it; do not step it)."""
        return self._core.world

    def observation_space(self, agent: str) -> spaces.Space:
        return self._core.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space:
        return self._core.action_spaces[agent]

    def render(self) -> np.ndarray | None:
        return self.world.render()

    def close(self) -> None:
        self.world.close()


class PlannerActorEnv(_PlannerActorSpaces, AECEnv):
    """The AEC form: the planner moves, then the actor; a world step per actor move."""

    metadata: ClassVar[dict[str, Any]] = {
        "name": ENV_NAME,
        "render_modes": ["rgb_array"],
        "is_parallelizable": True,
    }

    def __init__(
        self,
        *,
        planner_sees_map: bool = False,
        plan_cost_to: str = "planner",
        render_mode: str | None = None,
        **env_kwargs: Any,
    ) -> None:
        super().__init__()
        self._setup(planner_sees_map, plan_cost_to, render_mode, env_kwargs)

    def reset(self, seed: int | None = None, options: dict | None = None) -> None:
        """Start an episode (`options` are accepted and unused, as PettingZoo asks)."""
        self._core.reset(seed)
        self.agents = list(AGENTS)
        self.rewards = dict.fromkeys(AGENTS, 0.0)
        self._cumulative_rewards = dict.fromkeys(AGENTS, 0.0)
        self.terminations = dict.fromkeys(AGENTS, False)
        self.truncations = dict.fromkeys(AGENTS, False)
        self.infos = {agent: dict(self._core.info) for agent in AGENTS}
        self.agent_selection = PLANNER

    def observe(self, agent: str) -> dict[str, Any]:
        return self._core.observe(agent)

    def step(self, action: Any) -> None:
        if not self.agents:
            raise RuntimeError("the episode is over (or never started): call reset() before step()")
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        self._cumulative_rewards[agent] = 0.0
        if agent == PLANNER:
            self._core.pending_plan = self._core.check_plan(action)
            self._clear_rewards()
            self.agent_selection = ACTOR
            return
        index = self._core.check_action(action)
        rewards, terminated, truncated = self._core.step_world(self._core.pending_plan, index)
        self.rewards = rewards
        self.terminations = dict.fromkeys(AGENTS, terminated)
        self.truncations = dict.fromkeys(AGENTS, truncated)
        self.infos = {name: dict(self._core.info) for name in AGENTS}
        self._accumulate_rewards()
        self.agent_selection = PLANNER


class PlannerActorParallelEnv(_PlannerActorSpaces, ParallelEnv):
    """The parallel form: both agents hand in their move at once; the actor does not see a
    plan handed in at the same step until the next one ("planner" may be left out: no plan)."""

    metadata: ClassVar[dict[str, Any]] = {"name": ENV_NAME, "render_modes": ["rgb_array"]}

    def __init__(
        self,
        *,
        planner_sees_map: bool = False,
        plan_cost_to: str = "planner",
        render_mode: str | None = None,
        **env_kwargs: Any,
    ) -> None:
        self._setup(planner_sees_map, plan_cost_to, render_mode, env_kwargs)

    def reset(
        self, seed: int | None = None, options: dict | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        self._core.reset(seed)
        self.agents = list(AGENTS)
        return (
            {agent: self._core.observe(agent) for agent in AGENTS},
            {agent: dict(self._core.info) for agent in AGENTS},
        )

    def step(self, actions: Mapping[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        if not self.agents:
            raise RuntimeError("the episode is over (or never started): call reset() before step()")
        if not isinstance(actions, Mapping) or ACTOR not in actions or set(actions) - set(AGENTS):
            raise ValueError(
                f'actions must be a dict {{"actor": {ACCEPTED_FORMS.split(" or ")[0]}, '
                f'"planner": plan text (optional)}}; got {actions!r}'
            )
        plan = self._core.check_plan(actions.get(PLANNER, ""))
        rewards, terminated, truncated = self._core.step_world(
            plan, self._core.check_action(actions[ACTOR])
        )
        observations = {agent: self._core.observe(agent) for agent in AGENTS}
        infos = {agent: dict(self._core.info) for agent in AGENTS}
        if terminated or truncated:
            self.agents = []
        return (
            observations,
            rewards,
            dict.fromkeys(AGENTS, terminated),
            dict.fromkeys(AGENTS, truncated),
            infos,
        )


def env(**kwargs: Any) -> PlannerActorEnv:
    """The AEC planner/actor env (keyword arguments: see the module docstring)."""
    return PlannerActorEnv(**kwargs)


def parallel_env(**kwargs: Any) -> PlannerActorParallelEnv:
    """The parallel planner/actor env."""
    return PlannerActorParallelEnv(**kwargs)

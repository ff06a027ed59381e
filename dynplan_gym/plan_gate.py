"""`PlanGate`: an env in which the agent only decides, each step, whether to replan.

A *planner* writes a plan when asked; an *executor* acts under the plan in force every step,
even when it has gone stale. Both come from outside (this layer imports no agents): any
callables that keep the protocols below. The gate's action is `Discrete(2)`: 0 keeps the plan,
1 asks for a new one (the first step of an episode always plans when there is none). A new plan
is handed to the wrapped `DynPlanCrafter-v0`, which charges it (per plan, per token) and shows
it, with its age, in the observation. Options model the paper's other costs:

  latency  steps the new plan takes to write: the executor idles (noop) that long, then
           follows the new plan; replan requests meanwhile are ignored;
  noise    with this probability the planner's choice is swapped for one of its alternatives
           (`planner.alternatives(obs, info)`: other feasible plans), drawn by the env's RNG.
"""

from __future__ import annotations

import numbers
from typing import Any, Protocol, runtime_checkable

import gymnasium as gym
import numpy as np
from gymnasium import spaces

KEEP, REPLAN = 0, 1
NOOP = 0


@runtime_checkable
class Planner(Protocol):
    """Writes the plan for the situation in `obs`/`info`."""

    def __call__(self, obs: dict[str, Any], info: dict[str, Any]) -> str: ...


@runtime_checkable
class Executor(Protocol):
    """Picks the action (0-16) that carries out `plan` from here."""

    def __call__(self, obs: dict[str, Any], info: dict[str, Any], plan: str) -> int: ...


class GateRules:
    """The gate's bookkeeping for one episode: the plan in force, the steps left writing a new
    one, and the noisy planner. `PlanGate` runs it on an env; agents that gate plans on
    `DynPlanCrafter-v0` run the same rules (`agents.gate.GateAgent`)."""

    def __init__(self, latency: int = 0, noise: float = 0.0) -> None:
        if not isinstance(latency, int) or latency < 0:
            raise ValueError(f"latency must be an int >= 0, got {latency!r}")
        if not 0.0 <= float(noise) <= 1.0:
            raise ValueError(f"noise must be a probability in [0, 1], got {noise!r}")
        self.latency, self.noise = latency, float(noise)
        self.reset()

    def reset(self) -> None:
        self.plan, self.idle = "", 0

    def step(self, replan: bool, planner: Planner, obs, info, rng: np.random.Generator):
        """(the plan to hand in this step, or "", whether the executor idles, the label:
        "plan", "forced" (no plan yet), "keep", "idle" or "ignored")."""
        plan = ""
        if self.idle:
            label = "ignored" if replan else "idle"
        elif replan or not self.plan:
            label = "plan" if replan else "forced"
            plan = self.plan = self._write(planner, obs, info, rng)
            self.idle = self.latency
        else:
            label = "keep"
        idle = self.idle > 0  # the plan is still being written
        self.idle -= idle
        return plan, idle, label

    def _write(self, planner: Planner, obs, info, rng: np.random.Generator) -> str:
        plan = planner(obs, info)
        if self.noise and rng.random() < self.noise:
            others = [p for p in planner.alternatives(obs, info) if p != plan]
            if others:
                plan = others[int(rng.integers(len(others)))]
        return plan


class PlanGate(gym.Wrapper):
    """`DynPlanCrafter-v0` (or any env with its action dict) driven by keep/replan decisions.

    `info` gains `gate`: "plan", "keep", "forced" (no plan yet), "idle" (a plan being written)
    or "ignored" (a replan asked while one is being written)."""

    def __init__(
        self,
        env: gym.Env,
        planner: Planner,
        executor: Executor,
        *,
        latency: int = 0,
        noise: float = 0.0,
    ) -> None:
        super().__init__(env)
        self.rules = GateRules(latency, noise)
        if noise > 0 and not callable(getattr(planner, "alternatives", None)):
            raise ValueError("noise > 0 needs a planner with alternatives(obs, info)")
        self.planner, self.executor = planner, executor
        self.action_space = spaces.Discrete(2)
        self._obs: dict[str, Any] = {}
        self._info: dict[str, Any] = {}

    def reset(self, **kwargs):
        self._obs, self._info = self.env.reset(**kwargs)
        self.rules.reset()
        return self._obs, self._info

    def step(self, action):
        plan, idle, label = self.rules.step(
            _replans(action), self.planner, self._obs, self._info, self.np_random
        )
        move = NOOP if idle else int(self.executor(self._obs, self._info, self.rules.plan))
        self._obs, reward, terminated, truncated, info = self.env.step(
            {"action": move, "plan": plan}
        )
        self._info = info
        return self._obs, reward, terminated, truncated, {**info, "gate": label}


def _replans(action: Any) -> bool:
    """The gate's decision: 0 keeps the plan in force, 1 replans; anything else is refused."""
    if isinstance(action, np.ndarray) and action.shape == () and action.dtype.kind in "iu":
        action = action.item()
    if isinstance(action, bool) or not isinstance(action, numbers.Integral) or action not in (0, 1):
        raise ValueError(f"the gate's action is 0 (keep the plan) or 1 (replan), got {action!r}")
    return action == REPLAN

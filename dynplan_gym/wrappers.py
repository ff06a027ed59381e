"""Gymnasium wrappers that make `DynPlanCrafter-v0` a plain numeric env (for SB3 and the like).

`SemanticObservation` replaces the text observation by a dict of boxes, `DiscreteActions` the
action dict by `Discrete(17)` (no plans). `semantic_env` composes them. The features are a pure
function of what an agent sees (`SemanticFeatures(obs, info)`), so a trained policy plays through
the same function outside the wrapper (`agents.sb3_agent`).
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from dynplan_gym.crafter_actions import NUM_ACTIONS
from dynplan_gym.crafter_core import ITEMS, SEMANTIC_NAMES

FACINGS = ((-1, 0), (1, 0), (0, -1), (0, 1))  # west, east, north, south: crafter's (dx, dy)
WORD = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class SemanticFeatures:
    """What the agent sees, as numbers:

    view       one-hot semantic ids of the local window, (classes, width, height)
    inventory  the 16 inventory counts (vitals first) / 9
    status     daylight, asleep, the facing direction one-hot (west, east, north, south)
    plan       plan in force (0/1), its age / max_plan_age (capped at 1), and the plan's words
               hashed into `plan_buckets` counts / 8 (capped at 1)
    """

    view_grid: tuple[int, int] = (9, 7)
    plan_buckets: int = 16
    max_plan_age: int = 100

    @property
    def space(self) -> spaces.Dict:
        width, height = self.view_grid
        return spaces.Dict(
            {
                "view": spaces.Box(0, 1, (len(SEMANTIC_NAMES), width, height), np.float32),
                "inventory": spaces.Box(0, 1, (len(ITEMS),), np.float32),
                "status": spaces.Box(0, 1, (2 + len(FACINGS),), np.float32),
                "plan": spaces.Box(0, 1, (2 + self.plan_buckets,), np.float32),
            }
        )

    def __call__(self, obs: dict[str, Any], info: dict[str, Any]) -> dict[str, np.ndarray]:
        view = np.asarray(obs["local_view"], np.int64)
        one_hot = np.zeros((len(SEMANTIC_NAMES), *view.shape), np.float32)
        np.put_along_axis(one_hot, view[None], 1.0, axis=0)
        status = np.zeros(2 + len(FACINGS), np.float32)
        status[0] = float(info.get("daylight", 1.0))
        status[1] = float(bool(info.get("sleeping", False)))
        facing = tuple(info.get("player_facing", (0, 1)))
        if facing in FACINGS:
            status[2 + FACINGS.index(facing)] = 1.0
        return {
            "view": one_hot,
            "inventory": np.clip(np.asarray(obs["inventory"], np.float32) / 9.0, 0.0, 1.0),
            "status": status,
            "plan": self.plan_vector(obs.get("plan", ""), int(obs.get("plan_age", 0))),
        }

    def plan_vector(self, plan: str, age: int) -> np.ndarray:
        vector = np.zeros(2 + self.plan_buckets, np.float32)
        if plan:
            vector[0] = 1.0
            vector[1] = min(age / self.max_plan_age, 1.0)
            for word in WORD.findall(plan.lower()):
                vector[2 + zlib.crc32(word.encode()) % self.plan_buckets] += 1.0 / 8
        return np.minimum(vector, 1.0)


AGE_EDGES = (1, 2, 4, 8, 16, 32, 64)  # plan-age buckets: none, 1, 2, 3-4, 5-8, ..., 33-64, 65+


@dataclass(frozen=True)
class GateFeatures:
    """A compact view for a plan gate (`dynplan_gym.plan_gate`), which decides when to replan,
    not how to act: one box `gate` of

    age        the plan's age one-hot in doubling buckets (no plan, 1, 2, 3-4, ..., 65+)
    plan       the plan's words hashed into `plan_buckets` counts / 8 (capped at 1)
    inventory  the 16 inventory counts / 9
    status     daylight, asleep
    """

    plan_buckets: int = 32

    @property
    def size(self) -> int:
        return len(AGE_EDGES) + 2 + self.plan_buckets + len(ITEMS) + 2

    @property
    def space(self) -> spaces.Dict:
        return spaces.Dict({"gate": spaces.Box(0, 1, (self.size,), np.float32)})

    def __call__(self, obs: dict[str, Any], info: dict[str, Any]) -> dict[str, np.ndarray]:
        plan, age = obs.get("plan", ""), int(obs.get("plan_age", 0))
        ages = np.zeros(len(AGE_EDGES) + 2, np.float32)
        ages[0 if not plan else 1 + sum(age > edge for edge in AGE_EDGES)] = 1.0
        words = np.zeros(self.plan_buckets, np.float32)
        for word in WORD.findall(plan.lower()):
            words[zlib.crc32(word.encode()) % self.plan_buckets] += 1.0 / 8
        status = np.array(
            [float(info.get("daylight", 1.0)), float(bool(info.get("sleeping", False)))],
            np.float32,
        )
        inventory = np.clip(np.asarray(obs["inventory"], np.float32) / 9.0, 0.0, 1.0)
        vector = np.concatenate([ages, np.minimum(words, 1.0), inventory, status])
        return {"gate": vector.astype(np.float32)}


FEATURES = {"SemanticFeatures()": SemanticFeatures, "GateFeatures()": GateFeatures}


class SemanticObservation(gym.Wrapper):
    """Observations as `SemanticFeatures` (a dict of float boxes); actions pass through."""

    def __init__(
        self, env: gym.Env, features: SemanticFeatures | GateFeatures | None = None
    ) -> None:
        super().__init__(env)
        core = getattr(env.unwrapped, "core", None)
        view_grid = core.view_grid if core is not None else (9, 7)
        self.features = features or SemanticFeatures(view_grid=view_grid)
        self.observation_space = self.features.space

    def reset(self, **kwargs):
        obs, info = self.env.reset(**kwargs)
        return self.features(obs, info), info

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        return self.features(obs, info), reward, terminated, truncated, info


class DiscreteActions(gym.ActionWrapper):
    """`Discrete(17)` actions: the action index, never a new plan."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.action_space = spaces.Discrete(NUM_ACTIONS)

    def action(self, action: Any) -> dict[str, Any]:
        return {"action": action, "plan": ""}  # the env refuses what is not an action index


def semantic_env(**env_kwargs: Any) -> gym.Env:
    """`DynPlanCrafter-v0` (without text plans) as an env SB3 takes: dict-of-box observations,
    `Discrete(17)` actions, the task reward. The text description is skipped (nothing reads
    it) unless `text=True` is passed."""
    from dynplan_gym.crafter_env import DynPlanCrafterEnv

    return DiscreteActions(SemanticObservation(DynPlanCrafterEnv(**{"text": False, **env_kwargs})))

"""An agent that acts uniformly at random and never plans (Crafter's random baseline)."""

from __future__ import annotations

import numpy as np

from agents.protocol import Decision


class RandomAgent:
    """Uniformly random actions; the same seed gives the same actions."""

    def __init__(self, num_actions: int = 17, seed: int | None = None) -> None:
        if num_actions < 1:
            raise ValueError(f"num_actions must be >= 1, got {num_actions}")
        self.num_actions = num_actions
        self._rng = np.random.default_rng(seed)

    def reset(self, n: int) -> None:
        if n < 1:
            raise ValueError(f"RandomAgent.reset needs n >= 1 episodes, got {n}")

    def act(self, observations: list[dict], infos: list[dict]) -> list[Decision]:
        if len(observations) != len(infos):
            raise ValueError(f"act got {len(observations)} observations but {len(infos)} infos")
        actions = self._rng.integers(0, self.num_actions, len(observations))
        return [Decision(int(a), raw="random") for a in actions]

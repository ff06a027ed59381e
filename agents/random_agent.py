"""An agent that acts uniformly at random and never plans (Crafter's random baseline)."""

from __future__ import annotations

import numpy as np

from agents.protocol import Decision, episode_slots


class RandomAgent:
    """Uniformly random actions.

    With a seed, each episode draws from its own generator seeded by (agent seed, episode seed)
    when the runner provides `info["seed"]`, so an episode's actions do not depend on which
    other episodes run beside it, or on a resumed run.
    """

    name = "random"

    def __init__(self, num_actions: int = 17, seed: int | None = None) -> None:
        if num_actions < 1:
            raise ValueError(f"num_actions must be >= 1, got {num_actions}")
        self.num_actions = num_actions
        self.seed = seed
        self._rng = np.random.default_rng(seed)
        self._episode_rngs: dict[int, np.random.Generator] = {}
        self._slots = 0

    def reset(self, n: int) -> None:
        if n < 1:
            raise ValueError(f"RandomAgent.reset needs n >= 1 episodes, got {n}")
        self._slots = n
        self._episode_rngs = {}

    def act(self, observations: list[dict], infos: list[dict]) -> list[Decision]:
        slots = episode_slots(infos, len(observations), self._slots)
        decisions = []
        for slot, info in zip(slots, infos, strict=True):
            if self.seed is not None and "seed" in info and info.get("step", 0) == 0:
                self._episode_rngs[slot] = np.random.default_rng([self.seed, int(info["seed"])])
            rng = self._episode_rngs.get(slot, self._rng)
            decisions.append(Decision(int(rng.integers(self.num_actions)), raw="random"))
        return decisions

"""Agents that act at random and never plan: uniformly random actions (Crafter's random
baseline; on POGS any node) and POGS's random walk (a random neighbour)."""

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

    def _generator(self, slot: int, info: dict) -> np.random.Generator:
        """The episode's generator (made at its first step), else the agent's."""
        if self.seed is not None and "seed" in info and info.get("step", 0) == 0:
            self._episode_rngs[slot] = np.random.default_rng([self.seed, int(info["seed"])])
        return self._episode_rngs.get(slot, self._rng)

    def act(self, observations: list[dict], infos: list[dict]) -> list[Decision]:
        slots = episode_slots(infos, len(observations), self._slots)
        return [
            Decision(int(self._generator(slot, info).integers(self.num_actions)), raw="random")
            for slot, info in zip(slots, infos, strict=True)
        ]


class RandomWalkAgent(RandomAgent):
    """POGS's random walk: a uniformly random neighbour of the current node (never an invalid
    move); seeded per episode as `RandomAgent`."""

    name = "random-walk"

    def __init__(self, seed: int | None = None) -> None:
        super().__init__(num_actions=1, seed=seed)

    def act(self, observations: list[dict], infos: list[dict]) -> list[Decision]:
        slots = episode_slots(infos, len(observations), self._slots)
        decisions = []
        for slot, obs, info in zip(slots, observations, infos, strict=True):
            neighbours = np.flatnonzero(obs["adjacency"][int(obs["current"])])
            move = int(self._generator(slot, info).choice(neighbours))
            decisions.append(Decision(move, raw="random walk"))
        return decisions

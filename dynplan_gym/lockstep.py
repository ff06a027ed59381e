"""Many episodes on a few envs in lockstep: the loop every batched player shares.

An agent that decides for N episodes in one call (an LLM batching its prompts) plays a queue of
seeds on N envs at once. `Lockstep` keeps that bookkeeping in one place: which env (a slot)
plays which seed, its current observation and info, and refilling a slot with the queue's next
seed when its episode ends. The callers (the leaderboard's runner, DAgger's state collection,
PPO's rollouts) keep only what differs: what they ask the agent, what they record.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym


@dataclass
class Running:
    """One slot's episode: its seed, and the observation and info the next decision reads."""

    seed: int
    obs: dict[str, Any]
    info: dict[str, Any] = field(default_factory=dict)


class Lockstep:
    """Plays `seeds` (a list, or an endless iterator for RL's rollouts) on `envs` at once: each
    env (a slot) takes the next seed when its episode ends, until the seeds run out and every
    episode has ended. Each slot's info carries its `slot` and `seed`."""

    def __init__(self, envs: Sequence[gym.Env], seeds: Iterable[int]) -> None:
        self.envs = list(envs)
        self.seeds: Iterator[int] = iter(seeds)
        self.started = 0  # seeds taken so far
        self.running: dict[int, Running] = {}
        for slot in range(len(self.envs)):
            if not self._start(slot):
                break

    def __bool__(self) -> bool:
        return bool(self.running)

    @property
    def active(self) -> list[int]:
        """The slots with an episode running, in order."""
        return sorted(self.running)

    def observations(self) -> list[dict[str, Any]]:
        return [self.running[s].obs for s in self.active]

    def infos(self) -> list[dict[str, Any]]:
        return [self.running[s].info for s in self.active]

    def step(self, slot: int, env_action: Any) -> tuple[dict, float, bool, bool, dict]:
        """Step `slot`'s env; its observation and info become the slot's. Returns the env's
        own step (its info without slot and seed)."""
        obs, reward, terminated, truncated, info = self.envs[slot].step(env_action)
        running = self.running[slot]
        running.obs, running.info = obs, {**info, "slot": slot, "seed": running.seed}
        return obs, reward, terminated, truncated, info

    def end(self, slot: int) -> Running:
        """`slot`'s episode is over: the next seed starts there, if any is left."""
        ended = self.running.pop(slot)
        self._start(slot)
        return ended

    def close(self) -> None:
        for env in self.envs:
            env.close()

    def _start(self, slot: int) -> bool:
        seed = next(self.seeds, None)
        if seed is None:
            return False
        self.started += 1
        obs, info = self.envs[slot].reset(seed=seed)
        self.running[slot] = Running(seed, obs, {**info, "slot": slot, "seed": seed})
        return True

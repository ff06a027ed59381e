"""Lockstep: many seeds on a few envs, each slot refilled as its episode ends."""

from __future__ import annotations

import itertools

from dynplan_gym.crafter_env import DynPlanCrafterEnv
from dynplan_gym.lockstep import Lockstep

NOOP = {"action": 0, "plan": ""}


def _play(lockstep: Lockstep) -> list[tuple[int, int, int]]:
    """(slot, seed, length) of every episode, in the order they end."""
    ended = []
    while lockstep:
        for slot, info in zip(lockstep.active, lockstep.infos(), strict=True):
            assert (info["slot"], info["seed"]) == (slot, lockstep.running[slot].seed)
            _, _, terminated, truncated, info = lockstep.step(slot, NOOP)
            if terminated or truncated:
                ended.append((slot, lockstep.end(slot).seed, info["step"]))
    return ended


def test_every_seed_is_played_once_on_the_slot_that_frees_first():
    envs = [DynPlanCrafterEnv(length=3 + 2 * i) for i in range(2)]  # slot 0 ends first
    lockstep = Lockstep(envs, [10, 11, 12, 13])
    assert lockstep.active == [0, 1] and lockstep.started == 2
    ended = _play(lockstep)
    assert sorted(seed for _, seed, _ in ended) == [10, 11, 12, 13]
    assert ended[0] == (0, 10, 3) and (0, 12, 3) in ended  # slot 0 took the next seed
    assert not lockstep and lockstep.started == 4


def test_fewer_seeds_than_envs_leave_envs_idle():
    lockstep = Lockstep([DynPlanCrafterEnv(length=2) for _ in range(3)], [5])
    assert lockstep.active == [0]
    assert _play(lockstep) == [(0, 5, 2)]


def test_an_endless_stream_of_seeds_keeps_every_slot_busy():
    lockstep = Lockstep([DynPlanCrafterEnv(length=2) for _ in range(2)], itertools.count(100))
    for _ in range(5):
        for slot in lockstep.active:
            _, _, _, truncated, _ = lockstep.step(slot, NOOP)
            if truncated:
                lockstep.end(slot)
    assert lockstep.active == [0, 1] and lockstep.started == 2 + 4
    assert {r.seed for r in lockstep.running.values()} == {104, 105}

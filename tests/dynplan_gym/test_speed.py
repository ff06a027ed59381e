"""A guard in the test suite: our step stays well ahead of crafter's (measured in this run).

The full measurement with the 4x claim is `make bench`; this check uses a looser floor so
that a busy CI machine cannot make it flaky.
"""

from __future__ import annotations

import time

import crafter
import numpy as np

from dynplan_gym.crafter_core import make_deterministic
from dynplan_gym.crafter_env import DynPlanCrafterEnv


def _seconds_per_step(reset, step, actions) -> float:
    best = float("inf")
    for _ in range(3):
        reset()
        start = time.perf_counter()
        for action in actions:
            if step(action):
                break
        best = min(best, time.perf_counter() - start)
    return best


def test_step_is_faster_than_crafters():
    actions = np.random.default_rng(0).integers(0, 17, 150).tolist()
    reference = make_deterministic(crafter.Env(seed=0))

    def reference_reset():
        reference._seed, reference._episode = 0, 0
        reference.reset()

    ours = DynPlanCrafterEnv()
    crafter_time = _seconds_per_step(reference_reset, lambda a: reference.step(a)[2], actions)
    our_time = _seconds_per_step(
        lambda: ours.reset(seed=0), lambda a: any(ours.step(a)[2:4]), actions
    )
    assert crafter_time / our_time > 2.5, (crafter_time, our_time)

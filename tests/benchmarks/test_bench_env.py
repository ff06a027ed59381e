"""DynPlanCrafter-v0 against crafter itself, on the same seeds and actions.

Each round of a step benchmark plays up to 100 random actions from a freshly reset world
(reset outside the timing); both sides stop at the same step because they are equivalent.
The reference is `crafter.Env` with reproducible despawning (`make_deterministic`), so both
sides do exactly the same work.
"""

from __future__ import annotations

import itertools

import crafter
import numpy as np

from dynplan_gym.crafter_core import make_deterministic
from dynplan_gym.crafter_env import DynPlanCrafterEnv
from dynplan_gym.text_observation import text_preset

SEEDS = (0, 1, 2, 3, 4, 5, 6, 7)
STEPS = 100
ROUNDS = 40
ACTIONS = {s: np.random.default_rng(s).integers(0, 17, STEPS).tolist() for s in SEEDS}


def _step_rounds(benchmark, make_env, reset, step):
    seeds = itertools.cycle(SEEDS)
    env = make_env()

    def setup():
        seed = next(seeds)
        reset(env, seed)
        return (ACTIONS[seed],), {}

    def play(actions):
        for action in actions:
            if step(env, action):
                break

    benchmark.pedantic(play, setup=setup, rounds=ROUNDS, iterations=1, warmup_rounds=2)


def _crafter_reset(env, seed):
    env._seed, env._episode = seed, 0  # what crafter.Env(seed=seed) starts from
    env.reset()


def test_crafter_step(benchmark, compare):
    benchmark.group = "env.step (100 steps)"
    _step_rounds(
        benchmark,
        lambda: make_deterministic(crafter.Env(seed=0)),
        _crafter_reset,
        lambda env, a: env.step(a)[2],
    )
    compare(benchmark, "env.step", reference=True)


def _gym_step(env, action) -> bool:
    """One Gymnasium step; whether the episode ended."""
    _, _, terminated, truncated, _ = env.step(action)
    return terminated or truncated


def test_dynplan_step_text(benchmark, compare):
    benchmark.group = "env.step (100 steps)"
    _step_rounds(benchmark, DynPlanCrafterEnv, lambda env, s: env.reset(seed=s), _gym_step)
    compare(benchmark, "env.step")


def test_dynplan_step_balrog_text(benchmark, compare):
    """The same steps in BALROG's text (`crafter-balrog`): every kind listed, scan order."""
    benchmark.group = "env.step (100 steps)"
    balrog = text_preset("balrog").env_kwargs()
    _step_rounds(
        benchmark, lambda: DynPlanCrafterEnv(**balrog), lambda env, s: env.reset(seed=s), _gym_step
    )
    compare(benchmark, "env.step")


def test_dynplan_step_with_plans(benchmark, compare):
    """Handing in a 20-token plan every 10th step (the cost of planning bookkeeping)."""
    benchmark.group = "env.step (100 steps)"
    plan = "Go to the tree north-west, collect three wood, place a table, then make a pickaxe."

    def step(env, action):
        new = plan if env.core.step_count % 10 == 0 else ""
        _, _, terminated, truncated, _ = env.step({"action": action, "plan": new})
        return terminated or truncated

    _step_rounds(benchmark, DynPlanCrafterEnv, lambda env, s: env.reset(seed=s), step)
    compare(benchmark, "env.step")


def test_crafter_reset(benchmark, compare):
    benchmark.group = "env.reset (world generation)"
    env = crafter.Env(seed=0)
    seeds = itertools.cycle(SEEDS)

    benchmark.pedantic(
        lambda: _crafter_reset(env, next(seeds)), rounds=16, iterations=1, warmup_rounds=1
    )
    compare(benchmark, "env.reset", reference=True)


def test_dynplan_reset(benchmark, compare):
    benchmark.group = "env.reset (world generation)"
    env = DynPlanCrafterEnv()
    seeds = itertools.cycle(SEEDS)
    benchmark.pedantic(
        lambda: env.reset(seed=next(seeds)), rounds=16, iterations=1, warmup_rounds=1
    )
    compare(benchmark, "env.reset")


def test_semantic_step(benchmark, compare):
    """The SB3 view of the env (`semantic_env`: one-hot features, no text)."""
    from dynplan_gym.wrappers import semantic_env

    benchmark.group = "env.step (100 steps)"
    _step_rounds(benchmark, semantic_env, lambda env, s: env.reset(seed=s), _gym_step)
    compare(benchmark, "env.step")


def test_vector_env_throughput(benchmark, measure):
    """Env steps/s of 8 `semantic_env`s in a `gymnasium.vector.SyncVectorEnv` (what SB3-style
    training sees per core), resets included as they come."""
    import gymnasium as gym

    from dynplan_gym.wrappers import semantic_env

    benchmark.group = "vector env (8 envs x 25 steps)"
    envs = gym.vector.SyncVectorEnv([semantic_env for _ in range(8)])
    envs.reset(seed=list(SEEDS))
    actions = np.random.default_rng(0).integers(0, 17, (25, 8))

    def play():
        for row in actions:
            envs.step(row)

    benchmark.pedantic(play, rounds=10, iterations=1, warmup_rounds=1)
    envs.close()
    if benchmark.stats is not None:
        rate = 8 * 25 / benchmark.stats.stats.median
        measure("vector env (8 x semantic_env, sync)", f"{rate:,.0f} env steps/s")


def test_gate_step(benchmark, compare):
    """The plan gate env (`DynPlanCrafterGate-v0`): the expert's executor every step, its
    planner on each replan (here every 4th step), and the gate's features; what training the
    gate costs per step against the plain env step."""
    from agents.gate import make_gate_env

    benchmark.group = "env.step (100 steps)"
    replans = [int(i % 4 == 0) for i in range(STEPS)]
    seeds = itertools.cycle(SEEDS)
    env = make_gate_env()

    def setup():
        env.reset(seed=next(seeds))
        return (), {}

    def play():
        for replan in replans:
            _, _, terminated, truncated, _ = env.step(replan)
            if terminated or truncated:
                break

    benchmark.pedantic(play, setup=setup, rounds=ROUNDS, iterations=1, warmup_rounds=2)
    compare(benchmark, "env.step")

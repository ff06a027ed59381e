"""The PettingZoo planner/actor env: PettingZoo's checkers, equivalence with DynPlanCrafter-v0,
turn order, cost split, and clear errors for bad moves."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from pettingzoo.test import api_test, parallel_api_test, parallel_seed_test, seed_test

from dynplan_gym import multiagent
from dynplan_gym.crafter_env import DynPlanCrafterEnv


def test_pettingzoo_checkers_pass():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # style advice: Box spaces, player_0 names
        api_test(multiagent.env(length=120), num_cycles=150)
        api_test(multiagent.env(length=40, planner_sees_map=True), num_cycles=50)
        parallel_api_test(multiagent.parallel_env(length=120), num_cycles=150)
        seed_test(lambda: multiagent.env(length=60), num_cycles=60)
        parallel_seed_test(lambda: multiagent.parallel_env(length=60), num_cycles=60)


def _script(steps: int, seed: int = 7) -> list[tuple[str, int]]:
    """(plan, action) per step: random actions, a plan every 9 steps, some left empty."""
    rng = np.random.default_rng(seed)
    return [
        (f"plan {t}: collect wood then stone" if t % 9 == 0 else "", int(rng.integers(17)))
        for t in range(steps)
    ]


def _same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(a[key], np.ndarray):
            np.testing.assert_array_equal(a[key], b[key])
        else:
            assert a[key] == b[key], key


@pytest.mark.parametrize("plan_cost_to", ["planner", "both"])
def test_aec_env_plays_exactly_as_the_single_agent_env(plan_cost_to):
    single = DynPlanCrafterEnv(length=80)
    pair = multiagent.env(length=80, plan_cost_to=plan_cost_to)
    obs, info = single.reset(seed=3)
    pair.reset(seed=3)
    _same(pair.observe("planner"), obs)
    for plan, action in _script(100):
        assert pair.agent_selection == "planner"
        pair.step(plan)
        seen = pair.observe("actor")
        if plan:  # the actor sees the new plan before it acts, at age 0
            assert (seen["plan"], seen["plan_age"]) == (plan, 0)
        else:
            _same(seen, obs)
        pair.step(action)
        obs, reward, terminated, truncated, info = single.step({"action": action, "plan": plan})
        _same(pair.observe("planner"), obs)
        _same(pair.observe("actor"), obs)
        _same(pair.infos["planner"], info)
        assert pair.rewards["planner"] == reward
        actor_reward = reward if plan_cost_to == "both" else info["task_reward"]
        assert pair.rewards["actor"] == actor_reward
        assert pair.terminations["actor"] == terminated
        assert pair.truncations["actor"] == truncated
        if terminated or truncated:
            break
    assert truncated or terminated  # length 80 ends the episode within the script
    pair.step(None)
    pair.step(None)
    assert pair.agents == []


def test_parallel_env_plays_exactly_as_the_single_agent_env():
    single = DynPlanCrafterEnv(length=60)
    pair = multiagent.parallel_env(length=60)
    obs, _ = single.reset(seed=11)
    observations, _ = pair.reset(seed=11)
    _same(observations["actor"], obs)
    for plan, action in _script(70, seed=2):
        moves = {"planner": plan, "actor": action} if plan else {"actor": action}
        observations, rewards, terms, _, infos = pair.step(moves)
        obs, reward, terminated, truncated, info = single.step({"action": action, "plan": plan})
        _same(observations["actor"], obs)
        _same(infos["planner"], info)
        assert rewards == {"planner": reward, "actor": info["task_reward"]}
        assert terms["actor"] == terminated
        if terminated or truncated:
            assert pair.agents == []
            break


def test_the_planner_may_see_the_whole_map():
    pair = multiagent.env(planner_sees_map=True, length=10)
    pair.reset(seed=0)
    seen = pair.observe("planner")
    assert seen["map"].shape == (64, 64)
    assert pair.observation_space("planner").contains(seen)
    assert "map" not in pair.observe("actor")


def test_bad_moves_get_the_single_agent_envs_errors():
    single = DynPlanCrafterEnv(length=10)
    single.reset(seed=0)
    pair = multiagent.env(length=10, max_plan_chars=20)
    pair.reset(seed=0)
    with pytest.raises(TypeError, match="plan text"):
        pair.step(3)  # the planner's turn
    with pytest.raises(ValueError, match="at most 20"):
        pair.step("x" * 21)
    pair.step("")
    for bad, error in ((17, ValueError), ("Noop", TypeError), (True, TypeError)):
        with pytest.raises(error) as from_pair:
            pair.step(bad)
        with pytest.raises(error) as from_single:
            single.step(bad)
        assert str(from_pair.value) == str(from_single.value)
    with pytest.raises(TypeError, match="plans come from the planner"):
        pair.step({"action": 1, "plan": "x"})
    pair.step(np.int64(5))  # numpy ints are actions, as in the single-agent env
    parallel = multiagent.parallel_env(length=10)
    parallel.reset(seed=0)
    with pytest.raises(ValueError, match='"actor"'):
        parallel.step({"planner": "go"})
    with pytest.raises(ValueError, match="plan_cost_to"):
        multiagent.env(plan_cost_to="actor")
    fresh = multiagent.env(length=10)
    with pytest.raises(RuntimeError, match="reset"):
        fresh.step(0)

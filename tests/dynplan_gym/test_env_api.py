"""DynPlanCrafter-v0's Gymnasium contract: spaces, checkers, plans and their cost, bad input."""

from __future__ import annotations

import math
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import dynplan_gym
from dynplan_gym.crafter_env import DynPlanCrafterEnv
from dynplan_gym.plan_cost import DEFAULT_PER_PLAN, DEFAULT_PER_TOKEN, count_plan_tokens

INFO_KEYS = {
    "task_reward",
    "plan_cost",
    "plan_tokens",
    "new_plan",
    "num_plans",
    "total_plan_tokens",
    "achievements",
    "unlocked",
    "inventory",
    "player_pos",
}


@pytest.mark.parametrize("kwargs", [{}, {"image": True}, {"render_mode": "rgb_array"}])
def test_check_env_unwrapped(kwargs):
    check_env(DynPlanCrafterEnv(**kwargs), skip_render_check=False)


def test_check_env_through_gym_make():
    env = gym.make("DynPlanCrafter-v0", render_mode="rgb_array")
    check_env(env.unwrapped)
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    obs, *_ = env.step(env.action_space.sample())
    assert env.observation_space.contains(obs)
    assert env.render().shape == (64, 64, 3)


def _python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    return result.stdout.strip()


def test_make_without_prior_import():
    out = _python(
        "import gymnasium as gym\n"
        "env = gym.make('dynplan_gym:DynPlanCrafter-v0')\n"
        "print(type(env.unwrapped).__name__, env.reset(seed=0)[0]['text'].startswith('You'))"
    )
    assert out == "DynPlanCrafterEnv True"


def test_import_registers_and_stays_light():
    out = _python(
        "import sys, gymnasium as gym, dynplan_gym\n"
        "print('DynPlanCrafter-v0' in gym.registry,"
        " any(m in sys.modules for m in ('crafter', 'torch', 'transformers')))"
    )
    assert out == "True False"


def test_observation_contents(env):
    obs, info = env.reset(seed=0)
    assert set(obs) == {"text", "plan", "plan_age", "inventory", "local_view"}
    assert obs["plan"] == "" and obs["plan_age"] == 0
    assert obs["inventory"].tolist() == [9, 9, 9, 9] + [0] * 12
    assert obs["local_view"].shape == (9, 7)
    assert obs["local_view"][4, 3] == 13  # the player, in crafter's semantic ids
    assert set(info) >= INFO_KEYS
    assert info["num_plans"] == 0 and info["achievements"]["collect_wood"] == 0


def test_plan_is_kept_aged_and_charged(env):
    env.reset(seed=0)
    plan = "Find a tree, collect 3 wood, then place a table."
    tokens = count_plan_tokens(plan)
    assert tokens == 13  # 10 words and 3 punctuation marks
    obs, reward, _, _, info = env.step({"action": 0, "plan": plan})
    cost = DEFAULT_PER_PLAN + DEFAULT_PER_TOKEN * tokens
    assert obs["plan"] == plan and obs["plan_age"] == 1  # one step taken under it
    assert info["new_plan"] and info["plan_tokens"] == tokens
    assert math.isclose(info["plan_cost"], cost)
    assert math.isclose(reward, info["task_reward"] - cost)
    for age in (2, 3):
        obs, reward, _, _, info = env.step({"action": 0, "plan": ""})
        assert obs["plan"] == plan and obs["plan_age"] == age
        assert info["plan_cost"] == 0.0 and not info["new_plan"] and reward == info["task_reward"]
    obs, *_, info = env.step(0)  # a bare int keeps the plan too
    assert obs["plan_age"] == 4
    obs, *_, info = env.step({"action": 0, "plan": "Drink water."})
    assert obs["plan"] == "Drink water." and obs["plan_age"] == 1
    assert info["num_plans"] == 2 and info["total_plan_tokens"] == tokens + 3
    obs, info = env.reset(seed=0)
    assert obs["plan"] == "" and info["num_plans"] == 0


def test_plan_costs_are_configurable():
    env = DynPlanCrafterEnv(
        plan_cost_per_plan=0.5, plan_cost_per_token=0.25, plan_tokenizer=lambda plan: len(plan)
    )
    env.reset(seed=0)
    *_, info = env.step({"action": 0, "plan": "abcd"})
    assert info["plan_tokens"] == 4 and math.isclose(info["plan_cost"], 1.5)
    free = DynPlanCrafterEnv(plan_cost_per_plan=0.0, plan_cost_per_token=0.0)
    free.reset(seed=0)
    _, reward, *_, info = free.step({"action": 0, "plan": "anything at all"})
    assert info["plan_cost"] == 0.0 and reward == info["task_reward"]
    with pytest.raises(ValueError, match="per_plan must be a number >= 0"):
        DynPlanCrafterEnv(plan_cost_per_plan=-1)
    with pytest.raises(TypeError, match="tokenizer must be"):
        DynPlanCrafterEnv(plan_tokenizer=42)


def test_unicode_plans_are_accepted(env):
    env.reset(seed=0)
    plan = "Go north → collect wood — then craft ✓"
    obs, *_ = env.step({"action": 3, "plan": plan})
    assert obs["plan"] == plan and env.observation_space.contains(obs)


def test_truncation_at_length():
    env = DynPlanCrafterEnv(length=5)
    env.reset(seed=0)
    for _ in range(4):
        assert env.step(0)[3] is False
    _, _, terminated, truncated, _ = env.step(0)
    assert truncated and not terminated


def test_death_terminates(env):
    env.reset(seed=0)
    env.core.player.health = 0
    _, _, terminated, truncated, info = env.step(0)
    assert terminated and not truncated and info["discount"] == 0.0


@pytest.mark.parametrize(
    ("action", "error", "message"),
    [
        (17, ValueError, "out of range"),
        (-1, ValueError, "out of range"),
        ({"action": 99, "plan": ""}, ValueError, "out of range"),
        (2.0, TypeError, "an int in"),
        ("Do", TypeError, "an int in"),
        (True, TypeError, "an int in"),
        (None, TypeError, "an int in"),
        (np.array([1, 2]), TypeError, "an int in"),
        ({"action": 1, "plan": 7}, TypeError, "plan of type int"),
        ({"action": 1, "plan": None}, TypeError, "plan of type NoneType"),
        ({"plan": "x"}, ValueError, "dict with keys"),
        ({"action": 1, "plan": "", "extra": 1}, ValueError, "dict with keys"),
        ({"action": 1, "plan": "x" * 2049}, ValueError, "at most 2048"),
    ],
)
def test_bad_actions_raise_and_change_nothing(env, action, error, message):
    env.reset(seed=0)
    env.step({"action": 0, "plan": "keep me"})
    before = (env.core.step_count, env.plan, env.core.player.pos.tolist())
    with pytest.raises(error, match=message) as raised:
        env.step(action)
    assert "accepts" in str(raised.value) or "must be" in str(raised.value)
    assert (env.core.step_count, env.plan, env.core.player.pos.tolist()) == before
    env.step(0)  # the episode goes on


@pytest.mark.parametrize("action", [3, np.int64(3), np.array(3), {"action": np.int32(3)}])
def test_accepted_action_forms(env, action):
    env.reset(seed=0)
    env.step(action)
    assert env.core.player.facing == (0, -1)  # move_up turned the player north


def test_step_before_reset_and_after_the_end():
    env = DynPlanCrafterEnv(length=2)
    with pytest.raises(RuntimeError, match="call reset"):
        env.step(0)
    env.reset(seed=0)
    env.step(0)
    env.step(0)
    with pytest.raises(RuntimeError, match="call reset"):
        env.step(0)
    env.reset()
    env.step(0)


def test_bad_construction_and_reset_arguments():
    with pytest.raises(ValueError, match="render_mode"):
        DynPlanCrafterEnv(render_mode="human")
    with pytest.raises(ValueError, match="length"):
        DynPlanCrafterEnv(length=0)
    env = DynPlanCrafterEnv()
    with pytest.raises(ValueError, match="seed must be in"):
        env.reset(seed=-1)
    with pytest.raises(ValueError, match="no options"):
        env.reset(options={"difficulty": 3})


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"area": (0, 0)}, r"area must be two ints >= 2 \(width, height\), got \(0, 0\)"),
        ({"area": (3.5, 64)}, "area must be two ints"),
        ({"area": (64, 64, 1)}, "area must be two ints"),
        ({"view": (0, 0)}, "view must be two ints >= 1"),
        ({"view": (4, 4)}, r"leaves no room for the map: .* height must be > 4"),
        ({"size": None}, "size must be two ints"),
        ({"skip_items": "grass"}, "skip_items must be a list of kind names"),
        ({"edge_only_items": ["ocean"]}, r"edge_only_items has unknown kinds \['ocean'\]"),
    ],
)
def test_bad_world_settings_get_one_clear_error(settings, message):
    with pytest.raises(ValueError, match=message):
        DynPlanCrafterEnv(**settings)


def test_the_smallest_views_that_fit_play():
    for view in ((9, 5), (5, 5), (6, 9)):
        env = DynPlanCrafterEnv(view=view)
        obs, _ = env.reset(seed=0)
        assert obs["local_view"].shape[0] == view[0] and env.step(0)[0]["local_view"].size


def test_render_needs_rgb_array_mode(env):
    env.reset(seed=0)
    with pytest.warns(UserWarning, match="render_mode"):
        assert env.render() is None


def test_unseeded_resets_are_reproducible_from_the_first_seed():
    a, b = DynPlanCrafterEnv(), DynPlanCrafterEnv()
    texts = []
    for env in (a, b):
        env.reset(seed=21)
        env.reset()  # the second episode of seed 21, as crafter.Env(seed=21) would make it
        texts.append(env.step(0)[0]["text"])
    assert texts[0] == texts[1]
    assert dynplan_gym.CRAFTER_ENV_ID == "DynPlanCrafter-v0"


def test_world_generation_uses_compiled_noise():
    """crafter's opensimplex runs numba-compiled (~0.04 s a world) rather than pure Python."""
    from opensimplex import internals

    assert type(internals._noise3).__module__.startswith("numba"), type(internals._noise3)

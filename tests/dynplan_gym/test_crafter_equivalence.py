"""DynPlanCrafter-v0 is the real crafter game: same worlds, same transitions, same rewards."""

from __future__ import annotations

import crafter
import gymnasium as gym
import numpy as np
import pytest

import dynplan_gym  # noqa: F401
from dynplan_gym.crafter_core import make_deterministic
from dynplan_gym.crafter_env import DynPlanCrafterEnv

SEEDS = (0, 1, 7, 123)
STEPS = 2000


def _assert_same_state(reference_info: dict, env: DynPlanCrafterEnv, info: dict, where: str):
    assert np.array_equal(reference_info["player_pos"], info["player_pos"]), where
    assert reference_info["inventory"] == info["inventory"], where
    assert reference_info["achievements"] == info["achievements"], where
    assert np.array_equal(reference_info["semantic"], env.core.semantic_map()), where


@pytest.mark.parametrize("seed", SEEDS)
def test_first_world_is_crafters(seed):
    """reset(seed=s) builds exactly the world crafter.Env(seed=s) builds on its first reset."""
    reference = crafter.Env(seed=seed)  # plain crafter, nothing changed
    reference.reset()
    _, _, _, info = reference.step(0)  # crafter's info carries the semantic map
    env = DynPlanCrafterEnv()
    env.reset(seed=seed)
    _, _, _, _, ours = env.step(0)
    _assert_same_state(info, env, ours, f"seed {seed}")


@pytest.mark.parametrize("seed", SEEDS)
def test_random_play_matches_crafter_step_by_step(seed):
    """2,000 random actions (across episode ends) give identical states, rewards and ends."""
    reference = make_deterministic(crafter.Env(seed=seed))
    reference.reset()
    env = gym.make("DynPlanCrafter-v0", plan_cost_per_plan=0.0, plan_cost_per_token=0.0)
    env.reset(seed=seed)
    actions = np.random.default_rng(seed).integers(0, 17, STEPS)
    episodes = 1
    for t, action in enumerate(actions.tolist()):
        _, ref_reward, ref_done, ref_info = reference.step(action)
        _, reward, terminated, truncated, info = env.step(action)
        where = f"seed {seed}, step {t}, episode {episodes}"
        _assert_same_state(ref_info, env.unwrapped, info, where)
        assert reward == ref_reward == info["task_reward"], where
        assert (terminated or truncated) == ref_done, where
        assert terminated == (ref_info["discount"] == 0.0), where
        if ref_done:
            reference.reset()
            env.reset()
            episodes += 1
    assert episodes >= 2, "random play should cross at least one episode end"


def test_images_match_crafter_day_and_night():
    """With image=True the observation is crafter's own image, night noise included."""
    seed = 3
    reference = make_deterministic(crafter.Env(seed=seed))
    ref_image = reference.reset()
    env = DynPlanCrafterEnv(image=True)
    obs, _ = env.reset(seed=seed)
    assert np.array_equal(ref_image, obs["image"])
    nights = 0
    for action in np.random.default_rng(seed).integers(0, 17, 400).tolist():
        ref_image, _, ref_done, _ = reference.step(action)
        obs, *_ = env.step(action)
        assert np.array_equal(ref_image, obs["image"])
        nights += env.core.is_night
        if ref_done:
            ref_image = reference.reset()
            obs, _ = env.reset()
            assert np.array_equal(ref_image, obs["image"])
    assert nights > 0, "the run should include night steps"


def test_rendering_never_changes_the_trajectory():
    """render() at every step (night included) leaves the world exactly as without it."""
    plain = DynPlanCrafterEnv()
    rendered = DynPlanCrafterEnv(render_mode="rgb_array")
    plain.reset(seed=5)
    rendered.reset(seed=5)
    for t, action in enumerate(np.random.default_rng(5).integers(0, 17, 400).tolist()):
        frame = rendered.render()
        assert frame.shape == (64, 64, 3) and frame.dtype == np.uint8
        a = plain.step(action)
        b = rendered.step(action)
        assert a[0]["text"] == b[0]["text"], t
        assert np.array_equal(plain.core.semantic_map(), rendered.core.semantic_map()), t
        if a[2] or a[3]:
            plain.reset()
            rendered.reset()


def test_no_image_is_drawn_unless_asked(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("an image was drawn")

    env = DynPlanCrafterEnv()
    monkeypatch.setattr(env.core, "render", forbidden)
    obs, _ = env.reset(seed=0)
    assert "image" not in obs
    for action in np.random.default_rng(0).integers(0, 17, 300).tolist():
        if any(env.step(action)[2:4]):
            env.reset()


def test_same_seed_same_trajectory_across_instances():
    """Two envs with one seed agree for 1,500 steps (two crafter.Env instances do not)."""
    first, second = DynPlanCrafterEnv(), DynPlanCrafterEnv()
    first.reset(seed=11)
    second.reset(seed=11)
    for action in np.random.default_rng(1).integers(0, 17, 1500).tolist():
        a, b = first.step(action), second.step(action)
        assert a[0]["text"] == b[0]["text"]
        assert a[1:4] == b[1:4]
        assert np.array_equal(first.core.semantic_map(), second.core.semantic_map())
        if a[2] or a[3]:
            first.reset()
            second.reset()

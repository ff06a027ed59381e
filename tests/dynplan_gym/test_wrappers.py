"""The SB3-ready wrappers: both checkers pass, the features say what the env shows, vector envs
run, and SB3 PPO trains, resumes and plays through the same features."""

from __future__ import annotations

import json

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gymnasium_check_env

from dynplan_gym.crafter_core import ITEMS, SEMANTIC_NAMES
from dynplan_gym.crafter_env import DynPlanCrafterEnv
from dynplan_gym.wrappers import FACINGS, SemanticFeatures, semantic_env


def test_gymnasium_and_sb3_checkers_pass():
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    gymnasium_check_env(semantic_env(length=50))
    sb3_check_env(semantic_env(length=50), warn=False)
    env = semantic_env(length=50)
    assert isinstance(env.action_space, gym.spaces.Discrete) and env.action_space.n == 17
    assert all(isinstance(s, gym.spaces.Box) for s in env.observation_space.spaces.values())


def test_features_are_what_the_env_shows():
    env = DynPlanCrafterEnv()
    obs, info = env.reset(seed=3)
    for action in (3, 3, 1):  # move, so the facing changes from the start
        obs, *_, info = env.step({"action": action, "plan": ""})
    features = SemanticFeatures(view_grid=env.core.view_grid)(obs, info)
    assert features["view"].shape == (len(SEMANTIC_NAMES), *obs["local_view"].shape)
    assert np.array_equal(features["view"].argmax(0), obs["local_view"])
    assert features["view"].sum() == obs["local_view"].size
    assert np.allclose(features["inventory"] * 9, obs["inventory"]) and len(ITEMS) == 16
    status = features["status"]
    assert status[0] == pytest.approx(info["daylight"]) and status[1] == 0
    assert FACINGS[int(status[2:].argmax())] == tuple(env.core.player.facing)
    assert not features["plan"].any()  # no plan yet
    obs, *_, info = env.step({"action": 0, "plan": "collect wood, then place a table"})
    plan = SemanticFeatures()(obs, info)["plan"]
    assert plan[0] == 1 and 0 < plan[1] < 1 and plan[2:].sum() == pytest.approx(6 / 8)


def test_the_text_can_be_skipped_without_changing_the_game():
    with_text, without = DynPlanCrafterEnv(), DynPlanCrafterEnv(text=False)
    a, _ = with_text.reset(seed=5)
    b, _ = without.reset(seed=5)
    for action in [1, 3, 5, 2, 4, 5, 0] * 4:
        a, *_ = with_text.step({"action": action, "plan": ""})
        b, *_ = without.step({"action": action, "plan": ""})
        assert np.array_equal(a["local_view"], b["local_view"]) and b["text"] == ""
    assert a["text"]


@pytest.mark.parametrize("vector", [gym.vector.SyncVectorEnv, gym.vector.AsyncVectorEnv])
def test_vector_envs_step_the_wrapped_env(vector):
    envs = vector([lambda: semantic_env(length=20) for _ in range(2)])
    try:
        obs, _ = envs.reset(seed=[0, 1])
        assert obs["view"].shape == (2, len(SEMANTIC_NAMES), 9, 7)
        for _ in range(25):  # past the episode length: the envs reset themselves
            obs, rewards, *_ = envs.step(envs.action_space.sample())
        assert rewards.shape == (2,) and obs["inventory"].shape == (2, 16)
    finally:
        envs.close()


def test_sb3_ppo_trains_resumes_and_plays(tmp_path):
    from agents.factory import make_agent
    from baselines.configs import SB3PPOConfig
    from baselines.sb3_ppo import latest_checkpoint, train_sb3

    out = tmp_path / "sb3"
    config = SB3PPOConfig(
        out=str(out),
        timesteps=256,
        num_envs=2,
        n_steps=64,
        batch_size=64,
        epochs=1,
        checkpoint_steps=128,
        episode_length=60,  # episodes end within the run: the logs and curve have rows
        net_arch=["16"],
    )
    card = train_sb3(config, progress=False)
    assert card["timesteps"] == 256 and (out / "policy.safetensors").is_file()
    assert card["episodes"]["count"] >= 2 and (out / "curve.png").is_file()
    assert latest_checkpoint(out)[1] == 256
    with pytest.raises(FileExistsError):
        train_sb3(config, progress=False)
    config.timesteps = 384
    assert train_sb3(config, resume=True, progress=False)["timesteps"] == 384
    assert json.loads((out / "card.json").read_text())["config"]["timesteps"] == 384
    agent = make_agent(f"sb3:{out}", temperature=1.0, seed=0)
    env = DynPlanCrafterEnv()
    obs, info = env.reset(seed=0)
    agent.reset(1)
    actions = []
    for _ in range(10):
        decision = agent.act([obs], [{**info, "seed": 0}])[0]
        assert decision.plan == "" and 0 <= decision.action < 17
        actions.append(decision.action)
        obs, _, _, _, info = env.step(decision.env_action())
    assert len(set(actions)) > 1  # sampled


def test_bad_sb3_settings_get_one_clear_line(capsys, tmp_path):
    from dynplan_cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["train", "sb3", "--out", str(tmp_path / "x"), "--vec-env", "threads"])
    assert (
        str(exit_info.value) == "dynplan train sb3: vec_env must be dummy or subproc, not 'threads'"
    )
    with pytest.raises(ValueError, match="unknown SB3 policy 'nowhere'"):
        from agents.factory import make_agent

        make_agent("sb3:nowhere")


@pytest.mark.parametrize("action", [3.9, True, "4", -1, 17])
def test_the_numeric_env_refuses_what_is_not_an_action_index(action):
    from dynplan_gym.wrappers import semantic_env

    env = semantic_env()
    env.reset(seed=0)
    with pytest.raises((TypeError, ValueError), match="action must be"):
        env.step(action)
    env.step(np.int64(3))  # what SB3 hands in

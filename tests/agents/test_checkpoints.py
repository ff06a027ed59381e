"""The learned planners shipped in the repository: small, documented, and they play."""

from __future__ import annotations

import json

import pytest

from agents.factory import make_agent, model_prompt_config
from agents.models import CHECKPOINTS, CHECKPOINTS_DIR, resolve_checkpoint
from dynplan_gym.crafter_env import DynPlanCrafterEnv
from dynplan_gym.pogs_env import DynPlanPOGSEnv

MAX_BYTES = 20_000_000  # one named checkpoint, its model and adapter together
MAX_TOTAL_BYTES = 32_000_000  # all of them: they travel in the repository and the wheel


def _size(directory) -> int:
    return sum(f.stat().st_size for f in directory.rglob("*") if f.is_file()) if directory else 0


def test_checkpoints_are_safetensors_and_fit_in_20_mb():
    files = [f for f in CHECKPOINTS_DIR.rglob("*") if f.is_file()]
    assert sum(f.stat().st_size for f in files) <= MAX_TOTAL_BYTES
    for name in CHECKPOINTS:
        model_dir, adapter_dir = resolve_checkpoint(name)
        assert _size(model_dir) + _size(adapter_dir) <= MAX_BYTES, name
    weights = [f for f in files if f.suffix in (".safetensors", ".bin", ".pt", ".pth")]
    assert weights and all(f.suffix == ".safetensors" for f in weights)


@pytest.mark.parametrize("name", sorted(CHECKPOINTS))
def test_shipped_checkpoint_plays_20_steps(name):
    """Each plays the game it was trained on (its card's prompt says which)."""
    game = model_prompt_config("transformers", name).env
    options = {"kind": "transformers", "model": name}
    agent = make_agent("llm:dynamic", backend_options=options, temperature=1.0, env=game)
    env = DynPlanCrafterEnv() if game == "crafter" else DynPlanPOGSEnv()
    obs, info = env.reset(seed=0)
    agent.reset(1)
    episode_steps = 0
    for step in range(1, 21):
        decision = agent.act([obs], [info])[0]
        obs, _, terminated, truncated, info = env.step(decision.env_action())
        episode_steps += 1
        assert info["step"] == episode_steps and agent.counters.decisions == step
        assert not truncated
        if terminated:  # POGS: the target reached
            assert game == "pogs"
            obs, info = env.reset(seed=step)
            agent.reset(1)
            episode_steps = 0


def test_a_model_trained_on_one_game_is_refused_on_the_other():
    options = {"kind": "transformers", "model": "pogs-planner"}
    with pytest.raises(ValueError, match="trained to play pogs"):
        make_agent("llm:dynamic", backend_options=options, env="crafter")
    options["model"] = "learned-dynamic"
    with pytest.raises(ValueError, match="trained to play crafter"):
        make_agent("llm:dynamic", backend_options=options, env="pogs")


def test_cards_record_commands_data_steps_and_losses():
    sft = json.loads((CHECKPOINTS_DIR / "learned-dynamic" / "card.json").read_text())
    assert sft["command"].startswith("dynplan train sft --data ")
    assert len(sft["data"]["sha256"]) == 64 and sft["data"]["config"]["trajectories"] > 0
    assert sft["steps"] > 0 and sft["train_loss"] and sft["final_held_out_loss"] > 0
    rl = json.loads((CHECKPOINTS_DIR / "learned-dynamic-rl" / "card.json").read_text())
    assert rl["command"].startswith("dynplan train rl --model ")
    assert rl["sft"]["data"]["sha256"] == sft["data"]["sha256"]
    assert rl["updates"] == len(rl["log"]) > 0 and rl["env_steps"] > 0
    for directory in ("learned-dynamic", "learned-dynamic-rl"):
        assert (CHECKPOINTS_DIR / directory / "README.md").is_file()


@pytest.mark.parametrize("name", sorted(CHECKPOINTS))
def test_each_checkpoint_is_prompted_as_it_was_trained(name):
    model_dir, _ = resolve_checkpoint(name)
    trained = json.loads((model_dir / "card.json").read_text())["prompt"]
    config = model_prompt_config("transformers", name)
    assert config.history_length == trained["history_length"]
    assert config.recent_actions == trained["recent_actions"]
    assert list(config.remembered_kinds) == trained["remembered_kinds"]
    assert model_prompt_config("transformers", name, history_length=3).history_length == 3


def test_the_shipped_sb3_policy_plays_like_a_trained_one():
    """`sb3:sb3-ppo` loads from safetensors and its card, and acts from what it sees: its
    likeliest action differs between states (an untrained MLP's barely does)."""
    from agents.sb3_agent import SB3Agent, resolve_policy_dir

    card = json.loads((resolve_policy_dir("sb3-ppo") / "card.json").read_text())
    assert card["timesteps"] >= 1_000_000 and card["command"].startswith("dynplan train sb3")
    agent = make_agent("sb3:sb3-ppo", temperature=0.0)
    assert isinstance(agent, SB3Agent)
    env = DynPlanCrafterEnv()
    obs, info = env.reset(seed=0)
    agent.reset(1)
    actions = []
    for _ in range(40):
        decision = agent.act([obs], [info])[0]
        actions.append(decision.action)
        obs, _, terminated, truncated, info = env.step(decision.env_action())
        assert not terminated and not truncated
    assert len(set(actions)) >= 3


def test_the_shipped_gate_decides_when_to_replan():
    """`gate:gate-ppo` loads from safetensors and its card, plays under the latency and noise
    it was trained at, and neither always nor never replans."""
    from agents.gate import GateAgent
    from agents.sb3_agent import resolve_policy_dir

    card = json.loads((resolve_policy_dir("gate-ppo", kind="sb3-gate") / "card.json").read_text())
    assert card["command"].startswith("dynplan train gate") and card["timesteps"] >= 150_000
    agent = make_agent("gate:gate-ppo")
    assert isinstance(agent, GateAgent) and (agent.latency, agent.noise) == (2, 0.2)
    env = DynPlanCrafterEnv(text=False, length=80)
    obs, info = env.reset(seed=0)
    agent.reset(1)
    labels = []
    while True:
        decision = agent.act([obs], [{**info, "seed": 0}])[0]
        labels.append(decision.raw.split(":")[0])
        obs, _, terminated, truncated, info = env.step(decision.env_action())
        if terminated or truncated:
            break
    assert "gate keep" in labels and ("gate plan" in labels or "gate ignored" in labels)
    assert 1 < info["num_plans"] < len(labels) / 2

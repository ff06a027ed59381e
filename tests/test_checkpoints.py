"""The learned planners shipped in the repository: small, documented, and they play."""

from __future__ import annotations

import json

import pytest

from agents.backends import make_backend
from agents.llm_agent import LLMAgent
from agents.models import CHECKPOINTS, CHECKPOINTS_DIR
from dynplan_gym.crafter_env import DynPlanCrafterEnv

MAX_BYTES = 20_000_000


def test_checkpoints_are_safetensors_and_fit_in_20_mb():
    files = [f for f in CHECKPOINTS_DIR.rglob("*") if f.is_file()]
    assert sum(f.stat().st_size for f in files) <= MAX_BYTES
    weights = [f for f in files if f.suffix in (".safetensors", ".bin", ".pt", ".pth")]
    assert weights and all(f.suffix == ".safetensors" for f in weights)


@pytest.mark.parametrize("name", sorted(CHECKPOINTS))
def test_shipped_checkpoint_plays_20_steps(name):
    agent = LLMAgent(make_backend("transformers", model=name, seed=0), "dynamic", temperature=1.0)
    env = DynPlanCrafterEnv()
    obs, info = env.reset(seed=0)
    agent.reset(1)
    for _ in range(20):
        decision = agent.act([obs], [info])[0]
        obs, _, terminated, truncated, info = env.step(decision.env_action())
        assert not terminated and not truncated
    assert agent.counters.decisions == 20 and info["step"] == 20


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

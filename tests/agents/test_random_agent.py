"""The batched agent protocol and the random agent."""

from __future__ import annotations

import pytest

from agents import Agent, Decision, RandomAgent
from dynplan_gym.crafter_env import DynPlanCrafterEnv


def test_random_agent_plays_batched_and_reproducibly():
    def play(seed: int) -> list[int]:
        envs = [DynPlanCrafterEnv() for _ in range(3)]
        agent = RandomAgent(seed=seed)
        assert isinstance(agent, Agent)
        agent.reset(len(envs))
        pairs = [env.reset(seed=i) for i, env in enumerate(envs)]
        actions = []
        for _ in range(20):
            decisions = agent.act([o for o, _ in pairs], [i for _, i in pairs])
            assert len(decisions) == 3 and all(isinstance(d, Decision) for d in decisions)
            actions += [d.action for d in decisions]
            pairs = [env.step(d.env_action())[::4] for env, d in zip(envs, decisions, strict=True)]
        return actions

    first = play(0)
    assert first == play(0) and first != play(1)
    assert all(0 <= a < 17 for a in first)


def test_random_agent_input_checks():
    agent = RandomAgent(seed=0)
    with pytest.raises(ValueError, match="n >= 1"):
        agent.reset(0)
    with pytest.raises(ValueError, match="observations but"):
        agent.act([{}], [])
    assert Decision(3).env_action() == {"action": 3, "plan": ""}

"""LLMAgent over real backends: strategies hold in decoding, batched over episodes."""

from __future__ import annotations

import math

import pytest

from agents.llm_agent import LLMAgent
from agents.prompts import PromptConfig
from dynplan_gym.crafter_env import DynPlanCrafterEnv
from tests.scripted import EPISODES, STEPS, ScriptedBackend, play


@pytest.mark.parametrize(
    ("strategy", "plans"),
    [("never", 0), ("always", STEPS), ("every:4", math.ceil(STEPS / 4)), ("every:7", 5)],
)
def test_plan_counts_follow_the_strategy(tiny_backend, strategy, plans):
    agent = LLMAgent(tiny_backend, strategy, temperature=1.0)
    infos, decisions = play(agent)
    # A required plan the model leaves empty is counted missing, never invented.
    handed_in = [info["num_plans"] for info in infos]
    assert sum(handed_in) + agent.counters.missing_plans == plans * EPISODES
    assert agent.counters.missing_plans <= 0.1 * plans * EPISODES  # rare for a random model
    assert all(n <= plans for n in handed_in)
    required = [t for t in range(STEPS) if agent.strategy.mode(t).value == "required"]
    assert len(required) == plans
    for t, row in enumerate(decisions):
        assert all(d.raw.startswith("<plan>") == (t in required) for d in row)
    assert agent.counters.decisions == STEPS * EPISODES
    assert all(d.prompt_tokens > 0 and d.completion_tokens > 0 for row in decisions for d in row)
    if strategy == "never":
        assert not any("<plan>" in d.raw for row in decisions for d in row)


def test_dynamic_lets_the_model_choose(tiny_backend):
    agent = LLMAgent(tiny_backend, "dynamic", temperature=1.0)
    infos, _ = play(agent, steps=10, episodes=2)
    assert agent.counters.plans == sum(info["num_plans"] for info in infos)
    planned = LLMAgent(ScriptedBackend("<plan>Get wood.</plan>\nDo"), "dynamic")
    infos, decisions = play(planned, steps=3, episodes=2)
    assert [info["num_plans"] for info in infos] == [3, 3]
    assert all(d.plan == "Get wood." and d.action == 5 and d.valid for r in decisions for d in r)


def test_forbidden_plans_are_dropped_when_the_backend_cannot_ban(tiny_backend):
    backend = ScriptedBackend("<plan>Sneaky plan.</plan>\nMove West")
    agent = LLMAgent(backend, "every:3")
    infos, decisions = play(agent, steps=6, episodes=2)
    assert [info["num_plans"] for info in infos] == [2, 2]  # steps 0 and 3 only
    assert agent.counters.dropped_plans == 2 * 4
    assert all(d.action == 1 for row in decisions for d in row)
    assert any("<plan>" in banned for _, _, banned in backend.calls)  # it was asked to ban


def test_required_plans_start_with_the_tag(tiny_backend):
    backend = ScriptedBackend("Chop trees.</plan>\nDo")  # answers after the <plan> prefix
    agent = LLMAgent(backend, "always")
    _, decisions = play(agent, steps=2, episodes=1)
    decision = decisions[0][0]
    assert decision.raw.startswith("<plan>Chop trees.</plan>")
    assert decision.plan == "Chop trees." and decision.action == 5 and decision.valid
    assert decision.completion_tokens == 10  # the plan call and the action call


def test_invalid_output_is_fed_back(tiny_backend):
    backend = ScriptedBackend("I am not sure what to do here.")
    agent = LLMAgent(backend, "never")
    agent.reset(1)
    env = DynPlanCrafterEnv()
    obs, info = env.reset(seed=0)
    decision = agent.act([obs], [info])[0]
    assert decision.action == 0 and not decision.valid
    obs, *_, info = env.step(decision.env_action())
    prompts = agent.prompts.build(obs, 1, agent._memories[0], agent.strategy.mode(1))
    assert "could not be used: no action name was found" in prompts[1]["content"]
    assert agent.counters.invalid_outputs == 1


def test_a_new_episode_in_a_slot_forgets_the_old_one(tiny_backend):
    agent = LLMAgent(
        ScriptedBackend("Move North"), "never", PromptConfig(history_length=2, recent_actions=0)
    )
    agent.reset(1)
    env = DynPlanCrafterEnv()
    obs, info = env.reset(seed=0)
    for _ in range(3):
        decision = agent.act([obs], [info])[0]
        obs, *_, info = env.step(decision.env_action())
    assert len(agent._memories[0].history) == 2
    obs, info = env.reset(seed=1)
    agent.act([obs], [info])
    assert [s for s, _, _ in agent._memories[0].history] == [0]


def test_act_checks_its_input(tiny_backend):
    agent = LLMAgent(tiny_backend, "never")
    agent.reset(2)
    with pytest.raises(ValueError, match="observations but"):
        agent.act([{}], [{}, {}])
    with pytest.raises(ValueError, match="distinct episode slots"):
        agent.act([{}], [{"slot": 2}])
    with pytest.raises(ValueError, match="n >= 1"):
        agent.reset(0)
    with pytest.raises(ValueError, match="planning strategy"):
        LLMAgent(tiny_backend, "often")

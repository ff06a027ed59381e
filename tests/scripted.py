"""A backend that answers from a script, and a lockstep loop to play an agent with it: for
end-to-end tests that need an LLM agent's plumbing and not a model's tokens."""

from __future__ import annotations

from agents.backends.base import Completion
from agents.protocol import Agent, Decision
from dynplan_gym.crafter_env import DynPlanCrafterEnv

STEPS, EPISODES = 30, 4


class ScriptedBackend:
    """Answers every prompt with the same text and ignores bans (like a server that cannot)."""

    name = "scripted"

    def __init__(self, answer: str) -> None:
        self.answer, self.calls = answer, []

    def generate(self, prompts, max_new_tokens, temperature=0.0, stop=(), banned=()):
        self.calls.append((len(prompts), tuple(stop), tuple(banned)))
        text = self.answer
        for s in stop:
            text = text.split(s)[0]
        return [Completion(text, 10, 5) for _ in prompts]


def play(agent: Agent, steps: int = STEPS, episodes: int = EPISODES):
    envs = [DynPlanCrafterEnv() for _ in range(episodes)]
    agent.reset(episodes)
    pairs = [env.reset(seed=i) for i, env in enumerate(envs)]
    decisions: list[list[Decision]] = []
    for _ in range(steps):
        step_decisions = agent.act([o for o, _ in pairs], [i for _, i in pairs])
        decisions.append(step_decisions)
        pairs = [env.step(d.env_action())[::4] for env, d in zip(envs, step_decisions, strict=True)]
    return [info for _, info in pairs], decisions

"""Agents from command-line specs: `random`, `llm:<strategy>`, optionally steered by plans."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agents.protocol import Agent


def make_agent(
    spec: str,
    *,
    backend_options: dict[str, Any] | None = None,
    temperature: float = 0.0,
    history_length: int = 2,
    plans: str | Path | None = None,
    seed: int = 0,
) -> Agent:
    """`random`, `expert` or `llm:never|always|every:K|dynamic` (backend from
    `backend_options`)."""
    if spec == "random":
        from agents.random_agent import RandomAgent

        agent: Agent = RandomAgent(seed=seed)
    elif spec == "expert":
        from agents.expert import ExpertAgent

        agent = ExpertAgent()
    elif spec.startswith("llm:"):
        from agents.backends import make_backend
        from agents.llm_agent import LLMAgent
        from agents.prompts import PromptConfig
        from agents.strategy import Strategy

        strategy = Strategy.parse(spec[len("llm:") :])  # fail before loading a model
        options = dict(backend_options or {"kind": "transformers"})
        backend = make_backend(options.pop("kind"), seed=seed, **options)
        agent = LLMAgent(
            backend, strategy, PromptConfig(history_length=history_length), temperature
        )
    else:
        raise ValueError(f"unknown agent {spec!r}; expected random, expert or llm:<strategy>")
    if plans:
        from agents.human_plan import HumanPlanAgent, PlanFileSource, TerminalSource

        source = TerminalSource() if str(plans) == "-" else PlanFileSource(plans)
        agent = HumanPlanAgent(agent, source)
    return agent

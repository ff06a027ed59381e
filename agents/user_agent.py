"""Agents a user writes: a one-observation policy as a batched `Agent`, and the agents that
`--agent py:MODULE:CALLABLE` names.

The runner plays batched agents (`agents.protocol.Agent`: `reset(n)`, `act(observations,
infos)`). Most hand-written policies look at one observation at a time; `from_policy` wraps
`policy(obs, info)`, which returns an action index or `(action, plan)`, into that protocol.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from agents.protocol import Agent, Decision

POLICY_OUTPUT = "an action index (int) or a pair (action index, plan text)"


class PolicyAgent:
    """`policy(obs, info)` for each episode in turn, as a batched agent."""

    def __init__(self, policy: Callable[[dict, dict], Any], name: str | None = None) -> None:
        if not callable(policy):
            raise TypeError(f"from_policy needs a callable policy(obs, info), got {policy!r}")
        self.policy = policy
        self.name = name or getattr(policy, "__name__", type(policy).__name__)

    def reset(self, n: int) -> None:
        if n < 1:
            raise ValueError(f"PolicyAgent.reset needs n >= 1 episodes, got {n}")

    def act(self, observations: list[dict], infos: list[dict]) -> list[Decision]:
        return [self._decision(self.policy(o, i)) for o, i in zip(observations, infos, strict=True)]

    def _decision(self, output: Any) -> Decision:
        action, plan = output if isinstance(output, tuple) and len(output) == 2 else (output, "")
        if isinstance(action, bool) or not isinstance(action, int | _numpy_integer()):
            raise TypeError(f"{self.name} returned {output!r}; expected {POLICY_OUTPUT}")
        if not isinstance(plan, str):
            raise TypeError(f"{self.name} returned the plan {plan!r}; expected text")
        return Decision(int(action), plan, raw=f"{self.name}: {int(action)}")


def _numpy_integer() -> type:
    import numpy as np

    return np.integer


def from_policy(policy: Callable[[dict, dict], Any], name: str | None = None) -> PolicyAgent:
    """A one-observation policy (`policy(obs, info) -> action | (action, plan)`) as an agent."""
    return PolicyAgent(policy, name)


def load_python_agent(target: str) -> Agent:
    """The agent `MODULE:CALLABLE` makes: CALLABLE (a class or a function) is called with no
    arguments and returns an `Agent`, or is itself a policy `(obs, info)` that `from_policy`
    wraps when it takes two arguments. MODULE is looked up from the working directory too, as
    `python -m` does."""
    import inspect
    import os
    import sys

    if os.getcwd() not in sys.path:
        sys.path.append(os.getcwd())

    module_name, colon, attribute = target.partition(":")
    if not colon or not module_name or not attribute:
        raise ValueError(
            f"py: takes MODULE:CALLABLE (e.g. py:my_agents:make_agent), got {target!r}"
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise ValueError(f"py:{target}: cannot import {module_name!r} ({err})") from None
    made = getattr(module, attribute, None)
    if not callable(made):
        raise ValueError(f"py:{target}: {module_name} has no callable {attribute!r}")
    if not inspect.isclass(made) and len(inspect.signature(made).parameters) == 2:
        return from_policy(made, attribute)
    agent = made()
    if not isinstance(agent, Agent):
        raise ValueError(
            f"py:{target} returned {type(agent).__name__}, which lacks reset(n) and "
            "act(observations, infos); wrap a one-observation policy with from_policy"
        )
    return agent

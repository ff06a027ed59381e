"""Agents for dynplan-gym: the batched `Agent` protocol and its implementations.

`import agents` registers `DynPlanCrafterGate-v0` (the plan gate with the scripted expert's
halves, `agents.gate`), which the environment layer cannot: it needs the expert."""

from gymnasium.envs.registration import register, registry

from agents.protocol import Agent, Decision
from agents.random_agent import RandomAgent

GATE_ENV_ID = "DynPlanCrafterGate-v0"

if GATE_ENV_ID not in registry:
    register(id=GATE_ENV_ID, entry_point="agents.gate:make_gate_env", disable_env_checker=False)

__all__ = ["GATE_ENV_ID", "Agent", "Decision", "RandomAgent"]

"""Agents for dynplan-gym: the batched `Agent` protocol and its implementations."""

from agents.protocol import Agent, Decision
from agents.random_agent import RandomAgent

__all__ = ["Agent", "Decision", "RandomAgent"]

"""Versioned evaluation protocols (`leaderboard/data/protocols.toml`)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from dynplan_gym.games import GAMES, Game

EVALUATION_SEEDS = range(0, 100)  # board protocols' seeds; nothing is tuned or trained on them
DEVELOPMENT_SEEDS = range(100, 1000)  # `*-dev` protocols: tuning happens here


@dataclass(frozen=True)
class Protocol:
    id: str
    version: int
    description: str
    env_id: str
    seeds: tuple[int, ...]
    max_steps: int
    plan_cost_per_plan: float
    plan_cost_per_token: float
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    text_options: str | None = None  # Crafter: the pinned text preset (`TEXT_PRESETS`)

    @property
    def family(self) -> str:
        """The game this protocol's env plays (`dynplan_gym.env_family`)."""
        from dynplan_gym import env_family

        return env_family(self.env_id)

    @property
    def game(self) -> Game:
        """The record of the game it plays (`dynplan_gym.games`)."""
        return GAMES[self.family]

    def make_env_kwargs(self) -> dict[str, Any]:
        """The kwargs every env of this protocol is made with."""
        text = {}
        if self.text_options is not None:
            from dynplan_gym.text_observation import text_preset

            text = text_preset(self.text_options).env_kwargs()
        return {
            **self.env_kwargs,
            **text,
            self.game.length_kwarg: self.max_steps,
            "plan_cost_per_plan": self.plan_cost_per_plan,
            "plan_cost_per_token": self.plan_cost_per_token,
        }

    def spec(self) -> dict[str, Any]:
        """What a result file records about its protocol."""
        return {
            "id": self.id,
            "version": self.version,
            "env_id": self.env_id,
            "env_kwargs": self.make_env_kwargs(),
            "seeds": list(self.seeds),
            "max_steps": self.max_steps,
        }


def _load() -> dict[str, Protocol]:
    data = tomllib.loads(resources.files("leaderboard").joinpath("data/protocols.toml").read_text())
    protocols = {}
    for pid, entry in data.items():
        seeds = entry.get("seeds") or list(range(*entry["seed_range"]))
        protocols[pid] = Protocol(
            id=pid,
            version=entry["version"],
            description=entry["description"],
            env_id=entry["env_id"],
            seeds=tuple(seeds),
            max_steps=entry["max_steps"],
            plan_cost_per_plan=entry["plan_cost_per_plan"],
            plan_cost_per_token=entry["plan_cost_per_token"],
            env_kwargs=entry.get("env_kwargs", {}),
            text_options=entry.get("text_options"),
        )
        if protocols[pid].game.text_presets != (protocols[pid].text_options is not None):
            raise ValueError(
                f"protocol {pid}: the games with text presets (Crafter), and only they, pin "
                "text_options"
            )
        if protocols[pid].text_options is not None:
            from dynplan_gym.text_observation import text_preset

            text_preset(protocols[pid].text_options)  # an unknown preset fails at load
    return protocols


PROTOCOLS = _load()


def get_protocol(protocol_id: str) -> Protocol:
    try:
        return PROTOCOLS[protocol_id]
    except KeyError:
        raise ValueError(
            f"unknown protocol {protocol_id!r}; expected one of {sorted(PROTOCOLS)}"
        ) from None

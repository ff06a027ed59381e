"""The result file: what an evaluation writes and `dynplan submit` checks.

Validation goes beyond types: the schema version must be one this code reads, the protocol must
be known and of the recorded version, every protocol seed must appear exactly once, and each
episode must be internally consistent: its return equals its task return minus the protocol's
plan costs; counts (plans, invalid outputs, each achievement's) fit its length; its achievements
are the protocol's game's; and its task return is what the game can pay for what it unlocked.
Crafter pays +1 for each step that unlocks something new (two achievements unlocked in one step
pay 1), plus a tenth of each change in health, which starts at 9 and ends at 0 or more: the task
return lies in [min(unlocked, 1) - 0.9, unlocked]. POGS pays +100 at the target, which ends the
episode (so `terminated` is a success), and takes 1 per invalid move and the protocol's step and
revisit penalties per step: it lies in [100 r - length (1 + penalties), 100 r], r = 1 for a
success, else 0.
The size of a result file is bounded where it is read (`leaderboard.store.MAX_RESULT_BYTES`).

Schema versions: 2 records a Crafter protocol's text options in its `env_kwargs`; 1 did not,
and every Crafter result of version 1 was played with the `dynplan` text options (the env's
defaults, unchanged from the first release to version 2). Reading a version 1 result upgrades
it: the options are filled in and it is a version 2 result from then on (stored as such).
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dynplan_gym.achievements import ACHIEVEMENT_SETS, achievement_set
from leaderboard.protocols import get_protocol

SCHEMA_VERSION = 2
READABLE_SCHEMA_VERSIONS = (1, 2)
TOLERANCE = 1e-6  # float error allowed in sums of rewards


class EpisodeRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seed: int = Field(ge=0)
    length: int = Field(ge=1)
    terminated: bool  # Crafter: the player died; POGS: the target was reached (else: time limit)
    return_: float = Field(alias="return")
    task_return: float
    achievements: dict[str, int]
    plans: int = Field(ge=0)
    plan_tokens: int = Field(ge=0)
    prompt_tokens: int = Field(ge=0)
    completion_tokens: int = Field(ge=0)
    invalid_outputs: int = Field(ge=0)
    wall_time: float = Field(ge=0)

    @field_validator("achievements")
    @classmethod
    def _all_achievements(cls, value: dict[str, int]) -> dict[str, int]:
        if set(value) not in [set(names) for names in ACHIEVEMENT_SETS.values()]:
            crafter = ACHIEVEMENT_SETS["crafter"]
            missing = sorted(set(crafter) - set(value))
            unknown = sorted(set(value) - set(crafter))
            raise ValueError(
                f"achievements must name all 22 of Crafter's (missing {missing}, unknown "
                f"{unknown}) or POGS's {list(ACHIEVEMENT_SETS['pogs'])}"
            )
        if any(count < 0 for count in value.values()):
            raise ValueError("achievement counts must be >= 0")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> EpisodeRecord:
        for name in ("plans", "invalid_outputs"):
            if getattr(self, name) > self.length:
                raise ValueError(f"{name} ({getattr(self, name)}) exceeds length ({self.length})")
        too_many = {k: v for k, v in self.achievements.items() if v > self.length}
        if too_many:
            raise ValueError(
                f"achievement counts cannot exceed the episode's length ({self.length}): {too_many}"
            )
        if self.plans == 0 and self.plan_tokens:
            raise ValueError("plan_tokens must be 0 when plans is 0")
        for name in ("return_", "task_return", "wall_time"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"{name.rstrip('_')} must be a finite number")
        if achievement_set(self.achievements) == ACHIEVEMENT_SETS["crafter"]:
            unlocked = sum(count > 0 for count in self.achievements.values())
            least = min(unlocked, 1) - 0.9
            if not least - TOLERANCE <= self.task_return <= unlocked + TOLERANCE:
                raise ValueError(
                    f"task return {self.task_return} is impossible with {unlocked} achievements "
                    f"unlocked (Crafter pays between {least:g} and {unlocked})"
                )
        return self


AGENT_NAME_LENGTH = 80  # the longest name a board row shows


class AgentSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=AGENT_NAME_LENGTH)
    kind: str  # random, llm, expert, ...
    strategy: str | None = None
    backend: str | None = None
    model: str | None = None
    adapter: str | None = None
    decoding: dict[str, Any] = Field(default_factory=dict)
    plans_file: str | None = None
    # SHA-256 of the model's (and adapter's) weight files (`agents.models.weights_sha256`);
    # a shipped model's name is accepted only with its weights'
    weights_sha256: str | None = None

    def identity(self) -> dict[str, Any]:
        """What makes two results the same agent's: everything but the name."""
        return self.model_dump(exclude={"name"})


class Verification(BaseModel):
    """How a result was checked before it was stored: each episode replayed from its
    recorded actions and plans (`leaderboard.verify`)."""

    model_config = ConfigDict(extra="forbid")

    method: str = "replay"
    episodes: int = Field(ge=1)
    trajectories_sha256: str


class ProtocolSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    version: int
    env_id: str
    env_kwargs: dict[str, Any]
    seeds: list[int]
    max_steps: int


class ResultFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: int = Field(SCHEMA_VERSION, strict=True)
    protocol: ProtocolSpec
    agent: AgentSpec
    episodes: list[EpisodeRecord]
    complete: bool
    seeds: dict[str, Any] = Field(default_factory=dict)  # agent and env seeding
    versions: dict[str, str | None]
    git_revision: str | None = None
    created: str
    verification: Verification | None = None  # set by `dynplan submit --verify`

    @field_validator("schema_version")
    @classmethod
    def _known_version(cls, value: int) -> int:
        if value not in READABLE_SCHEMA_VERSIONS:
            raise ValueError(
                f"schema_version {value} is unknown; this dynplan-gym reads versions "
                f"{', '.join(map(str, READABLE_SCHEMA_VERSIONS))}"
            )
        return value

    @model_validator(mode="before")
    @classmethod
    def _upgrade(cls, data: Any) -> Any:
        """Schema 1 to 2: a Crafter result gets the text options it was played with."""
        if not isinstance(data, dict) or type(data.get("schema_version")) is not int:
            return data
        protocol = data.get("protocol")
        if data["schema_version"] != 1 or not isinstance(protocol, dict):
            return data
        recorded = protocol.get("env_kwargs")
        if not isinstance(recorded, dict):
            return data
        from dynplan_gym.games import game_of
        from dynplan_gym.text_observation import text_preset

        try:
            game = game_of(str(protocol.get("env_id")))
        except ValueError:
            return data  # the field checks report the unknown env
        upgraded = {**data, "schema_version": 2}
        if not game.text_presets:
            return upgraded
        legacy = text_preset("dynplan").env_kwargs()
        if set(legacy) & set(recorded):
            raise ValueError(
                "a schema_version 1 result cannot record text options (version 2 added them)"
            )
        return {**upgraded, "protocol": {**protocol, "env_kwargs": {**recorded, **legacy}}}

    @model_validator(mode="after")
    def _matches_protocol(self) -> ResultFile:
        protocol = get_protocol(self.protocol.id)
        if self.protocol.version != protocol.version:
            raise ValueError(
                f"protocol {protocol.id} is at version {protocol.version}, "
                f"the result is for version {self.protocol.version}"
            )
        if self.protocol.model_dump() != ProtocolSpec(**protocol.spec()).model_dump():
            raise ValueError(f"the recorded settings differ from protocol {protocol.id}")
        seeds = [e.seed for e in self.episodes]
        duplicated = sorted({s for s in seeds if seeds.count(s) > 1})
        missing = sorted(set(protocol.seeds) - set(seeds))
        foreign = sorted(set(seeds) - set(protocol.seeds))
        if duplicated or foreign or (self.complete and missing):
            raise ValueError(
                f"episodes must cover the protocol's seeds exactly once: duplicated "
                f"{duplicated}, not in the protocol {foreign}, missing {missing}"
            )
        names = protocol.game.achievements
        for e in self.episodes:
            if set(e.achievements) != set(names):
                raise ValueError(
                    f"seed {e.seed}: achievements must be {protocol.family}'s, as protocol "
                    f"{protocol.id} plays {protocol.env_id}"
                )
            if protocol.family == "pogs":
                _check_pogs_episode(e, protocol.make_env_kwargs())
            if e.length > protocol.max_steps:
                raise ValueError(f"seed {e.seed}: length {e.length} > max_steps")
            if not e.terminated and e.length != protocol.max_steps:
                raise ValueError(
                    f"seed {e.seed}: an episode that did not end in death must last "
                    f"max_steps ({protocol.max_steps}), not {e.length}"
                )
            cost = (
                protocol.plan_cost_per_plan * e.plans + protocol.plan_cost_per_token * e.plan_tokens
            )
            if abs(e.task_return - cost - e.return_) > 1e-6 * max(1.0, e.plans):
                raise ValueError(
                    f"seed {e.seed}: return {e.return_} != task return {e.task_return} minus "
                    f"plan costs {cost:.6f}"
                )
        return self


def _check_pogs_episode(e: EpisodeRecord, env_kwargs: dict[str, Any]) -> None:
    """POGS's rules for one episode: success ends it, and what it can pay (module docstring)."""
    reached = e.achievements["reach_target"]
    if reached > 1 or bool(reached) != e.terminated:
        raise ValueError(
            f"seed {e.seed}: a POGS episode ends (terminated) exactly when it reaches the target "
            f"once; got reach_target={reached}, terminated={e.terminated}"
        )
    penalties = ("step_penalty", "revisit_penalty", "expert_penalty")  # each <= 0, added
    per_step = 1 + sum(abs(env_kwargs.get(name, 0.0)) for name in penalties)
    most = 100.0 * reached
    least = most - e.length * per_step
    if not least - TOLERANCE <= e.task_return <= most + TOLERANCE:
        raise ValueError(
            f"seed {e.seed}: task return {e.task_return} is impossible in POGS (between "
            f"{least:g} and {most:g} for {e.length} steps)"
        )


def validate_result(data: Any) -> ResultFile:
    """A `ResultFile` from parsed JSON; raises ValueError with every problem found."""
    try:
        return ResultFile.model_validate(data)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}" for e in err.errors()
        )
        raise ValueError(f"invalid result file: {problems}") from None

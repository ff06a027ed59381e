"""The one prompt builder: inference, synthetic data and RL all build prompts here.

A prompt is two chat messages. The system message (instruction, actions, achievements) is the
same for every prompt of a run, so backends can cache it. The user message holds the recent
history, the plan in force, the current observation, feedback on an invalid previous answer,
and the format instruction of this step's plan mode. The wording lives in
`agents/data/prompts.toml`.
"""

from __future__ import annotations

import tomllib
from collections import deque
from dataclasses import asdict, dataclass, field
from importlib import resources

from agents.backends.base import Prompt
from agents.map_memory import MapMemory
from agents.strategy import PlanMode
from dynplan_gym.achievements import ACHIEVEMENTS
from dynplan_gym.crafter_actions import ACTION_NAMES, action_descriptions

TEXT = tomllib.loads(resources.files("agents").joinpath("data/prompts.toml").read_text())


@dataclass(frozen=True)
class PromptConfig:
    """What goes into a prompt and how long answers may be."""

    history_length: int = 0  # past (observation, action) pairs shown in full
    recent_actions: int = 4  # names of the last actions shown on one line
    # terrain kinds whose nearest remembered cell out of view is shown ("You remember")
    remembered_kinds: tuple[str, ...] = tuple(TEXT["remembered_kinds"])
    max_plan_tokens: int = 64
    max_action_tokens: int = 12

    def __post_init__(self) -> None:
        if (
            min(self.history_length, self.recent_actions) < 0
            or min(self.max_plan_tokens, self.max_action_tokens) < 1
        ):
            raise ValueError(
                "PromptConfig needs history_length >= 0, recent_actions >= 0, "
                f"max_plan_tokens >= 1 and max_action_tokens >= 1; got {self}"
            )

    def to_dict(self) -> dict:
        """JSON-ready fields (as cards and result files record them)."""
        return {**asdict(self), "remembered_kinds": list(self.remembered_kinds)}

    @classmethod
    def from_dict(cls, fields: dict) -> PromptConfig:
        return cls(**{**fields, "remembered_kinds": tuple(fields["remembered_kinds"])})

    @property
    def memory_length(self) -> int:
        """How many past steps an episode's memory must keep for this prompt."""
        return max(self.history_length, self.recent_actions)


@dataclass
class EpisodeMemory:
    """What the prompt needs to remember about one episode."""

    history: deque = field(default_factory=deque)  # (step, observation text, action name)
    feedback: str = ""  # the problem with the last answer, "" if it was fine
    map: MapMemory = field(default_factory=MapMemory)

    def observe(self, observation: dict, info: dict) -> None:
        """Remember the terrain in view (needs `local_view` and `info["player_pos"]`)."""
        if "local_view" in observation and "player_pos" in info:
            self.map.observe(info["player_pos"], observation["local_view"])

    def record(self, step: int, observation: str, action: int, limit: int) -> None:
        self.history.append((step, observation, ACTION_NAMES[action]))
        while len(self.history) > limit:
            self.history.popleft()


def system_message() -> str:
    descriptions = action_descriptions()
    actions = "\n".join(
        TEXT["action_line"].format(name=n, description=d) for n, d in descriptions.items()
    )
    achievements = "\n".join(
        TEXT["achievement_line"].format(name=a.replace("_", " ").capitalize()) for a in ACHIEVEMENTS
    )
    return TEXT["system"].format(actions=actions, achievements=achievements)


class PromptBuilder:
    """Builds the chat messages for one step of one episode."""

    def __init__(self, config: PromptConfig | None = None) -> None:
        self.config = config or PromptConfig()
        self._system = system_message()

    def build(self, observation: dict, step: int, memory: EpisodeMemory, mode: PlanMode) -> Prompt:
        parts = []
        past = list(memory.history)
        if past and self.config.history_length:
            items = [
                TEXT["history_item"].format(step=s, observation=o, action=a)
                for s, o, a in past[-self.config.history_length :]
            ]
            parts.append("\n\n".join([TEXT["history_header"], *items]))
        if past and self.config.recent_actions:
            actions = ", ".join(a for _, _, a in past[-self.config.recent_actions :])
            parts.append(TEXT["recent_actions"].format(actions=actions))
        plan = observation.get("plan", "")
        if plan:
            age = int(observation.get("plan_age", 0))
            steps = TEXT["step"] if age == 1 else TEXT["steps"]
            parts.append(TEXT["plan_in_force"].format(age=age, steps=steps, plan=plan))
        else:
            parts.append(TEXT["no_plan"])
        parts.append(TEXT["current_observation"].format(step=step, observation=observation["text"]))
        remembered = memory.map.nearest_out_of_view(self.config.remembered_kinds)
        if remembered:
            items = [TEXT["remembered_item"].format(name=n, location=loc) for n, loc in remembered]
            parts.append("\n".join([TEXT["remembered_header"], *items]))
        if memory.feedback:
            parts.append(TEXT["invalid_feedback"].format(problem=memory.feedback))
        parts.append(TEXT["format"][mode.value])
        return [
            {"role": "system", "content": self._system},
            {"role": "user", "content": "\n\n".join(parts)},
        ]

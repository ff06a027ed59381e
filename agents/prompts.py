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
from dataclasses import dataclass, field
from importlib import resources

from agents.backends.base import Prompt
from agents.strategy import PlanMode
from dynplan_gym.achievements import ACHIEVEMENTS
from dynplan_gym.crafter_actions import ACTION_NAMES, action_descriptions

TEXT = tomllib.loads(resources.files("agents").joinpath("data/prompts.toml").read_text())


@dataclass(frozen=True)
class PromptConfig:
    """What goes into a prompt and how long answers may be."""

    history_length: int = 2  # past (observation, action) pairs shown
    max_plan_tokens: int = 64
    max_action_tokens: int = 12

    def __post_init__(self) -> None:
        if self.history_length < 0 or self.max_plan_tokens < 1 or self.max_action_tokens < 1:
            raise ValueError(
                "PromptConfig needs history_length >= 0, max_plan_tokens >= 1 and "
                f"max_action_tokens >= 1; got {self}"
            )


@dataclass
class EpisodeMemory:
    """What the prompt needs to remember about one episode."""

    history: deque = field(default_factory=deque)  # (step, observation text, action name)
    feedback: str = ""  # the problem with the last answer, "" if it was fine

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
        if memory.history and self.config.history_length:
            items = [
                TEXT["history_item"].format(step=s, observation=o, action=a)
                for s, o, a in memory.history
            ]
            parts.append("\n\n".join([TEXT["history_header"], *items]))
        plan = observation.get("plan", "")
        if plan:
            age = int(observation.get("plan_age", 0))
            steps = TEXT["step"] if age == 1 else TEXT["steps"]
            parts.append(TEXT["plan_in_force"].format(age=age, steps=steps, plan=plan))
        else:
            parts.append(TEXT["no_plan"])
        parts.append(TEXT["current_observation"].format(step=step, observation=observation["text"]))
        if memory.feedback:
            parts.append(TEXT["invalid_feedback"].format(problem=memory.feedback))
        parts.append(TEXT["format"][mode.value])
        return [
            {"role": "system", "content": self._system},
            {"role": "user", "content": "\n\n".join(parts)},
        ]

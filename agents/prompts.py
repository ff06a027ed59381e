"""The one prompt builder: inference, synthetic data and RL all build prompts here.

A prompt is two chat messages. The system message (instruction, actions, achievements) is the
same for every prompt of a run, so backends can cache it. The user message holds the recent
history, the plan in force, the current observation, feedback on an invalid previous answer,
and the format instruction of this step's plan mode. The wording of each environment is data:
`agents/data/prompts.toml` (Crafter) and `agents/data/prompts_pogs.toml` (POGS); a prompt
config's `env` picks it.
"""

from __future__ import annotations

import functools
import tomllib
from collections import deque
from dataclasses import asdict, dataclass, field
from importlib import resources

from agents.backends.base import Prompt
from agents.map_memory import MapMemory
from agents.strategy import PlanMode
from dynplan_gym.achievements import ACHIEVEMENTS
from dynplan_gym.crafter_actions import ACTION_NAMES, action_descriptions

WORDING_FILES = {"crafter": "data/prompts.toml", "pogs": "data/prompts_pogs.toml"}


@functools.cache
def wording(env: str) -> dict:
    """The prompt wording of an environment (`WORDING_FILES`)."""
    if env not in WORDING_FILES:
        raise ValueError(
            f"no prompt wording for env {env!r}; expected one of {list(WORDING_FILES)}"
        )
    return tomllib.loads(resources.files("agents").joinpath(WORDING_FILES[env]).read_text())


TEXT = wording("crafter")


@dataclass(frozen=True)
class PromptConfig:
    """What goes into a prompt and how long answers may be."""

    history_length: int = 0  # past (observation, action) pairs shown in full
    recent_actions: int = 4  # names of the last actions shown on one line
    # terrain kinds whose nearest remembered cell out of view is shown ("You remember")
    remembered_kinds: tuple[str, ...] = tuple(TEXT["remembered_kinds"])
    max_plan_tokens: int = 64
    max_action_tokens: int = 12
    env: str = "crafter"  # whose wording (`WORDING_FILES`): crafter or pogs
    # Crafter: the text preset the observations are written in (`TEXT_PRESETS`); a model is
    # trained on one, while a protocol pins the one it is scored on
    text_options: str = "dynplan"
    # POGS: restate the nodes next to the current one (its line of the observation) after the
    # observation, as Crafter's prompt restates remembered cells
    neighbours: bool = False
    # the system message (the rules, the actions, the answer format): a constant text a model
    # trained from scratch learns nothing from, and most of its prompt's tokens
    instruction: bool = True
    # Crafter: the visible window drawn as a grid of characters after the observation (the
    # text names only the nearest cell of each kind), the player as the way it faces
    view_grid: bool = False

    def __post_init__(self) -> None:
        wording(self.env)  # an unknown env fails here
        from dynplan_gym.text_observation import text_preset

        text_preset(self.text_options)  # an unknown preset fails here
        if self.env != "crafter" and self.text_options != "dynplan":
            raise ValueError(f"text_options are Crafter's; {self.env} has none to choose")
        if self.neighbours and self.env != "pogs":
            raise ValueError("neighbours restates a POGS node's neighbours; Crafter has none")
        if self.view_grid and self.env != "crafter":
            raise ValueError("view_grid draws Crafter's window; POGS has none")
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

    history: deque = field(default_factory=deque)  # (step, observation text, action index)
    feedback: str = ""  # the problem with the last answer, "" if it was fine
    map: MapMemory = field(default_factory=MapMemory)
    facing: tuple[int, int] = (0, 1)  # the player's facing, (dx, dy); Crafter starts facing south

    def observe(self, observation: dict, info: dict) -> None:
        """Remember the terrain in view (needs `local_view` and `info["player_pos"]`) and the
        player's facing (`info["player_facing"]`)."""
        if "local_view" in observation and "player_pos" in info:
            self.map.observe(info["player_pos"], observation["local_view"])
        if "player_facing" in info:
            self.facing = tuple(int(d) for d in info["player_facing"])

    def record(self, step: int, observation: str, action: int, limit: int) -> None:
        self.history.append((step, observation, int(action)))
        while len(self.history) > limit:
            self.history.popleft()


def view_grid(local_view, facing: tuple[int, int]) -> str:
    """The window (`local_view[x][y]`, semantic ids) as rows of characters, north first, the
    player drawn as the arrow of its facing (`TEXT["view_grid_symbols"]`)."""
    import numpy as np

    from dynplan_gym.crafter_core import SEMANTIC_NAMES

    symbols = [TEXT["view_grid_symbols"][name] for name in SEMANTIC_NAMES]
    player = TEXT["view_grid_facing"][f"{facing[0]},{facing[1]}"]
    rows = [
        "".join(player if SEMANTIC_NAMES[v] == "player" else symbols[v] for v in row)
        for row in np.asarray(local_view).T  # [y][x]: a row of the window, west to east
    ]
    return "\n".join([TEXT["view_grid_header"].format(player=player), *rows])


def action_name(action: int, env: str = "crafter") -> str:
    """How an action reads in a prompt ("Move West"; POGS: "node 7")."""
    if env == "crafter":
        return ACTION_NAMES[action]
    return wording(env)["action_name"].format(action=action)


def answer_text(action: int, env: str = "crafter") -> str:
    """How an action is written at the end of an answer ("Move West"; POGS: "Action: 7")."""
    if env == "crafter":
        return ACTION_NAMES[action]
    return wording(env)["answer"].format(action=action)


def system_message(env: str = "crafter") -> str:
    if env != "crafter":
        return wording(env)["system"]
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
        self._system = system_message(self.config.env)
        self._text = wording(self.config.env)

    def build(self, observation: dict, step: int, memory: EpisodeMemory, mode: PlanMode) -> Prompt:
        text, env = self._text, self.config.env
        parts = []
        past = [(s, o, action_name(a, env)) for s, o, a in memory.history]
        if past and self.config.history_length:
            items = [
                text["history_item"].format(step=s, observation=o, action=a)
                for s, o, a in past[-self.config.history_length :]
            ]
            parts.append("\n\n".join([text["history_header"], *items]))
        if past and self.config.recent_actions:
            actions = ", ".join(a for _, _, a in past[-self.config.recent_actions :])
            parts.append(text["recent_actions"].format(actions=actions))
        plan = observation.get("plan", "")
        if plan:
            age = int(observation.get("plan_age", 0))
            steps = text["step"] if age == 1 else text["steps"]
            parts.append(text["plan_in_force"].format(age=age, steps=steps, plan=plan))
        else:
            parts.append(text["no_plan"])
        parts.append(text["current_observation"].format(step=step, observation=observation["text"]))
        remembered = memory.map.nearest_out_of_view(self.config.remembered_kinds)
        remembered = remembered if env == "crafter" else []
        if remembered:
            items = [text["remembered_item"].format(name=n, location=loc) for n, loc in remembered]
            parts.append("\n".join([text["remembered_header"], *items]))
        if self.config.view_grid and "local_view" in observation:
            parts.append(view_grid(observation["local_view"], memory.facing))
        if self.config.neighbours:
            adjacency, current = observation["adjacency"], int(observation["current"])
            nodes = ", ".join(str(int(n)) for n in adjacency[current].nonzero()[0])
            parts.append(text["neighbours"].format(node=current, neighbours=nodes))
        if memory.feedback:
            parts.append(text["invalid_feedback"].format(problem=memory.feedback))
        parts.append(text["format"][mode.value])
        user = {"role": "user", "content": "\n\n".join(parts)}
        if not self.config.instruction:
            return [user]
        return [{"role": "system", "content": self._system}, user]

"""The contract between agents and the episode runner (docs/architecture.md, "The Agent
protocol").

Agents are batched: one `act` call per step decides for every running episode.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class Decision:
    """One episode's choice at one step.

    `plan` is "" to keep the plan in force; `raw` is the model's output (or a note saying how
    the decision was made); token counts are 0 for agents without a model; `valid` says the
    output parsed cleanly; `meta` holds typed extras (the expert's `subgoal` and `plan`), never
    parsed back out of `raw`.
    """

    action: int
    plan: str = ""
    raw: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    valid: bool = True
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    def env_action(self) -> dict[str, Any]:
        """The action dict `DynPlanCrafter-v0.step` takes."""
        return {"action": self.action, "plan": self.plan}


def episode_slots(infos: list[dict], num_observations: int, num_slots: int) -> list[int]:
    """The slot of each episode in an `act` call: `info["slot"]`, else its position."""
    if len(infos) != num_observations:
        raise ValueError(f"act got {num_observations} observations but {len(infos)} infos")
    slots = [int(info.get("slot", i)) for i, info in enumerate(infos)]
    if len(set(slots)) != len(slots) or not all(0 <= s < num_slots for s in slots):
        raise ValueError(
            f"act needs distinct episode slots in [0, {num_slots}) (from reset); got {slots}"
        )
    return slots


@runtime_checkable
class Agent(Protocol):
    """Plays `n` episodes at once."""

    def reset(self, n: int) -> None:
        """Start `n` parallel episodes."""

    def act(self, observations: list[dict], infos: list[dict]) -> list[Decision]:
        """One decision per episode, in the order of `observations`.

        The episodes may be a subset of the slots: `info["slot"]` names each one's slot
        (default: its position), and `info["step"] == 0` starts a new episode there.
        """

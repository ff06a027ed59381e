"""An executor that knows only what the LLM's prompt shows: the teacher of plans that matter.

The split expert's executor (`agents.gate.ExpertExecutor`) carries out the subgoal of the plan
in force, but on the expert's whole remembered map: a student reading the prompt cannot see
why it walks where it walks. `PromptExecutor` carries out the same subgoal with the same
routines (`agents.expert.Policy.pursue`) on a map rebuilt every step from what the prompt
carries: the window in view (drawn in the prompt with `view_grid`), the nearest remembered
cell of each kind the "You remember" lines name, the way the player faces, its status and
inventory. Paths may cross cells it has not seen. The one thing it keeps between steps is the
shelter it is digging (chosen in its own window), as a person keeps the task in hand.

With `checks=True` it reads the prompt before it acts, as a person following a plan would: a
subgoal the prompt shows done (a tool held, a table or furnace beside the player, sleep once
awake) is not carried out again, the player explores until the next plan; and a craft or
placement whose materials the inventory lacks, or a material whose tool it lacks, starts with
what crafter's rules ask first. Without checks (the first executor data) a plan is carried
out literally: "make wood pickaxe" beside a table with no wood presses the craft button until
the next plan.

So the action depends on the prompt and on the plan in force, and the plan is the only part of
it that says which subgoal the steps serve: what a student shown the plan can learn and a
student without it cannot.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from crafter import constants

from agents.expert import (
    ACTION,
    DIRECTIONS,
    ID,
    UNKNOWN,
    WALKABLE,
    Memory,
    Policy,
    _add,
    needs,
)
from agents.map_memory import MapMemory


class _PromptPolicy(Policy):
    """`Policy` on a map with holes: a path may cross unseen cells (never known obstacles),
    and exploring walks straight on the way the player faces, turning only where blocked (a
    map rebuilt every step has no frontier that stays put)."""

    def _explore(self, subgoal: str, plan: str):
        ahead = self.m.facing
        if self._free(_add(self.pos, ahead)):
            return ACTION[DIRECTIONS[ahead]], subgoal, plan
        back = (-ahead[0], -ahead[1])
        turns = [d for d in self.order if d != back and self._free(_add(self.pos, d))]
        if turns:
            return ACTION[DIRECTIONS[turns[self.step % len(turns)]]], subgoal, plan
        return super()._explore(subgoal, plan)

    def _passable(self, cell) -> bool:
        return self._terrain(cell) in WALKABLE or self._terrain(cell) == UNKNOWN


STATIONS = ("table", "furnace")  # placed once: done while one stands beside the player
# the tools collecting each material requires (crafter's rules)
TOOLS_TO_COLLECT = {
    item: dict(rule["require"]) for rule in constants.collect.values() for item in rule["receive"]
}
PREREQUISITE_DEPTH = 3  # stone pickaxe -> stone -> wood pickaxe -> wood at most


def subgoal_done(subgoal: str, info: dict[str, Any], policy: Policy) -> bool:
    """Whether the prompt shows `subgoal` done: a tool held, a station beside the player, or
    sleep over (the status says whether the player sleeps)."""
    if subgoal == "sleep":
        return not info.get("sleeping")
    kind, _, thing = subgoal.partition("_")
    if kind == "make":
        return info["inventory"].get(thing, 0) > 0
    return kind == "place" and thing in STATIONS and policy._near(ID[thing])


def prerequisite(subgoal: str, inventory: dict[str, int]) -> str | None:
    """The subgoal that must come first by crafter's rules, given the inventory: a material a
    craft or placement uses and the player lacks, or a tool collecting a material requires."""
    kind, _, thing = subgoal.partition("_")
    if kind in ("make", "place") and thing in getattr(constants, kind):
        lacking = [m for m, n in needs(kind, thing).items() if inventory.get(m, 0) < n]
        return f"collect_{lacking[0]}" if lacking else None
    if kind == "collect" and thing in TOOLS_TO_COLLECT:
        tools = [t for t, n in TOOLS_TO_COLLECT[thing].items() if inventory.get(t, 0) < n]
        return f"make_{tools[0]}" if tools else None
    return None


def checked(subgoal: str, info: dict[str, Any], policy: Policy) -> str:
    """What carrying out `subgoal` asks for now: explore once it is done, else its first
    unmet prerequisite (followed down a few levels), else the subgoal itself."""
    if subgoal_done(subgoal, info, policy):
        return "explore"
    for _ in range(PREREQUISITE_DEPTH):
        first = prerequisite(subgoal, info["inventory"])
        if first is None:
            break
        subgoal = first
    return subgoal


class PromptExecutor:
    """Carries out a subgoal from what one episode's prompt shows (one per episode)."""

    def __init__(
        self,
        remembered_kinds: Sequence[str],
        order: tuple[tuple[int, int], ...] | None = None,
        checks: bool = False,
    ) -> None:
        self.remembered_kinds = tuple(remembered_kinds)
        self.order = order or _PromptPolicy.order  # the moves' order, which breaks ties
        self.checks = checks  # `checked` subgoals, or carried out literally
        self.shelter: tuple | None = None

    def map_of(self, obs: dict[str, Any], info: dict[str, Any], prompt_map: MapMemory) -> Memory:
        """The map the prompt shows: the window in view and the remembered cells it names."""
        memory = Memory()
        pos = (int(info["player_pos"][0]), int(info["player_pos"][1]))
        memory.observe(pos, obs["local_view"])
        for name, (x, y) in prompt_map.nearest_cells_out_of_view(self.remembered_kinds):
            memory.terrain[x, y] = ID[name]
        memory.facing = tuple(int(d) for d in info["player_facing"])
        memory.shelter = self.shelter
        return memory

    def __call__(
        self, obs: dict[str, Any], info: dict[str, Any], subgoal: str, prompt_map: MapMemory
    ) -> int:
        """The action for `subgoal` (the plan in force; "" or unknown: explore)."""
        if int(info.get("step", 0)) == 0:
            self.shelter = None
        memory = self.map_of(obs, info, prompt_map)
        pos = (int(info["player_pos"][0]), int(info["player_pos"][1]))
        policy = _PromptPolicy(memory, pos, info)
        policy.order = self.order
        if self.checks and subgoal:
            subgoal = checked(subgoal, info, policy)
        if subgoal == "shelter" and memory.shelter is None:
            memory.shelter = policy._find_shelter()
        action = policy.pursue(subgoal or "explore")
        self.shelter = memory.shelter
        return action

"""A scripted Crafter expert that sees only what a player sees.

It remembers the tiles it has seen (a map memory built from the local views), knows its own
position by counting its moves (`info["player_pos"]`), status and inventory, and never reads
the hidden map. Each step it picks the first subgoal that applies: answer a threat, drink,
eat, sleep (in a shelter dug into stone and sealed with a stone when it can), then climb
crafter's tech tree (wood, table, wood tools, stone, stone tools,
furnace, coal, iron, iron tools, diamond) with the side achievements on the way. It walks by
shortest path on the remembered map, explores the nearest frontier when a target is unknown,
and never steps onto lava. Requirements come from crafter's own rules data.

Each decision carries a natural-language plan tied to what it saw, and the subgoal it serves.

The expert comes apart into the planner and executor halves the plan gate uses
(`agents.gate`): the ladder (`Policy.decide`) names the subgoal, and `Policy.pursue(subgoal)`
carries out a named subgoal from wherever the player is, needed or not. A test checks that
pursuing the subgoal the ladder names is the ladder's own action at every step.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np
from crafter import constants

from agents.protocol import Decision, episode_slots
from dynplan_gym.crafter_actions import CRAFTER_ACTIONS
from dynplan_gym.crafter_core import SEMANTIC_NAMES
from dynplan_gym.text_observation import describe_offset

ID = {name: i for i, name in enumerate(SEMANTIC_NAMES)}
ACTION = {name: i for i, name in enumerate(CRAFTER_ACTIONS)}
UNKNOWN = -1
WALKABLE = {ID[m] for m in constants.walkable}
OBJECTS = {ID[n] for n in ("cow", "zombie", "skeleton", "arrow", "plant", "player")}
DIRECTIONS = {(-1, 0): "move_left", (1, 0): "move_right", (0, -1): "move_up", (0, 1): "move_down"}
WORLD = (64, 64)


def needs(kind: str, thing: str) -> dict[str, int]:
    """What crafter's rules say placing or making `thing` uses."""
    return dict(getattr(constants, kind)[thing]["uses"])


@dataclass
class Memory:
    """What one episode's player has seen and done."""

    terrain: np.ndarray = field(default_factory=lambda: np.full(WORLD, UNKNOWN, np.int8))
    facing: tuple[int, int] = (0, 1)
    visible: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    plants: dict[tuple[int, int], int] = field(default_factory=dict)  # position -> step planted
    subgoal: str = ""
    drinking: bool = False
    eating: bool = False
    shelter: tuple | None = None  # (entrance cell, direction into the stone)

    def observe(self, pos: tuple[int, int], view: np.ndarray) -> None:
        width, height = view.shape
        self.visible = {}
        for ix in range(width):
            for iy in range(height):
                x, y = pos[0] + ix - width // 2, pos[1] + iy - height // 2
                if not (0 <= x < WORLD[0] and 0 <= y < WORLD[1]):
                    continue
                kind = int(view[ix, iy])
                if kind in OBJECTS:
                    if self.terrain[x, y] == UNKNOWN or self.terrain[x, y] not in WALKABLE:
                        self.terrain[x, y] = ID["grass"]
                    if kind != ID["player"]:
                        self.visible.setdefault(kind, []).append((x, y))
                else:
                    self.terrain[x, y] = kind


class ExpertAgent:
    """The scripted expert as a batched `Agent`."""

    name = "expert"

    def __init__(self) -> None:
        self._memories: list[Memory] = []
        self._facing_before: list[tuple[int, int]] = []  # each slot's, before its last `act`

    def reset(self, n: int) -> None:
        if n < 1:
            raise ValueError(f"ExpertAgent.reset needs n >= 1 episodes, got {n}")
        self._memories = [Memory() for _ in range(n)]
        self._facing_before = [Memory().facing for _ in range(n)]

    def act(self, observations: list[dict], infos: list[dict]) -> list[Decision]:
        slots = episode_slots(infos, len(observations), len(self._memories))
        decisions = []
        for slot, obs, info in zip(slots, observations, infos, strict=True):
            if info.get("step", 0) == 0:
                self._memories[slot] = Memory()
            memory = self._memories[slot]
            pos = tuple(int(v) for v in info["player_pos"])
            memory.observe(pos, obs["local_view"])
            action, subgoal, plan = Policy(memory, pos, info).decide()
            self._facing_before[slot] = memory.facing
            _turn(memory, action, info)
            new_plan = plan if subgoal != memory.subgoal else ""
            memory.subgoal = subgoal
            decisions.append(
                Decision(
                    action,
                    new_plan,
                    raw=f"expert [{subgoal}]: {plan}",
                    meta={"subgoal": subgoal, "plan": plan},
                )
            )
        return decisions

    def follow(self, actions: list[int], infos: list[dict]) -> None:
        """The actions the players took after the last `act` on these infos, where they were
        not the expert's (DAgger: a student plays, the expert labels its states): the
        expert's memory of where each player faces follows the player, not its own choice."""
        slots = episode_slots(infos, len(actions), len(self._memories))
        for slot, action, info in zip(slots, actions, infos, strict=True):
            memory = self._memories[slot]
            memory.facing = self._facing_before[slot]
            _turn(memory, int(action), info)


def _turn(memory: Memory, action: int, info: dict) -> None:
    """A move turns an awake player to face its direction (crafter turns even when blocked)."""
    if CRAFTER_ACTIONS[action].startswith("move_") and not info.get("sleeping"):
        memory.facing = next(d for d, a in DIRECTIONS.items() if a == CRAFTER_ACTIONS[action])


class Policy:
    """One step's decision for one episode."""

    # the order moves are tried in: it breaks ties between equally short paths (another order
    # makes another executor as good; `baselines.plan_following` counts them all)
    order: tuple[tuple[int, int], ...] = tuple(DIRECTIONS)

    def __init__(self, memory: Memory, pos: tuple[int, int], info: dict) -> None:
        self.m, self.pos, self.info = memory, pos, info
        self.inv = info["inventory"]
        self.done = {k for k, v in info["achievements"].items() if v > 0}
        self.step = int(info.get("step", 0))

    # -- the subgoal ladder -----------------------------------------------------------------
    def decide(self) -> tuple[int, str, str]:
        if self.info.get("sleeping"):
            return ACTION["noop"], "sleep", "Sleep until my energy is full."
        for rule in (
            self._fight,
            self._leave_shelter,
            self._drink,
            self._eat,
            self._sleep,
            self._wood_tools,
            self._sapling,
            self._stone_tools,
            self._furnace,
            self._iron_tools,
            self._diamond,
            self._extras,
        ):
            decided = rule()
            if decided:
                return decided
        return self._explore("explore", "Explore to find new resources.")

    # -- the executor half: a named subgoal, carried out whether or not it is still needed ----
    def pursue(self, subgoal: str) -> int:
        """The action that carries out `subgoal` from here (unknown subgoals: explore)."""
        if self.info.get("sleeping"):
            return ACTION["noop"]
        pursue = PURSUITS.get(subgoal)
        if pursue is None and subgoal.startswith("make_"):
            pursue = lambda p: p._craft(subgoal[len("make_") :], "")  # noqa: E731
        decided = pursue(self) if pursue else None
        return (decided or self._explore(subgoal, ""))[0]

    def monster_adjacent(self) -> bool:
        """A zombie or skeleton stands next to the player."""
        return any(
            _manhattan(target, self.pos) == 1
            for kind in ("zombie", "skeleton")
            for target in self.m.visible.get(ID[kind], [])
        )

    def _pursue_fight(self):
        return self._fight()

    def _pursue_leave_shelter(self):
        for d in self.order:
            if self._enclosed() and self._terrain(_add(self.pos, d)) == ID["stone"]:
                return self._face_and(_add(self.pos, d), "do", "leave_shelter", "")
        return None

    def _pursue_cow(self):
        if ID["cow"] in self.m.visible:
            cow = min(self.m.visible[ID["cow"]], key=lambda c: _manhattan(c, self.pos))
            return self._go_and(cow, "do", "eat_cow", "")
        return None

    def _pursue_shelter(self):
        return self._build_shelter() if self.m.shelter is not None else None

    def _pursue_furnace(self):
        table = self._nearest_known({ID["table"]})
        if table is None or _manhattan(table, self.pos) > 1:
            return self._craft_spot({ID["table"]}, "place_furnace", "")
        return self._place("furnace", "place_furnace", "")

    def _pursue_plant(self):
        ripe = [c for c, step in self.m.plants.items() if self.step - step > 350]
        target = (ripe or list(self.m.plants))[:1]
        return self._go_and(target[0], "do", "eat_plant", "") if target else None

    def _fight(self):
        for kind in ("zombie", "skeleton"):
            for target in self.m.visible.get(ID[kind], []):
                if _manhattan(target, self.pos) == 1 and self.inv["health"] <= 3:
                    away = (self.pos[0] - target[0], self.pos[1] - target[1])
                    if self._free(_add(self.pos, away)):
                        return ACTION[DIRECTIONS[away]], "survive", "Back away from the monster."
                if _manhattan(target, self.pos) == 1:
                    return self._face_and(
                        target,
                        "do",
                        f"defeat_{kind}",
                        f"Fight the {kind} next to me until it is defeated.",
                    )
        return None

    def _drink(self):
        drink = self.inv["drink"]
        self.m.drinking = drink < 9 and (
            self.m.drinking or drink <= 4 or "collect_drink" not in self.done
        )
        if self.m.drinking:
            return self._use_nearest(
                {ID["water"]},
                "do",
                "collect_drink",
                "Walk to the nearest water and drink until drink is full.",
            )
        return None

    def _eat(self):
        food = self.inv["food"]
        self.m.eating = food < 9 and (
            self.m.eating
            or food <= 4
            or ("eat_cow" not in self.done and ID["cow"] in self.m.visible)
        )
        if self.m.eating and ID["cow"] in self.m.visible:
            cow = min(self.m.visible[ID["cow"]], key=lambda c: _manhattan(c, self.pos))
            return self._go_and(cow, "do", "eat_cow", "Hunt the nearest cow and eat it.")
        if self.m.eating and food <= 4:
            return self._explore("eat_cow", "Look for a cow to eat.")
        return None

    def _sleep(self):
        energy = self.inv["energy"]
        threat = any(ID[k] in self.m.visible for k in ("zombie", "skeleton"))
        day = self.info.get("daylight", 1.0) > 0.5
        first_nap = "wake_up" not in self.done and energy < 9 and self.step > 20
        tired = energy <= 4 or first_nap or (not day and energy < 9)
        if tired and self.inv["wood_pickaxe"] and self.m.shelter is None:
            self.m.shelter = self._find_shelter()
        if tired and self.m.shelter is not None:
            built = self._build_shelter()
            if built:
                return built
        # In the open, zombies hit a sleeper hard: sleep by day unless exhausted.
        if ((day and (energy <= 4 or first_nap)) or energy <= 1) and not threat:
            return ACTION["sleep"], "wake_up", "Sleep now while no monster is near."
        return None

    def _enclosed(self) -> bool:
        """No way out: the walkable cells reachable from here are at most this and one more."""
        seen, queue = {self.pos}, deque([self.pos])
        while queue and len(seen) <= 2:
            cell = queue.popleft()
            for d in self.order:
                nxt = _add(cell, d)
                if nxt not in seen and self._terrain(nxt) in WALKABLE:
                    seen.add(nxt)
                    queue.append(nxt)
        return len(seen) <= 2

    def _leave_shelter(self):
        if self.info.get("sleeping") or self.inv["energy"] < 9 or not self._enclosed():
            return None
        self.m.shelter = None
        for d in self.order:
            if self._terrain(_add(self.pos, d)) == ID["stone"]:
                return self._face_and(
                    _add(self.pos, d), "do", "leave_shelter", "Mine my way out of the shelter."
                )
        return None

    def _find_shelter(self):
        """A walkable cell next to two cells of stone in a row, walled in on their sides."""
        best = None
        for o in self._walkable_cells():
            if _manhattan(o, self.pos) > 15:
                continue
            for d in self.order:
                s1, s2 = _add(o, d), _add(o, (2 * d[0], 2 * d[1]))
                if self._terrain(s1) != ID["stone"] or self._terrain(s2) != ID["stone"]:
                    continue
                side, other = (d[1], d[0]), (-d[1], -d[0])
                walls = [
                    _add(s1, side),
                    _add(s1, other),
                    _add(s2, side),
                    _add(s2, other),
                    _add(s2, d),
                ]
                if all(self._terrain(w) not in WALKABLE | {UNKNOWN} for w in walls) and (
                    best is None or _manhattan(o, self.pos) < _manhattan(best[0], self.pos)
                ):
                    best = (o, d)
        return best

    def _build_shelter(self):
        """Dig two cells into the stone, step back to face the entrance, seal it, sleep."""
        entrance, d = self.m.shelter
        s1, s2 = _add(entrance, d), _add(entrance, (2 * d[0], 2 * d[1]))
        back = (-d[0], -d[1])
        plan = "Dig a shelter into the stone, seal it with a stone and sleep."
        if self._enclosed():
            return ACTION["sleep"], "wake_up", "Sleep in the sealed shelter."
        sealable = self._terrain(entrance) in WALKABLE and entrance not in self._occupied()
        if self.pos == s1 and self.m.facing == back and self.inv["stone"] > 0 and sealable:
            return ACTION["place_stone"], "shelter", plan
        if self.pos == s2:
            return ACTION[DIRECTIONS[back]], "shelter", plan
        if self.pos in (entrance, s1):
            ahead = _add(self.pos, d)
            if self._terrain(ahead) == ID["stone"]:
                return self._face_and(ahead, "do", "shelter", plan)
            if self._terrain(ahead) in WALKABLE:
                return ACTION[DIRECTIONS[d]], "shelter", plan
        else:
            first = self._first_step({entrance})
            if first is not None:
                return ACTION[DIRECTIONS[first]], "shelter", plan
        self.m.shelter = None
        return None

    def _wood_tools(self):
        table = needs("place", "table")["wood"]
        if "place_table" not in self.done:
            if self.inv["wood"] < table + 2:
                return self._collect("tree", "collect_wood", f"Collect {table + 2} wood.")
            return self._place("table", "place_table", "Place a table here.")
        for tool in ("wood_pickaxe", "wood_sword"):
            if self.inv[tool] == 0:
                return self._craft(tool, f"Make a {tool.replace('_', ' ')} at the table.")
        return None

    def _sapling(self):
        if "place_plant" in self.done:
            return None
        if self.inv["sapling"] == 0:
            return self._collect_from_grass()
        return self._place("plant", "place_plant", "Plant the sapling on grass.")

    def _stone_tools(self):
        if self.inv["wood_pickaxe"] == 0:
            return None
        want = 1 + needs("place", "furnace")["stone"] + 2
        if self.inv["stone_pickaxe"] == 0 or self.inv["stone_sword"] == 0:
            if self.inv["stone"] < 2:
                return self._collect("stone", "collect_stone", "Mine stone with the pickaxe.")
            if self.inv["wood"] < 2:
                return self._collect("tree", "collect_wood", "Collect wood for stone tools.")
            tool = "stone_pickaxe" if self.inv["stone_pickaxe"] == 0 else "stone_sword"
            return self._craft(tool, f"Make a {tool.replace('_', ' ')} at the table.")
        if "place_stone" not in self.done:
            if self.inv["stone"] < 1:
                return self._collect("stone", "collect_stone", "Mine a stone to place.")
            return self._place("stone", "place_stone", "Place a stone in front of me.")
        if self.inv["stone"] < want and "place_furnace" not in self.done:
            return self._collect("stone", "collect_stone", f"Mine {want} stone for a furnace.")
        return None

    def _furnace(self):
        if "place_furnace" in self.done or self.inv["stone_pickaxe"] == 0:
            return None
        table = self._nearest_known({ID["table"]})
        if table is None or _manhattan(table, self.pos) > 1:
            return self._craft_spot(
                {ID["table"]}, "place_furnace", "Go back to the table to put a furnace beside it."
            )
        return self._place("furnace", "place_furnace", "Place a furnace next to the table.")

    def _iron_tools(self):
        if "place_furnace" not in self.done:
            return None
        for tool in ("iron_pickaxe", "iron_sword"):
            if self.inv[tool]:
                continue
            uses = needs("make", tool)
            for item, kind in (("coal", "coal"), ("iron", "iron"), ("wood", "tree")):
                if self.inv[item] < uses[item]:
                    return self._collect(kind, f"collect_{item}", f"Get {item} for the {tool}.")
            return self._craft(tool, f"Make an {tool.replace('_', ' ')} at table and furnace.")
        return None

    def _diamond(self):
        if self.inv["iron_pickaxe"] and "collect_diamond" not in self.done:
            return self._collect("diamond", "collect_diamond", "Find and mine a diamond.")
        return None

    def _extras(self):
        for planted, step in list(self.m.plants.items()):
            if self.step - step > 350 and "eat_plant" not in self.done:
                return self._go_and(planted, "do", "eat_plant", "Go back and eat the ripe plant.")
        if self.inv["coal"] < 1 and self.inv["wood_pickaxe"]:
            return self._collect("coal", "collect_coal", "Mine some coal.")
        return None

    # -- actions ----------------------------------------------------------------------------
    def _collect(self, kind: str, subgoal: str, plan: str):
        return self._use_nearest({ID[kind]}, "do", subgoal, plan)

    def _collect_from_grass(self):
        front = _add(self.pos, self.m.facing)
        if self._terrain(front) == ID["grass"] and front not in self._occupied():
            return ACTION["do"], "collect_sapling", "Search the grass in front for a sapling."
        return self._step_to_open_ground("collect_sapling", "Find grass to search for a sapling.")

    def _place(self, thing: str, subgoal: str, plan: str):
        where = {ID[m] for m in constants.place[thing]["where"]}
        front = _add(self.pos, self.m.facing)
        if self._terrain(front) in where and front not in self._occupied():
            if thing == "plant":
                self.m.plants[front] = self.step
            return ACTION[f"place_{thing}"], subgoal, plan
        return self._step_to_open_ground(subgoal, plan)

    def _craft(self, tool: str, plan: str):
        stations = {ID[s] for s in constants.make[tool]["nearby"]}
        if all(self._near(s) for s in stations):
            return ACTION[f"make_{tool}"], f"make_{tool}", plan
        return self._craft_spot(stations, f"make_{tool}", plan)

    def _craft_spot(self, stations: set[int], subgoal: str, plan: str):
        goals = [c for c in self._walkable_cells() if all(self._near(s, c) for s in stations)]
        if not goals:
            table = needs("place", "table")["wood"]
            if ID["table"] in stations and self.inv["wood"] < table:
                return self._collect("tree", "collect_wood", "Collect wood for a new table.")
            if ID["table"] in stations and not self._near(ID["table"]):
                return self._place("table", "place_table", "Place a new table here.")
            return self._explore(subgoal, plan)
        return self._walk_to(set(goals), subgoal, plan)

    def _use_nearest(self, kinds: set[int], action: str, subgoal: str, plan: str):
        targets = [tuple(c) for c in np.argwhere(np.isin(self.m.terrain, list(kinds)))]
        if not targets:
            return self._explore(subgoal, plan)
        nearest = min(targets, key=lambda t: _manhattan(t, self.pos))
        name = SEMANTIC_NAMES[self._terrain(nearest)]
        where = describe_offset(nearest[0] - self.pos[0], nearest[1] - self.pos[1], False)
        plan = f"{plan} The nearest {name} I have seen is {where}."
        adjacent = [t for t in targets if _manhattan(t, self.pos) == 1]
        if adjacent:
            return self._face_and(adjacent[0], action, subgoal, plan)
        goals = {_add(t, d) for t in targets for d in DIRECTIONS}
        return self._walk_to(goals, subgoal, plan)

    def _go_and(self, target, action: str, subgoal: str, plan: str):
        if _manhattan(target, self.pos) == 1:
            return self._face_and(target, action, subgoal, plan)
        return self._walk_to({_add(target, d) for d in DIRECTIONS}, subgoal, plan)

    def _face_and(self, target, action: str, subgoal: str, plan: str):
        direction = (target[0] - self.pos[0], target[1] - self.pos[1])
        if direction == self.m.facing:
            return ACTION[action], subgoal, plan
        return ACTION[DIRECTIONS[direction]], subgoal, plan

    def _walk_to(self, goals: set, subgoal: str, plan: str):
        first = self._first_step(goals)
        if first is None:
            return self._explore(subgoal, plan)
        return ACTION[DIRECTIONS[first]], subgoal, plan

    def _explore(self, subgoal: str, plan: str):
        frontier = {
            c
            for c in self._walkable_cells()
            if any(self._terrain(_add(c, d)) == UNKNOWN for d in DIRECTIONS)
            and _manhattan(c, self.pos) > 2
        }
        first = self._first_step(frontier)
        if first is None:
            free = [d for d in self.order if self._free(_add(self.pos, d))]
            if not free:  # boxed in: turn to something that is not lava and work on it
                solid = [d for d in self.order if self._terrain(_add(self.pos, d)) != ID["lava"]]
                if not solid:
                    return ACTION["noop"], subgoal, plan
                return self._face_and(
                    _add(self.pos, solid[self.step % len(solid)]), "do", subgoal, plan
                )
            first = free[self.step % len(free)]
        return ACTION[DIRECTIONS[first]], subgoal, plan

    def _step_to_open_ground(self, subgoal: str, plan: str):
        for d in self.order:
            nxt = _add(self.pos, d)
            if self._free(nxt) and self._terrain(_add(nxt, d)) in WALKABLE:
                return ACTION[DIRECTIONS[d]], subgoal, plan
        return self._explore(subgoal, plan)

    # -- map queries ------------------------------------------------------------------------
    def _terrain(self, cell) -> int:
        x, y = cell
        return int(self.m.terrain[x, y]) if 0 <= x < WORLD[0] and 0 <= y < WORLD[1] else ID["lava"]

    def _passable(self, cell) -> bool:
        """A path may cross `cell`: remembered walkable ground."""
        return self._terrain(cell) in WALKABLE

    def _occupied(self) -> set:
        return {c for cells in self.m.visible.values() for c in cells}

    def _free(self, cell) -> bool:
        return self._terrain(cell) in WALKABLE and cell not in self._occupied()

    def _near(self, kind: int, at=None) -> bool:
        x, y = at or self.pos
        return any(
            self._terrain((x + dx, y + dy)) == kind for dx in (-1, 0, 1) for dy in (-1, 0, 1)
        )

    def _nearest_known(self, kinds: set[int]):
        cells = [tuple(c) for c in np.argwhere(np.isin(self.m.terrain, list(kinds)))]
        return min(cells, key=lambda c: _manhattan(c, self.pos)) if cells else None

    def _walkable_cells(self) -> list:
        mask = np.isin(self.m.terrain, list(WALKABLE))
        return [tuple(c) for c in np.argwhere(mask)]

    def _first_step(self, goals: set):
        """First move of a shortest path over free remembered cells to any goal."""
        if self.pos in goals:
            return None
        occupied = self._occupied()
        seen = {self.pos: None}
        queue = deque([self.pos])
        while queue:
            cell = queue.popleft()
            for d in self.order:
                nxt = _add(cell, d)
                if nxt in seen or not self._passable(nxt) or nxt in occupied:
                    continue
                seen[nxt] = d if cell == self.pos else seen[cell]
                if nxt in goals:
                    return seen[nxt]
                queue.append(nxt)
        return None


# Subgoal -> how `Policy.pursue` carries it out (make_<tool> crafts the tool).
PURSUITS = {
    "sleep": lambda p: (ACTION["noop"], "sleep", ""),
    "survive": Policy._pursue_fight,
    "defeat_zombie": Policy._pursue_fight,
    "defeat_skeleton": Policy._pursue_fight,
    "leave_shelter": Policy._pursue_leave_shelter,
    "collect_drink": lambda p: p._use_nearest({ID["water"]}, "do", "collect_drink", ""),
    "eat_cow": Policy._pursue_cow,
    "wake_up": lambda p: (ACTION["sleep"], "wake_up", ""),
    "rest": Policy._sleep,  # as the expert sleeps: in a shelter when it can build one
    "shelter": Policy._pursue_shelter,
    "collect_wood": lambda p: p._collect("tree", "collect_wood", ""),
    **{
        f"collect_{kind}": (lambda k: lambda p: p._collect(k, f"collect_{k}", ""))(kind)
        for kind in ("stone", "coal", "iron", "diamond")
    },
    "collect_sapling": lambda p: p._collect_from_grass(),
    **{
        f"place_{thing}": (lambda t: lambda p: p._place(t, f"place_{t}", ""))(thing)
        for thing in ("table", "stone", "plant")
    },
    "place_furnace": Policy._pursue_furnace,
    "eat_plant": Policy._pursue_plant,
    "explore": lambda p: p._explore("explore", ""),
}


def _add(a, b) -> tuple[int, int]:
    return (a[0] + b[0], a[1] + b[1])


def _manhattan(a, b) -> int:
    return abs(a[0] - b[0]) + abs(a[1] - b[1])

"""The text observation: golden texts, correctness against the world map, the map's borders."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

from dynplan_gym.crafter_core import SEMANTIC_NAMES
from dynplan_gym.crafter_env import DynPlanCrafterEnv
from dynplan_gym.text_observation import TextOptions, describe_offset

GOLDEN = Path(__file__).parents[1] / "golden"
UPDATE = os.environ.get("DYNPLAN_UPDATE_GOLDEN") == "1"
ITEM_LINE = re.compile(r"^- (\w+) (.+)$")
DIRECTIONS = {"north": (0, -1), "south": (0, 1), "west": (-1, 0), "east": (1, 0)}


def _parse_location(text: str) -> tuple[int, int]:
    """Offset (dx, dy) from a location phrase, compass or precise."""
    compass = re.fullmatch(r"(\d+) steps? to your ([a-z-]+)", text)
    if compass:
        # Compass phrases give the Manhattan distance only; the tests check it separately.
        raise ValueError("compass phrases have no unique offset")
    dx = dy = 0
    for part in text.split(" and "):
        n, _, direction = re.fullmatch(r"(\d+) (steps?) (\w+)", part).groups()
        ux, uy = DIRECTIONS[direction]
        dx, dy = dx + ux * int(n), dy + uy * int(n)
    return dx, dy


def _see_block(text: str) -> list[str]:
    """The item lines under "You see:"."""
    lines = text.splitlines()
    if "You see:" not in lines:
        return []
    start = lines.index("You see:") + 1
    end = lines.index("", start)
    return lines[start:end]


def _check_listing(env: DynPlanCrafterEnv, text: str) -> None:
    """Every listed item really is at the stated offset and is the nearest of its kind."""
    core = env.core
    world = core.semantic_map()
    px, py = core.player.pos.tolist()
    width, height = core.view_grid
    skip = set(env._describer.options.skip_items) | {"player", "unknown"}
    visible: dict[str, list[tuple[int, int]]] = {}
    for dx in range(-(width // 2), width // 2 + 1):
        for dy in range(-(height // 2), height // 2 + 1):
            x, y = px + dx, py + dy
            if 0 <= x < world.shape[0] and 0 <= y < world.shape[1] and (dx, dy) != (0, 0):
                visible.setdefault(SEMANTIC_NAMES[world[x, y]], []).append((dx, dy))
    listed = [ITEM_LINE.match(line).groups() for line in _see_block(text)]
    for name, location in listed:
        dx, dy = _parse_location(location)
        assert (dx, dy) in visible.get(name, []), f"{name} is not at {location}\n{text}"
        nearest = min(abs(a) + abs(b) for a, b in visible[name])
        assert abs(dx) + abs(dy) == nearest, f"{name} at {location} is not the nearest\n{text}"
    listed_names = {n for n, _ in listed}
    for name in visible:
        if name not in skip and name not in env._describer.options.edge_only_items:
            assert name in listed_names, f"visible {name} is not listed\n{text}"


@pytest.mark.parametrize(
    ("dx", "dy", "precise", "expected"),
    [
        (0, -1, False, "1 step to your north"),
        (-4, -3, False, "7 steps to your north-west"),
        (2, 1, False, "3 steps to your south-east"),
        (3, 0, False, "3 steps to your east"),
        (-1, 2, True, "2 steps south and 1 step west"),
        (4, -3, True, "3 steps north and 4 steps east"),
        (0, 1, True, "1 step south"),
    ],
)
def test_location_phrases(dx, dy, precise, expected):
    assert describe_offset(dx, dy, precise) == expected


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_golden_texts(seed):
    """The exact text after fixed actions: any change to the wording shows up in review."""
    env = DynPlanCrafterEnv()
    obs, _ = env.reset(seed=seed)
    texts = [obs["text"]]
    for action in np.random.default_rng(seed).integers(0, 17, 60).tolist():
        obs, *_ = env.step(action)
        texts.append(obs["text"])
    rendered = "\n\n=====\n\n".join(texts[::20]) + "\n"
    path = GOLDEN / f"crafter_text_seed{seed}.txt"
    if UPDATE:
        path.write_text(rendered)
    assert rendered == path.read_text()


def test_text_agrees_with_the_world_during_play():
    env = DynPlanCrafterEnv(precise_location=True)
    env.reset(seed=9)
    for action in np.random.default_rng(9).integers(0, 17, 600).tolist():
        obs, _, terminated, truncated, _ = env.step(action)
        _check_listing(env, obs["text"])
        if terminated or truncated:
            env.reset()


def test_options_change_the_listing():
    seed = 0
    texts = {}
    for name, kwargs in {
        "default": {},
        "all": {"unique_items": False, "skip_items": (), "edge_only_items": ()},
        "precise": {"precise_location": True},
    }.items():
        env = DynPlanCrafterEnv(**kwargs)
        texts[name] = env.reset(seed=seed)[0]["text"]
    assert "- grass" not in texts["default"] and "- grass" in texts["all"]
    assert texts["all"].count("- grass") > 10  # every grass cell, not only the nearest
    assert "to your" in texts["default"] and "to your" not in texts["precise"]


def test_unknown_item_option_is_rejected():
    with pytest.raises(ValueError, match="unknown kinds"):
        TextOptions(skip_items=("grss",))


def _clear_corridor(env: DynPlanCrafterEnv, axis: int, sign: int) -> None:
    """Turn the player's row or column, up to the border, into grass with nothing on it."""
    core = env.core
    world = core._world
    pos = core.player.pos.copy()
    while True:
        pos[axis] += sign
        if not 0 <= pos[axis] < world.area[axis]:
            return
        _, obj = world[pos]
        if obj is not None:
            world.remove(obj)
        world[pos] = "grass"


@pytest.mark.parametrize(
    ("action", "axis", "sign", "direction"),
    [(1, 0, -1, "west"), (2, 0, 1, "east"), (3, 1, -1, "north"), (4, 1, 1, "south")],
)
def test_walk_to_each_border(action, axis, sign, direction):
    """Walking up to a border keeps the text correct; facing out names the world's edge."""
    env = DynPlanCrafterEnv(precise_location=True)
    env.reset(seed=4)
    core = env.core
    border = 0 if sign < 0 else core._world.area[axis] - 1
    for _ in range(300):
        if core.player.pos[axis] == border:
            break
        _clear_corridor(env, axis, sign)
        core.player.health = 9  # keep zombies from ending the walk
        obs, _, terminated, truncated, _ = env.step(action)
        assert not (terminated or truncated)
        _check_listing(env, obs["text"])
    assert core.player.pos[axis] == border, f"did not reach the {direction} border"
    obs, *_ = env.step(action)  # bump into the border: facing it
    assert core.player.pos[axis] == border
    assert "You face the edge of the world at your front." in obs["text"]
    assert "out of the map" not in obs["text"]
    _check_listing(env, obs["text"])
    # Cells beyond the border are padding (id 0) in the local view, and only they are.
    view = obs["local_view"]
    width, height = core.view_grid
    px, py = core.player.pos.tolist()
    for ix in range(width):
        for iy in range(height):
            x, y = px + ix - width // 2, py + iy - height // 2
            inside = 0 <= x < core._world.area[0] and 0 <= y < core._world.area[1]
            assert (view[ix, iy] == 0) == (not inside)


def test_status_lines():
    env = DynPlanCrafterEnv()
    obs, _ = env.reset(seed=0)
    assert "Your status:\n- health: 9/9\n- food: 9/9\n- drink: 9/9\n- energy: 9/9" in obs["text"]
    assert "You have nothing in your inventory." in obs["text"]
    core = env.core
    core.player.inventory["wood"] = 2
    obs, *_ = env.step(0)
    assert "Your inventory:\n- wood: 2" in obs["text"]


def test_sleep_night_and_death_are_mentioned():
    env = DynPlanCrafterEnv()
    env.reset(seed=0)
    core = env.core
    core.player.inventory["energy"] = 3
    obs, *_ = env.step(6)  # sleep
    assert obs["text"].startswith("You are sleeping")
    env.reset(seed=0)
    night_seen = False
    for _ in range(200):
        core.player.health = 9  # keep zombies from ending the wait
        obs, *_ = env.step(0)
        if core.is_night:
            night_seen = True
            assert "It is night" in obs["text"]
            break
        assert "It is night" not in obs["text"]
    assert night_seen
    core.player.health = 0
    obs, _, terminated, _, _ = env.step(0)
    assert terminated and obs["text"].startswith("You died.")

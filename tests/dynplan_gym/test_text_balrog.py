"""BALROG's text style on hand-built windows: ties, listing order, skipped kinds, water edges,
borders and layout. The expected texts follow BALROG's Crafter wrapper rule by rule (its scan
runs over the window's columns west to east, each north to south; the first of equally near
cells of a kind wins; kinds keep the place of their first cell)."""

from __future__ import annotations

import numpy as np
import pytest

from dynplan_gym.crafter_core import SEMANTIC_NAMES
from dynplan_gym.crafter_env import DynPlanCrafterEnv
from dynplan_gym.text_observation import (
    TEXT_PRESETS,
    CrafterTextDescriber,
    TextOptions,
    text_preset,
)

VIEW = (9, 7)  # crafter's local view, in cells
CENTER = (4, 3)
ID = {name: i for i, name in enumerate(SEMANTIC_NAMES)}
INVENTORY = {"health": 9, "food": 8, "drink": 7, "energy": 6, "sapling": 0, "wood": 2}
VITALS = "Your status:\n- health: 9/9\n- food: 8/9\n- drink: 7/9\n- energy: 6/9\n\n"
OWNED = "Your inventory:\n- wood: 2\n"
BALROG = TEXT_PRESETS["balrog"]
# BALROG's style, open ground skipped: the tests then need to place only what they list.
BALROG_NO_GRASS = TextOptions(skip_items=("grass",), edge_only_items=(), style="balrog")
DYNPLAN_NO_GRASS = TextOptions(skip_items=("grass",), edge_only_items=())


def window(fill: str = "grass", beyond: str = "grass", **cells: tuple[int, int]) -> np.ndarray:
    """A padded window (one extra cell each side) of `fill`, the player at the centre, the rim
    beyond the window of `beyond`, and `cells` given as name=(dx, dy) (name_2 for a second)."""
    grid = np.full((VIEW[0] + 2, VIEW[1] + 2), ID[beyond], np.uint8)
    grid[1:-1, 1:-1] = ID[fill]
    grid[CENTER[0] + 1, CENTER[1] + 1] = ID["player"]
    for key, (dx, dy) in cells.items():
        grid[CENTER[0] + 1 + dx, CENTER[1] + 1 + dy] = ID[key.split("_")[0]]
    return grid


def text(options: TextOptions, grid: np.ndarray, facing=(0, 1), **state) -> str:
    return CrafterTextDescriber(VIEW, options).describe(grid, facing, INVENTORY, **state)


def see_lines(options: TextOptions, grid: np.ndarray) -> list[str]:
    return [f"{n} {loc}" for n, loc in CrafterTextDescriber(VIEW, options).visible_items(grid)]


def test_equally_near_cells_the_first_in_the_scan_wins():
    # Three trees 2 steps away: north-east, south-west and north.
    grid = window(tree=(1, -1), tree_2=(-1, 1), tree_3=(0, -2))
    assert see_lines(BALROG_NO_GRASS, grid) == ["tree 2 steps to your south-west"]  # column -1
    # Ours: the diagonals before the straight line (Euclidean), then north first.
    assert see_lines(DYNPLAN_NO_GRASS, grid) == ["tree 2 steps to your north-east"]


def test_kinds_are_listed_in_scan_order_not_by_distance():
    grid = window(stone=(-3, 0), cow=(1, 0), tree=(0, 3), tree_2=(-2, 3))
    assert see_lines(BALROG_NO_GRASS, grid) == [
        "stone 3 steps to your west",  # column -3
        "tree 3 steps to your south",  # first seen in column -2 (5 away), then 3 in column 0
        "cow 1 step to your east",
    ]
    assert see_lines(DYNPLAN_NO_GRASS, grid) == [
        "cow 1 step to your east",
        "stone 3 steps to your west",
        "tree 3 steps to your south",
    ]


def test_only_a_strictly_nearer_cell_replaces_the_first():
    # Column -4 holds a sand cell 4 away, column -2 one 3 away, column 3 one 3 away.
    grid = window(sand=(-4, 0), sand_2=(-2, -1), sand_3=(3, 0))
    assert see_lines(BALROG_NO_GRASS, grid) == ["sand 3 steps to your north-west"]


def test_all_cells_in_scan_order_without_unique_items():
    options = TextOptions(
        unique_items=False, skip_items=("grass",), edge_only_items=(), style="balrog"
    )
    grid = window(cow=(2, -1), tree=(-1, 2), tree_2=(-1, -3))
    assert see_lines(options, grid) == [
        "tree 4 steps to your north-west",
        "tree 3 steps to your south-west",
        "cow 3 steps to your north-east",
    ]


def test_balrogs_options_list_open_ground_and_face_it():
    grid = window(fill="sand", tree=(2, 0), path=(0, 1))
    out = text(BALROG, grid, facing=(0, 1))
    assert out.endswith(
        "You see:\n- sand 1 step to your west\n- path 1 step to your south\n"
        "- tree 2 steps to your east\n\nYou face path at your front."
    )


def test_a_faced_skipped_kind_is_nothing_in_balrogs_style():
    grid = window(fill="grass")
    assert text(BALROG_NO_GRASS, grid).endswith(
        "You see nothing away from you.\n\nYou face nothing at your front."
    )
    assert "You face grass at your front." in text(DYNPLAN_NO_GRASS, grid)


def test_water_edges_are_seen_only_inside_the_window():
    # A window of water around the player, land beyond its rim: BALROG's edge test looks only
    # inside the window, so only the player's four neighbours are edges; ours also counts the
    # rim's cells, whose land neighbours lie beyond it.
    grid = window(fill="water", beyond="grass")
    balrog = TextOptions(
        unique_items=False, skip_items=(), edge_only_items=("water",), style="balrog"
    )
    assert see_lines(balrog, grid) == [
        "water 1 step to your west",
        "water 1 step to your north",
        "water 1 step to your south",
        "water 1 step to your east",
    ]
    ours = TextOptions(unique_items=False, skip_items=(), edge_only_items=("water",))
    rim = 2 * VIEW[0] + 2 * (VIEW[1] - 2)
    assert len(see_lines(ours, grid)) == 4 + rim


def test_a_lakes_shore_inside_the_window():
    grid = window(fill="grass")
    grid[1:4, 1:-1] = ID["water"]  # columns -4..-2 are water; column -2 is the shore
    options = TextOptions(
        unique_items=False, skip_items=("grass",), edge_only_items=("water",), style="balrog"
    )
    lines = see_lines(options, grid)
    assert lines == [
        f"water {loc}"
        for loc in (
            "5 steps to your north-west",
            "4 steps to your north-west",
            "3 steps to your north-west",
            "2 steps to your west",
            "3 steps to your south-west",
            "4 steps to your south-west",
            "5 steps to your south-west",
        )
    ]


def test_the_map_border_is_nothing_in_balrogs_style():
    # The player at the east border facing east: cells beyond the map are padding (id 0).
    grid = window(fill="grass", tree=(-2, 0))
    grid[CENTER[0] + 2 :, :] = 0
    out = text(BALROG_NO_GRASS, grid, facing=(1, 0))
    assert out.endswith("You see:\n- tree 2 steps to your west\n\nYou face nothing at your front.")
    assert "the edge of the world" in text(DYNPLAN_NO_GRASS, grid, facing=(1, 0))


def test_balrogs_layout_and_sentences():
    grid = window(fill="grass", tree=(0, -1))
    awake = text(BALROG_NO_GRASS, grid, facing=(0, -1), night=True)
    assert (
        awake
        == VITALS + OWNED + "You see:\n- tree 1 step to your north\n\nYou face tree at your front."
    )
    asleep = text(BALROG_NO_GRASS, grid, facing=(0, -1), sleeping=True, dead=True)
    assert asleep == (
        VITALS + OWNED + "You are sleeping, and will not be able take actions until energy is full."
        "\n\n\n\nYou see:\n- tree 1 step to your north\n\nYou face tree at your front."
    )
    dead = text(BALROG_NO_GRASS, grid, facing=(0, -1), dead=True)
    assert "\nYou died.\n\n\n\nYou see:" in dead
    # Ours: the condition first, a night sentence, vitals after the view.
    ours = text(DYNPLAN_NO_GRASS, grid, facing=(0, -1), night=True, sleeping=True, dead=True)
    assert ours.startswith("You died.\n\nIt is night: the light is dim.\n\nYou see:")


def test_presets_are_env_kwargs_that_build_their_text():
    assert TEXT_PRESETS["dynplan"] == TextOptions()
    env = DynPlanCrafterEnv(**text_preset("balrog").env_kwargs())
    assert env._describer.options == BALROG
    obs, _ = env.reset(seed=0)
    assert obs["text"].startswith("Your status:") and "- grass" in obs["text"]
    with pytest.raises(ValueError, match="expected one of"):
        text_preset("balrg")
    with pytest.raises(ValueError, match="text style must be one of"):
        DynPlanCrafterEnv(text_style="BALROG")


def test_text_options_are_crafters_alone():
    from agents.prompts import PromptConfig

    assert PromptConfig(text_options="balrog").text_options == "balrog"
    with pytest.raises(ValueError, match="text_options are Crafter's"):
        PromptConfig(env="pogs", text_options="balrog")
    with pytest.raises(ValueError, match="expected one of"):
        PromptConfig(text_options="balrg")

"""The agent's map memory: what it remembers is what the world held where it looked."""

from __future__ import annotations

import numpy as np

from agents.map_memory import UNSEEN, MapMemory
from agents.prompts import EpisodeMemory, PromptBuilder
from agents.strategy import PlanMode
from dynplan_gym.crafter_core import SEMANTIC_NAMES
from dynplan_gym.crafter_env import DynPlanCrafterEnv

KINDS = ("water", "tree", "stone", "coal", "iron", "table")
SWEEP = [4] * 25 + [1] * 25  # seed 0: south past coal, then west (coal is left behind)


def _walk(seed: int, actions: list[int]):
    env = DynPlanCrafterEnv()
    obs, info = env.reset(seed=seed)
    memory = MapMemory()
    memory.observe(info["player_pos"], obs["local_view"])
    for action in actions:
        obs, *_, info = env.step(action)
        memory.observe(info["player_pos"], obs["local_view"])
    return env, obs, info, memory


def test_remembered_terrain_matches_the_world():
    env, _obs, _info, memory = _walk(0, SWEEP)
    world = env.unwrapped.core.semantic_map()
    seen = memory.terrain != UNSEEN
    assert seen.sum() > 9 * 7 * 2
    creature = np.isin(
        world, [SEMANTIC_NAMES.index(n) for n in ("player", "cow", "zombie", "skeleton", "arrow")]
    )
    agree = (memory.terrain == world) | creature
    assert agree[seen].all()


def test_nearest_out_of_view_is_the_nearest_remembered_cell():
    _env, obs, info, memory = _walk(0, SWEEP)
    in_view = {SEMANTIC_NAMES[k] for k in np.unique(obs["local_view"])}
    pos = np.array(info["player_pos"])
    listed = dict(memory.nearest_out_of_view(KINDS))
    assert listed == {"coal": "10 steps to your north"}
    for kind in KINDS:
        cells = np.argwhere(memory.terrain == SEMANTIC_NAMES.index(kind))
        if kind in in_view or not len(cells):
            assert kind not in listed
            continue
        distance = int(np.abs(cells - pos).sum(axis=1).min())
        assert listed[kind].startswith(f"{distance} step")


def test_the_prompt_names_what_is_remembered_out_of_view():
    env = DynPlanCrafterEnv()
    obs, info = env.reset(seed=0)
    memory = EpisodeMemory()
    memory.observe(obs, info)
    for action in SWEEP:
        obs, *_, info = env.step(action)
        memory.observe(obs, info)
    content = PromptBuilder().build(obs, len(SWEEP), memory, PlanMode.FORBIDDEN)[1]["content"]
    remembered = memory.map.nearest_out_of_view(PromptBuilder().config.remembered_kinds)
    assert remembered, "the sweep leaves coal behind"
    assert "You remember, out of view:" in content
    for name, location in remembered:
        assert f"- {name} {location}" in content
    assert content.index("Current observation") < content.index("You remember")


def test_observing_at_the_border_keeps_inside_the_map():
    memory = MapMemory()
    view = np.full((9, 7), SEMANTIC_NAMES.index("stone"), np.uint8)
    memory.observe((0, 0), view)
    assert (memory.terrain[:5, :4] == SEMANTIC_NAMES.index("stone")).all()
    assert (memory.terrain[5:, :] == UNSEEN).all() and (memory.terrain[:, 4:] == UNSEEN).all()

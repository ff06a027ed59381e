"""The exact prompt of every plan mode on a fixed observation (golden files)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from agents.prompts import EpisodeMemory, PromptBuilder, PromptConfig
from agents.strategy import PlanMode
from dynplan_gym.crafter_env import DynPlanCrafterEnv

GOLDEN = Path(__file__).parents[1] / "golden"
UPDATE = os.environ.get("DYNPLAN_UPDATE_GOLDEN") == "1"


def _prompt(mode: PlanMode, feedback: str = "", config: PromptConfig | None = None) -> list:
    """The prompt after two steps (the default prompt: recent actions, no full history)."""
    builder = PromptBuilder(config)
    env = DynPlanCrafterEnv()
    memory = EpisodeMemory(feedback=feedback)
    obs, info = env.reset(seed=0)
    memory.observe(obs, info)
    memory.record(0, obs["text"], 3, limit=builder.config.memory_length)
    obs, _, _, _, info = env.step({"action": 3, "plan": "Walk to the tree and collect wood."})
    memory.observe(obs, info)
    memory.record(1, obs["text"], 1, limit=builder.config.memory_length)
    obs, _, _, _, info = env.step(1)
    memory.observe(obs, info)
    return builder.build(obs, 2, memory, mode)


@pytest.mark.parametrize("mode", list(PlanMode))
def test_golden_prompt(mode):
    prompt = _prompt(mode)
    rendered = "".join(f"<<{m['role']}>>\n{m['content']}\n" for m in prompt)
    path = GOLDEN / f"prompt_{mode.value}.txt"
    if UPDATE:
        path.write_text(rendered)
    assert rendered == path.read_text()


def test_system_message_is_shared_and_feedback_appears():
    prompts = [_prompt(mode) for mode in PlanMode]
    assert len({p[0]["content"] for p in prompts}) == 1  # one cacheable prefix
    with_feedback = _prompt(PlanMode.OPTIONAL, feedback="no action name was found")
    assert (
        "Your previous answer could not be used: no action name was found."
        in (with_feedback[1]["content"])
    )
    assert "made 2 steps ago" in with_feedback[1]["content"]


@pytest.mark.parametrize("mode", list(PlanMode))
def test_without_the_instruction_the_prompt_is_the_user_message_alone(mode):
    bare = _prompt(mode, config=PromptConfig(instruction=False))
    assert bare == _prompt(mode)[1:] and bare[0]["role"] == "user"
    assert PromptConfig.from_dict(PromptConfig(instruction=False).to_dict()).instruction is False
    older_card = {k: v for k, v in PromptConfig().to_dict().items() if k != "instruction"}
    assert PromptConfig.from_dict(older_card).instruction is True


def test_full_history_shows_the_last_observations():
    content = _prompt(PlanMode.FORBIDDEN, config=PromptConfig(history_length=1))[1]["content"]
    assert "Step 1 observation:" in content and "Step 0 observation:" not in content
    assert "Your last actions, oldest first: Move North, Move West." in content
    bare = PromptConfig(history_length=0, recent_actions=0, remembered_kinds=())
    content = _prompt(PlanMode.FORBIDDEN, config=bare)[1]["content"]
    assert "Step 1 observation" not in content and "last actions" not in content


def test_history_is_bounded():
    memory = EpisodeMemory()
    for step in range(10):
        memory.record(step, f"obs {step}", 0, limit=3)
    assert [s for s, _, _ in memory.history] == [7, 8, 9]
    with pytest.raises(ValueError, match="history_length"):
        PromptConfig(history_length=-1)


def _pogs_prompt(mode: PlanMode) -> list:
    """A POGS prompt after two moves (one of them invalid, so feedback shows)."""
    from dynplan_gym.pogs_env import DynPlanPOGSEnv

    builder = PromptBuilder(PromptConfig(env="pogs"))
    env = DynPlanPOGSEnv()
    memory = EpisodeMemory()
    obs, _ = env.reset(seed=0)
    first = int(env.tree[obs["current"]][0])
    memory.record(0, obs["text"], first, limit=builder.config.memory_length)
    obs, *_ = env.step({"action": first, "plan": "Explore the branch through node 12."})
    memory.record(1, obs["text"], 0, limit=builder.config.memory_length)
    obs, *_ = env.step(0)
    memory.feedback = "there is no node 25 (nodes are 0 to 19)"
    return builder.build(obs, 2, memory, mode)


@pytest.mark.parametrize("mode", list(PlanMode))
def test_golden_pogs_prompt(mode):
    """POGS uses the same builder with its own wording (agents/data/prompts_pogs.toml)."""
    prompt = _pogs_prompt(mode)
    rendered = "".join(f"<<{m['role']}>>\n{m['content']}\n" for m in prompt)
    path = GOLDEN / f"prompt_pogs_{mode.value}.txt"
    if UPDATE:
        path.write_text(rendered)
    assert rendered == path.read_text()
    assert "Move West" not in rendered and "Your last moves, oldest first: node" in rendered


def test_pogs_neighbours_restate_the_current_nodes_line():
    from dynplan_gym.pogs_env import DynPlanPOGSEnv

    env = DynPlanPOGSEnv()
    for seed in range(20):
        obs, _ = env.reset(seed=seed)
        builder = PromptBuilder(PromptConfig(env="pogs", neighbours=True))
        user = builder.build(obs, 0, EpisodeMemory(), PlanMode.OPTIONAL)[1]["content"]
        current = int(obs["current"])
        line = next(x for x in obs["text"].splitlines() if x.startswith(f"Node {current}:"))
        assert f"Next to node {current}:{line.split(':')[1]}." in user
        assert sorted(int(n) for n in line.split(":")[1].split(",")) == sorted(env.tree[current])
    plain = PromptBuilder(PromptConfig(env="pogs")).build(
        obs, 0, EpisodeMemory(), PlanMode.OPTIONAL
    )
    assert "Next to node" not in plain[1]["content"]
    with pytest.raises(ValueError, match="Crafter has none"):
        PromptConfig(neighbours=True)


def test_an_unknown_env_has_no_wording():
    with pytest.raises(ValueError, match="no prompt wording for env 'nope'"):
        PromptConfig(env="nope")


def test_the_view_grid_draws_the_window_north_up_with_the_player_facing():
    from dynplan_gym.crafter_core import SEMANTIC_NAMES

    ids = {name: i for i, name in enumerate(SEMANTIC_NAMES)}
    view = np.full((9, 7), ids["grass"])  # local_view[x][y]: x west to east, y north to south
    view[4, 3], view[7, 3], view[0, 0], view[8, 6] = ids["player"], ids["tree"], 1, ids["cow"]
    memory = EpisodeMemory()
    memory.observe({}, {"player_facing": (1, 0)})  # facing east
    prompt = PromptBuilder(PromptConfig(view_grid=True)).build(
        {"text": "You see: a tree.", "local_view": view}, 3, memory, PlanMode.FORBIDDEN
    )
    grid = prompt[-1]["content"].split("Around you (north up, you are >):\n")[1].split("\n\n")[0]
    assert grid.split("\n") == [
        "~" + "." * 8,
        *["." * 9] * 2,
        "....>..T.",
        *["." * 9] * 2,
        "." * 8 + "C",
    ]
    plain = PromptBuilder(PromptConfig()).build(
        {"text": "You see: a tree.", "local_view": view}, 3, memory, PlanMode.FORBIDDEN
    )
    assert "Around you" not in plain[-1]["content"]
    with pytest.raises(ValueError, match="POGS has none"):
        PromptConfig(env="pogs", view_grid=True)


def test_the_view_grid_matches_the_text_of_a_real_window():
    env = DynPlanCrafterEnv()
    obs, info = env.reset(seed=15003)
    for action in (3, 3, 3, 3, 5):  # walk east, then Do
        obs, _, _, _, info = env.step(action)
    memory = EpisodeMemory()
    memory.observe(obs, info)
    prompt = PromptBuilder(PromptConfig(view_grid=True)).build(obs, 5, memory, PlanMode.FORBIDDEN)
    rows = prompt[-1]["content"].split("Around you (north up, you are ")[1].split("\n")[1:8]
    assert "- tree 3 steps to your east" in obs["text"] and rows[3][7] == "T"
    assert rows[3][4] in "^v<>" and len(rows) == 7 and {len(r) for r in rows} == {9}

"""POGS: the rules (visibility, invalid moves, +100, truncation, the hard variant's backtracks),
plans as in DynPlanCrafter-v0, seed determinism across processes, checkers, the expert."""

from __future__ import annotations

import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import dynplan_gym
from agents.pogs_expert import POGSExpertAgent
from dynplan_gym.pogs_env import DynPlanPOGSEnv
from dynplan_gym.pogs_graph import (
    PathKeepingSearch,
    backtrack_runs,
    expert_moves,
    hops_from,
    random_tree,
    search_backtracks,
    visible_edges,
)


def test_checkers_pass_on_both_variants():
    for env_id in (dynplan_gym.POGS_ENV_ID, dynplan_gym.POGS_HARD_ENV_ID):
        check_env(gym.make(env_id).unwrapped, skip_render_check=True)


def test_trees_are_trees_and_uniform():
    counts: dict[tuple, int] = {}
    rng = np.random.default_rng(0)
    for _ in range(3000):  # 4 nodes: 16 labelled trees, each ~1/16
        tree = random_tree(4, rng)
        assert sum(len(a) for a in tree) == 2 * 3 and len(hops_from(tree, 0)) == 4
        counts[tree] = counts.get(tree, 0) + 1
    assert len(counts) == 16 and min(counts.values()) > 120 and max(counts.values()) < 260


def test_the_agent_sees_k_hops_and_the_edges_among_them():
    env = DynPlanPOGSEnv(k_nearest=2)
    obs, _ = env.reset(seed=4)
    hops = hops_from(env.tree, obs["current"])
    assert set(np.flatnonzero(obs["visible"])) == {v for v, h in hops.items() if h <= 2}
    for a, b in zip(*np.nonzero(obs["adjacency"]), strict=True):
        assert b in env.tree[a] and obs["visible"][a] and obs["visible"][b]
    assert obs["adjacency"].sum() == 2 * (obs["visible"].sum() - 1)  # a subtree
    lines = obs["text"].splitlines()
    assert len(lines) == obs["visible"].sum() + 2
    assert lines[-1] == f"You are at node {obs['current']}. The target is node {obs['target']}."


def test_invalid_moves_cost_one_and_do_not_move():
    env = DynPlanPOGSEnv()
    obs, _ = env.reset(seed=1)
    stranger = next(v for v in range(20) if v not in env.tree[obs["current"]])
    obs2, reward, terminated, truncated, info = env.step(stranger)
    assert (reward, info["invalid_move"], obs2["current"]) == (-1.0, True, obs["current"])
    assert not terminated and not truncated


def test_the_target_gives_100_and_ends_the_episode_and_plans_cost():
    env = DynPlanPOGSEnv(k_nearest=30)  # the whole tree in view: walk the path
    obs, info = env.reset(seed=2)
    agent = POGSExpertAgent(k_nearest=30)
    agent.reset(1)
    total, first = 0.0, True
    while True:
        decision = agent.act([obs], [{**info, "slot": 0}])[0]
        obs, reward, terminated, truncated, info = env.step(decision.env_action())
        total += info["task_reward"]
        if first:  # the first decision hands in a plan: charged, in the observation
            assert info["new_plan"] and info["plan_cost"] > 0 and obs["plan_age"] == 1
            assert reward == info["task_reward"] - info["plan_cost"]
            first = False
        if terminated or truncated:
            break
    assert terminated and not truncated and total == 100.0
    assert info["achievements"] == {"reach_target": 1} and info["unlocked"] == ["reach_target"]
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)


def test_truncated_after_max_steps():
    env = DynPlanPOGSEnv(max_steps=3)
    obs, _ = env.reset(seed=3)
    for _ in range(3):
        obs, _, terminated, truncated, _ = env.step(obs["current"])  # invalid: stay
    assert truncated and not terminated


def test_penalties_are_added_as_gym_pogs_adds_them():
    """Non-positive penalties on a valid move that does not reach the target; an invalid move
    pays -1 alone, the target +100 alone."""
    env = DynPlanPOGSEnv(step_penalty=-0.5, revisit_penalty=-2.0, k_nearest=30)
    obs, _ = env.reset(seed=5)
    start, target = obs["current"], obs["target"]
    away = next(v for v in env.tree[start] if v != target)
    assert env.step(away)[1] == -0.5
    assert env.step(start)[1] == -2.5  # back to a visited node
    assert env.step(start)[1] == -1.0  # invalid (standing on it): no step penalty
    path = _path(env.tree, start, target)
    for node in path[:-1]:
        env.step(node)
    assert env.step(path[-1])[1] == 100.0  # no step penalty on the move that reaches it
    for name in ("step_penalty", "revisit_penalty", "expert_penalty"):
        with pytest.raises(ValueError, match=f"{name} must be a number <= 0"):
            DynPlanPOGSEnv(**{name: 0.5})


def _path(tree, start, goal):
    """The tree path from start to goal (without start)."""
    from dynplan_gym.pogs_graph import _known_path

    return _known_path({n: set(adjacent) for n, adjacent in enumerate(tree)}, start, goal)


def test_the_target_on_the_last_step_ends_both_ways():
    env = DynPlanPOGSEnv(k_nearest=30)
    obs, _ = env.reset(seed=5)
    path = _path(env.tree, obs["current"], obs["target"])
    env = DynPlanPOGSEnv(k_nearest=30, max_steps=len(path))
    env.reset(seed=5)
    for node in path:
        _, reward, terminated, truncated, _ = env.step(node)
    assert reward == 100.0 and terminated and truncated  # as gym-pogs ends it


def test_the_expert_shaped_reward_takes_the_penalty_off_other_moves():
    env = DynPlanPOGSEnv(expert_penalty=-1.0)
    obs, _ = env.reset(seed=5)
    expert = expert_moves(env._seen, obs["current"], obs["target"])
    assert expert and expert <= set(env.tree[obs["current"]])
    other = next((v for v in env.tree[obs["current"]] if v not in expert), None)
    if other is not None:
        assert env.step(other)[1] == -1.0  # a valid move, not the expert's
    env.reset(seed=5)
    assert env.step(next(iter(expert)))[1] == 0.0
    assert env.step(env.current)[1] == -2.0  # invalid and not the expert's


def test_gym_pogs_rule_counts_runs_of_backtracking_within_the_step_limit():
    """Worked by hand from the rule: with a 2-hop view the search heads for the frontier node
    2 (a tie with 3, taken as gym-pogs takes it), then 4 and 6, a dead end; the way back to 5
    passes 2 and 1 (one run: 1 is still part of it), then 3 is new; once it sees the target it
    walks there on the path it keeps."""
    tree = ((1,), (0, 2, 3), (1, 4), (1, 5), (2, 6), (3, 7), (4,), (5, 8), (7,))
    search = PathKeepingSearch(target=8, k=2)
    node, walk = 0, [0]
    while node != 8:
        node = search.act(node, *visible_edges(tree, node, 2))
        walk.append(node)
    assert walk == [0, 1, 2, 4, 2, 1, 3, 5, 7, 8] and search.runs == 1
    assert backtrack_runs(tree, 0, 8, 2, 30) == 1
    assert backtrack_runs(tree, 0, 8, 2, 5) == 1  # 2, reached by the 4th step, is examined...
    assert backtrack_runs(tree, 0, 8, 2, 4) == 0  # ...unless the episode ends there


def test_the_hard_variant_makes_the_search_backtrack():
    env = gym.make(dynplan_gym.POGS_HARD_ENV_ID).unwrapped
    assert (env.k_nearest, env.min_backtracks) == (2, 2)
    for seed in range(20):
        env.reset(seed=seed)
        runs = backtrack_runs(env.tree, env.start, env.target, 2, env.max_steps)
        assert runs == env.backtrack_runs >= 2
        needed = search_backtracks(env.tree, env.start, env.target, 2, 80)
        assert needed == env.search_backtracks
    with pytest.raises(ValueError, match="min_backtracks=100"):
        DynPlanPOGSEnv(num_nodes=5, min_backtracks=100).reset(seed=0)


def test_the_same_seed_gives_the_same_world_in_another_process():
    code = (
        "import gymnasium as gym, dynplan_gym; e = gym.make('DynPlanPOGS-Hard-v0'); "
        "o, _ = e.reset(seed=77); print(o['text'])"
    )
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    obs, _ = gym.make(dynplan_gym.POGS_HARD_ENV_ID).reset(seed=77)
    assert other.stdout.strip() == obs["text"]
    np.random.seed(123)  # no global RNG involved
    assert gym.make(dynplan_gym.POGS_HARD_ENV_ID).reset(seed=77)[0]["text"] == obs["text"]


def test_bad_actions_get_clear_errors():
    env = DynPlanPOGSEnv()
    env.reset(seed=0)
    for bad, error, message in (
        (20, ValueError, "no such node"),
        ("3", TypeError, "an int in \\[0, 20\\)"),
        (True, TypeError, "an int in \\[0, 20\\)"),
        ({"node": 1}, ValueError, "keys \\['node'\\]"),
        ({"action": 1, "plan": 5}, TypeError, "plan of type"),
    ):
        with pytest.raises(error, match=message):
            env.step(bad)
    env.step(np.int64(env.tree[env.current][0]))


@pytest.mark.parametrize("env_id", [dynplan_gym.POGS_ENV_ID, dynplan_gym.POGS_HARD_ENV_ID])
def test_the_expert_reads_its_observations_and_reaches_every_target(env_id):
    env = gym.make(env_id)
    agent = POGSExpertAgent()
    for seed in range(100, 140):
        agent.reset(1)
        obs, info = env.reset(seed=seed)
        done = False
        while not done:
            decision = agent.act([obs], [{**info, "slot": 0}])[0]
            obs, _, terminated, truncated, info = env.step(decision.env_action())
            assert not info["invalid_move"]
            done = terminated or truncated
        assert terminated
        # the same search as the one that defines the hard variant, from observations only
        assert agent._slots[0]["search"].backtracks == env.unwrapped.search_backtracks


@pytest.mark.parametrize(
    ("answer", "node", "valid"),
    [
        ("Action: 12", 12, True),
        ("<plan>Go to 4, then 7.</plan>\nAction: 4", 4, True),
        ("I move to node 7", 7, True),
        ("no idea", None, False),
        ("<plan>explore 9", None, False),  # unclosed: the 9 belongs to the plan
    ],
)
def test_the_parser_reads_a_node_number(answer, node, valid):
    from agents.parser import parse_output

    parsed = parse_output(answer, "pogs")
    assert (parsed.action, parsed.valid) == (node, valid)


def test_an_llm_agent_plays_pogs_unchanged(tiny_backend):
    from agents.llm_agent import LLMAgent
    from agents.prompts import PromptConfig

    agent = LLMAgent(tiny_backend, "dynamic", PromptConfig(env="pogs"), temperature=1.0)
    env = DynPlanPOGSEnv(max_steps=4)
    agent.reset(1)
    obs, info = env.reset(seed=0)
    for _ in range(4):
        decision = agent.act([obs], [{**info, "slot": 0}])[0]
        assert 0 <= decision.action < 20  # a random model's garbage: stay where it is
        assert decision.valid or decision.action == obs["current"]
        obs, _, terminated, truncated, info = env.step(decision.env_action())
        if terminated or truncated:
            break
    prompt = agent.last_prompts[0]
    assert "searching a graph" in prompt[0]["content"] and "Visible nodes" in prompt[1]["content"]


def test_seeds_and_sizes_are_checked_with_the_range_they_accept():
    import numpy as np

    env = DynPlanPOGSEnv()
    first, _ = env.reset(seed=np.int64(5))  # numpy ints, as Crafter takes them
    again, _ = env.reset(seed=5)
    assert first["text"] == again["text"]
    for seed in (-1, 2**31, 2**64, 1.5, True):
        with pytest.raises(ValueError, match=r"seed must be an int in \[0, 2147483647\]"):
            env.reset(seed=seed)
    with pytest.raises(ValueError, match="num_nodes must be <= 500"):
        DynPlanPOGSEnv(num_nodes=10**6)

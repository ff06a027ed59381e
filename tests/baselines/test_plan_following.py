"""Plans that carry the action: the executor teacher, the hidden-plan control, the probe."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from agents.expert import ID, UNKNOWN
from agents.gate import feasible_subgoals
from agents.prompt_executor import PromptExecutor, checked
from agents.prompts import EpisodeMemory, PromptBuilder
from baselines.plan_probe import ProbeConfig, probe, without_plans
from baselines.planning_data import ALTERNATIVE_PLAN, DataConfig, env_and_expert, generate
from dynplan_cli import main

EXECUTOR = {
    "actor": "executor",
    "view_grid": True,
    "trajectories": 4,
    "max_steps": 120,
    "first_env_seed": 21_000,
    "schedule_weights": {"every": 1, "dynamic": 1},
}
AGE = re.compile(r"Your current plan \(made (\d+) steps? ago\)")


def _samples(path: Path) -> list[dict]:
    return [json.loads(line) for line in (path / "samples.jsonl").read_text().splitlines()]


def _walk(config: DataConfig, samples: list[dict]):
    """(sample, obs, info, the prompt's memory) at each recorded step, replayed in the env."""
    env, _ = env_and_expert(config)
    for sample in samples:
        meta = sample["meta"]
        if meta["step"] == 0:
            obs, info = env.reset(seed=meta["seed"])
            memory = EpisodeMemory()
        memory.observe(obs, info)
        yield sample, obs, info, memory
        obs, _, _, _, info = env.step({"action": meta["action"], "plan": meta["plan"]})


@pytest.mark.parametrize("checks", [False, True])
def test_the_executor_carries_out_the_plan_in_force(tmp_path, checks):
    config = DataConfig(**EXECUTOR, executor_checks=checks)
    card = generate(config, tmp_path / "a", progress=False)
    assert " --actor executor" in card["command"] and 0 < card["teacher"]["mean"] <= 1
    assert ("--executor-checks" in card["command"]) == checks
    samples = _samples(tmp_path / "a")
    kinds = PromptBuilder(config.prompt_config()).config.remembered_kinds
    executor = PromptExecutor(kinds, checks=checks)
    differs = 0
    for sample, obs, info, memory in _walk(config, samples):
        subgoal = sample["meta"]["subgoal"].replace(" ", "_")
        assert executor(obs, info, subgoal, memory.map) == sample["meta"]["action"]
        others = {PromptExecutor(kinds)(obs, info, s, memory.map) for s in ("explore", "eat_cow")}
        differs += sample["meta"]["action"] not in others
    assert differs > 0.2 * len(samples)  # another plan would often have moved otherwise
    main([*card["command"].split()[1:], "--out", str(tmp_path / "b"), "--no-progress"])
    written = [(tmp_path / d / "samples.jsonl").read_bytes() for d in "ab"]
    assert written[0] == written[1]


def _info(sleeping: bool = False, **inventory: int) -> dict:
    return {"inventory": inventory, "sleeping": sleeping, "achievements": {}, "step": 5}


class _Beside:
    """A policy stand-in that reports which stations stand beside the player."""

    def __init__(self, *kinds: str) -> None:
        self.kinds = {ID[k] for k in kinds}

    def _near(self, kind: int) -> bool:
        return kind in self.kinds


@pytest.mark.parametrize(
    ("subgoal", "info", "beside", "asked"),
    [
        ("make_wood_pickaxe", _info(wood=0), (), "collect_wood"),  # the material first
        ("make_wood_pickaxe", _info(wood=1), ("table",), "make_wood_pickaxe"),
        ("make_wood_pickaxe", _info(wood=3, wood_pickaxe=1), ("table",), "explore"),  # done
        ("make_stone_pickaxe", _info(wood=0), (), "collect_wood"),
        ("make_stone_pickaxe", _info(wood=1), (), "make_wood_pickaxe"),  # stone -> its pickaxe
        ("make_stone_pickaxe", _info(wood=1, wood_pickaxe=1), (), "collect_stone"),
        ("collect_iron", _info(wood=1, stone=1, wood_pickaxe=1), (), "make_stone_pickaxe"),
        ("place_table", _info(wood=0), (), "collect_wood"),
        ("place_table", _info(wood=5), ("table",), "explore"),  # one stands beside already
        ("place_furnace", _info(stone=1, wood_pickaxe=1), (), "collect_stone"),
        ("place_stone", _info(stone=1), (), "place_stone"),  # placed again and again: not done
        ("sleep", _info(sleeping=False), (), "explore"),  # awake: the nap is over
        ("sleep", _info(sleeping=True), (), "sleep"),
        ("collect_drink", _info(), (), "collect_drink"),
    ],
)
def test_a_checked_executor_reads_what_the_plan_needs_first_and_when_it_is_done(
    subgoal, info, beside, asked
):
    assert checked(subgoal, info, _Beside(*beside)) == asked


def test_executor_checks_need_the_executor():
    with pytest.raises(ValueError, match="--executor-checks needs --actor executor"):
        DataConfig(executor_checks=True)


def test_the_executor_knows_only_the_window_and_the_remembered_cells_the_prompt_names(tmp_path):
    config = DataConfig(**{**EXECUTOR, "trajectories": 1})
    generate(config, tmp_path, progress=False)
    kinds = config.prompt_config().remembered_kinds
    checked = 0
    for sample, obs, info, memory in _walk(config, _samples(tmp_path)):
        if sample["meta"]["step"] < 60:
            continue
        known = PromptExecutor(kinds).map_of(obs, info, memory.map).terrain != UNKNOWN
        x, y = info["player_pos"]
        window = np.zeros_like(known)
        window[max(x - 4, 0) : x + 5, max(y - 3, 0) : y + 4] = True
        named = {cell for _, cell in memory.map.nearest_cells_out_of_view(kinds)}
        outside = {tuple(int(v) for v in c) for c in np.argwhere(known & ~window)}
        assert outside == named and len(named) == len(memory.map.nearest_out_of_view(kinds))
        checked += 1
    assert checked > 20


def test_hidden_plans_give_the_same_trajectories_with_no_plan_anywhere(tmp_path):
    planner = generate(DataConfig(**EXECUTOR), tmp_path / "p", progress=False)
    hidden = generate(DataConfig(**EXECUTOR, hide_plans=True), tmp_path / "h", progress=False)
    assert hidden["command"] == planner["command"] + " --hide-plans"
    plans, controls = _samples(tmp_path / "p"), _samples(tmp_path / "h")
    key = [(s["meta"]["seed"], s["meta"]["step"], s["meta"]["action"]) for s in plans]
    assert key == [(s["meta"]["seed"], s["meta"]["step"], s["meta"]["action"]) for s in controls]
    assert any("<plan>" in s["messages"][-1]["content"] for s in plans)
    assert any(AGE.search(s["messages"][-2]["content"]) for s in plans)
    for sample in controls:
        prompt, answer = sample["messages"][-2]["content"], sample["messages"][-1]["content"]
        assert "<plan>" not in answer and not AGE.search(prompt)
        assert prompt.endswith("Answer with the name of one action only.")


def test_dynamic_executor_plans_last_at_most_the_longest_interval(tmp_path):
    config = DataConfig(**{**EXECUTOR, "schedule_weights": {"dynamic": 1}, "max_steps": 200})
    generate(config, tmp_path, progress=False)
    found = (AGE.search(s["messages"][-2]["content"]) for s in _samples(tmp_path))
    ages = [int(m.group(1)) for m in found if m]
    assert ages and max(ages) <= config.k_range[1]


def test_alternative_plans_name_other_subgoals_the_rules_allow(tmp_path):
    config = DataConfig(**{**EXECUTOR, "alternatives": 0.5})
    card = generate(config, tmp_path, progress=False)
    assert card["command"].endswith(" --alternatives 0.5")
    opening = ALTERNATIVE_PLAN.split("{goal}")[1]
    alternatives = 0
    for sample, _, info, _ in _walk(config, _samples(tmp_path)):
        if opening in sample["meta"]["plan"]:
            alternatives += 1
            subgoal = sample["meta"]["subgoal"].replace(" ", "_")
            assert subgoal in feasible_subgoals(info["inventory"])
    assert alternatives >= 3
    with pytest.raises(ValueError, match="--alternatives must be"):
        DataConfig(alternatives=0.5, trajectories=2, max_steps=10)
    with pytest.raises(ValueError, match="carries out the expert's plans"):
        DataConfig(actor="executor", plans="hindsight", trajectories=2, max_steps=10)


def _synthetic(rng: np.random.Generator, plan_decides: bool, n: int = 1600) -> list[dict]:
    """Samples whose action is named by the plan in force (or drawn apart from it)."""
    directions = ["north", "south", "east", "west"]
    samples = []
    for i in range(n):
        goal = int(rng.integers(4))
        action = goal if plan_decides else int(rng.integers(4))
        noise = " ".join(rng.choice(["tree", "stone", "water", "grass"], 5))
        prompt = (
            f"Your current plan (made 2 steps ago):\nGo {directions[goal]}.\n\n"
            f"Current observation (step {i % 50}):\nYou see: {noise}"
        )
        samples.append(
            {
                "messages": [
                    {"role": "user", "content": prompt},
                    {"role": "assistant", "content": "x"},
                ],
                "meta": {"seed": i // 50, "action": action},
            }
        )
    return samples


def test_the_probe_finds_information_only_where_the_plan_decides_the_action():
    rng = np.random.default_rng(0)
    config = ProbeConfig(epochs=6)
    decided = probe(_synthetic(rng, True), config)
    assert decided["with_plans"] > 0.9 and decided["information"] > 0.5
    apart = probe(_synthetic(rng, False), config)
    assert abs(apart["information"]) < 0.1
    assert "Go north" not in without_plans(_synthetic(rng, True, 1)[0]["messages"][0]["content"])


def test_the_probe_from_the_command_line(tmp_path, capsys):
    config = DataConfig(**{**EXECUTOR, "trajectories": 3, "max_steps": 60})
    generate(config, tmp_path, progress=False)
    argv = ["diagnose", "--probe", "--data", str(tmp_path), "--json", str(tmp_path / "r.json")]
    assert main(argv) == 0
    assert "the plans' information" in capsys.readouterr().out
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["information"] == pytest.approx(report["with_plans"] - report["without_plans"])


class _Follower:
    """Plans `plan` once, then does what the prompt executor does for its `subgoal`."""

    name = "follower"

    def __init__(self, plan="Collect wood.", subgoal="collect_wood", checks=False) -> None:
        self.plan, self.subgoal, self.checks = plan, subgoal, checks

    def reset(self, n: int) -> None:
        kinds = DataConfig().prompt_config().remembered_kinds
        self.memories = [EpisodeMemory() for _ in range(n)]
        self.executors = [PromptExecutor(kinds, checks=self.checks) for _ in range(n)]

    def act(self, observations, infos):
        from agents.protocol import Decision

        decisions = []
        for slot, (obs, info) in enumerate(zip(observations, infos, strict=True)):
            slot = info.get("slot", slot)
            if info["step"] == 0:
                self.memories[slot] = EpisodeMemory()
            self.memories[slot].observe(obs, info)
            action = self.executors[slot](obs, info, self.subgoal, self.memories[slot].map)
            decisions.append(Decision(action, "" if info["step"] else self.plan))
        return decisions


def test_plan_following_measures_whether_actions_carry_out_the_plan_in_force(tmp_path):
    from dataclasses import replace

    from agents.random_agent import RandomAgent
    from baselines.plan_following import plan_following
    from leaderboard.evaluate import evaluate

    evaluate(_Follower(), "crafter-quick", tmp_path / "f", progress=False)
    follower = plan_following(tmp_path / "f")
    assert follower["steps"] == follower["steps_with_a_subgoal_in_force"] == 120
    assert follower["follows_own_plan"] == 1.0 and follower["there_follows_own_plan"] == 1.0
    with_ties = plan_following(tmp_path / "f", episodes=1, ties=True)
    assert with_ties["follows_own_plan"] == 1.0 and with_ties["ties"]
    assert 0 < with_ties["steps_where_the_plan_allows_several_actions"] < 1  # L-shaped walks

    class PlanningRandom(RandomAgent):
        def act(self, observations, infos):
            decisions = super().act(observations, infos)
            return [replace(d, plan="Collect wood.") for d in decisions]

    evaluate(PlanningRandom(seed=0), "crafter-quick", tmp_path / "r", progress=False)
    assert plan_following(tmp_path / "r")["follows_own_plan"] < 0.5


def test_plan_following_measures_against_the_checked_executor_of_checked_data(tmp_path):
    from baselines.plan_following import plan_following
    from leaderboard.evaluate import evaluate

    checked = _Follower("Make a wood pickaxe.", "make_wood_pickaxe", checks=True)
    evaluate(checked, "crafter-quick", tmp_path, progress=False)
    report = plan_following(tmp_path, checks=True)
    assert report["checks"] and report["follows_own_plan"] == 1.0
    assert plan_following(tmp_path)["follows_own_plan"] < 1.0  # the literal executor differs

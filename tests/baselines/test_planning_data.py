"""Synthetic planning data: deterministic, disjoint from evaluation, parses back exactly."""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import pytest

from agents.parser import parse_output
from baselines.planning_data import (
    HINDSIGHT_WORDING,
    PLAN_STYLES,
    DataConfig,
    env_and_expert,
    generate,
    goal_text,
    hindsight_plan,
)
from dynplan_cli import main

SMALL = {"trajectories": 6, "max_steps": 60, "first_env_seed": 20_000}


def _samples(path):
    return [json.loads(line) for line in (path / "samples.jsonl").read_text().splitlines()]


def test_deterministic(tmp_path):
    config = DataConfig(schedule_weights={"every": 1, "dynamic": 1}, **SMALL)
    generate(config, tmp_path / "a", progress=False)
    generate(config, tmp_path / "b", progress=False)
    digest = [
        hashlib.sha256((tmp_path / d / "samples.jsonl").read_bytes()).hexdigest() for d in "ab"
    ]
    assert digest[0] == digest[1]


def test_training_seeds_never_touch_evaluation_seeds():
    with pytest.raises(ValueError, match="overlap the leaderboard's evaluation seeds"):
        DataConfig(trajectories=5, first_env_seed=97)
    with pytest.raises(ValueError, match="schedule weights"):
        DataConfig(schedule_weights={"sometimes": 1})


def test_every_sample_parses_back_to_the_experts_action_and_plan(tmp_path):
    config = DataConfig(
        schedule_weights={"every": 1, "dynamic": 1, "always": 1, "never": 1},
        trajectories=12,
        max_steps=40,
        first_env_seed=30_000,
    )
    generate(config, tmp_path, progress=False)
    samples = _samples(tmp_path)
    for sample in samples:
        assert [m["role"] for m in sample["messages"]] == ["system", "user", "assistant"]
        parsed = parse_output(sample["messages"][-1]["content"])
        assert parsed.valid and parsed.action == sample["meta"]["action"]
        assert (parsed.plan or "") == sample["meta"]["plan"]


def test_schedules_give_the_plan_rates_they_promise(tmp_path):
    config = DataConfig(
        schedule_weights={"every": 1, "always": 1, "never": 1, "dynamic": 1},
        trajectories=16,
        max_steps=50,
        first_env_seed=40_000,
    )
    card = generate(config, tmp_path, progress=False)
    by_trajectory = defaultdict(list)
    for sample in _samples(tmp_path):
        by_trajectory[sample["meta"]["seed"]].append(sample["meta"])
    kinds = set()
    for steps in by_trajectory.values():
        schedule = steps[0]["schedule"]
        kinds.add(schedule.split(":")[0])
        plans = sum(bool(s["plan"]) for s in steps)
        if schedule == "always":
            assert plans == len(steps)
        elif schedule == "never":
            assert plans == 0
        elif schedule.startswith("every:"):
            k = int(schedule.split(":")[1])
            assert 2 <= k <= 12 and plans == math.ceil(len(steps) / k)
            assert all(bool(s["plan"]) == (s["step"] % k == 0) for s in steps)
        else:  # dynamic: at subgoal changes (and harm), between never and always
            assert 0 < plans < len(steps)
    assert len(kinds) >= 3 and 0 < card["plan_rate"] < 1
    assert set(card["styles"]) == set(PLAN_STYLES)


def test_plan_styles_are_distinct():
    plan = "Collect 4 wood. The nearest tree I have seen is 3 steps to your north-east."
    written = {name: style(plan, "collect wood") for name, style in PLAN_STYLES.items()}
    assert len(PLAN_STYLES) >= 8 and len(set(written.values())) == len(written)


def test_cli_prints_the_card(tmp_path, capsys):
    assert (
        main(
            [
                "data",
                "crafter",
                "--out",
                str(tmp_path),
                "--trajectories",
                "3",
                "--max-steps",
                "20",
                "--first-env-seed",
                "50000",
                "--no-progress",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "samples" in out and "plan_rate" in out and (tmp_path / "card.json").exists()


def _assert_the_command_regenerates(card: dict, first: Path, second: Path) -> None:
    """The card's `dynplan data` command writes `first`'s samples again, byte for byte."""
    argv = [*card["command"].split()[1:], "--out", str(second), "--no-progress"]
    assert main(argv) == 0
    assert (first / "samples.jsonl").read_bytes() == (second / "samples.jsonl").read_bytes()


def test_the_cards_command_regenerates_the_same_samples(tmp_path):
    config = DataConfig(schedule_weights={"every": 2, "never": 1}, seed=3, **SMALL)
    card = generate(config, tmp_path / "a", progress=False)
    _assert_the_command_regenerates(card, tmp_path / "a", tmp_path / "b")


def test_the_prompt_is_an_option_the_card_records_and_its_command_repeats(tmp_path):
    config = DataConfig(history_length=2, recent_actions=0, map_memory=False, **SMALL)
    card = generate(config, tmp_path / "a", progress=False)
    assert card["prompt"]["history_length"] == 2 and card["prompt"]["remembered_kinds"] == []
    assert "--history 2 --recent-actions 0 --no-map-memory" in card["command"]
    user = [s["messages"][1]["content"] for s in _samples(tmp_path / "a")]
    assert any("Step 1 observation" in u for u in user)
    assert not any("You remember" in u or "last actions" in u for u in user)
    _assert_the_command_regenerates(card, tmp_path / "a", tmp_path / "b")
    default = generate(DataConfig(**SMALL), tmp_path / "c", progress=False)
    assert any("You remember" in s["messages"][1]["content"] for s in _samples(tmp_path / "c"))
    assert "--history" not in default["command"] and "--no-map-memory" not in default["command"]
    with pytest.raises(ValueError, match="recent_actions"):
        DataConfig(recent_actions=-1, **SMALL)


def test_pogs_neighbours_are_a_prompt_option_the_card_records_and_its_command_repeats(tmp_path):
    config = DataConfig(env="pogs", trajectories=6, max_steps=30, neighbours=True)
    card = generate(config, tmp_path / "a", progress=False)
    assert card["prompt"]["neighbours"] and card["command"].endswith(" --neighbours")
    assert all("\n\nNext to node " in s["messages"][1]["content"] for s in _samples(tmp_path / "a"))
    _assert_the_command_regenerates(card, tmp_path / "a", tmp_path / "b")
    with pytest.raises(ValueError, match="Crafter has none"):
        DataConfig(neighbours=True, **SMALL)


def test_the_instruction_can_be_left_out_and_the_card_records_it(tmp_path):
    card = generate(DataConfig(instruction=False, **SMALL), tmp_path / "a", progress=False)
    assert card["prompt"]["instruction"] is False and card["command"].endswith(" --no-instruction")
    samples = _samples(tmp_path / "a")
    assert all([m["role"] for m in s["messages"]] == ["user", "assistant"] for s in samples)
    _assert_the_command_regenerates(card, tmp_path / "a", tmp_path / "b")
    generate(DataConfig(**SMALL), tmp_path / "c", progress=False)
    with_it = _samples(tmp_path / "c")
    assert all(s["messages"][0]["role"] == "system" for s in with_it)
    assert [s["messages"][1:] for s in with_it] == [s["messages"] for s in samples]


def test_the_observation_text_is_a_preset_the_card_records_and_its_command_repeats(tmp_path):
    config = DataConfig(text_options="balrog", **SMALL)
    card = generate(config, tmp_path / "a", progress=False)
    assert card["prompt"]["text_options"] == "balrog" and "--text-options balrog" in card["command"]
    user = [s["messages"][1]["content"] for s in _samples(tmp_path / "a")]
    assert "Current observation (step 0):\nYour status:\n" in user[0]  # BALROG's layout
    assert any("- grass " in u for u in user)  # BALROG's options list open ground
    _assert_the_command_regenerates(card, tmp_path / "a", tmp_path / "b")
    default = generate(DataConfig(**SMALL), tmp_path / "c", progress=False)
    assert (
        default["prompt"]["text_options"] == "dynplan"
        and "--text-options" not in default["command"]
    )
    assert not any("- grass " in s["messages"][1]["content"] for s in _samples(tmp_path / "c"))
    with pytest.raises(ValueError, match="expected one of"):
        DataConfig(text_options="BALROG", **SMALL)


def _replay(config: DataConfig, samples: list[dict], key: str) -> None:
    """Playing each sample's `meta[key]` from its seed shows the next sample's observation."""
    env, _ = env_and_expert(config)
    for sample in samples:
        if sample["meta"]["step"] == 0:
            obs, _ = env.reset(seed=sample["meta"]["seed"])
        assert obs["text"] in sample["messages"][-2]["content"]
        obs, *_ = env.step(sample["meta"][key])


def test_a_trained_policy_can_act_while_the_expert_writes_the_plans(tmp_path):
    config = DataConfig(actor="sb3:sb3-ppo", schedule_weights={"dynamic": 1}, **SMALL)
    card = generate(config, tmp_path / "a", progress=False)
    assert card["command"].endswith(" --actor sb3:sb3-ppo")
    samples = _samples(tmp_path / "a")
    _replay(config, samples, "action")  # the answers are the actions the env ran
    assert sum(bool(s["meta"]["plan"]) for s in samples) >= SMALL["trajectories"]  # the expert's
    experts = _samples_of(DataConfig(schedule_weights={"dynamic": 1}, **SMALL), tmp_path / "e")
    firsts = [
        [s["meta"]["action"] for s in x if s["meta"]["step"] < 20] for x in (samples, experts)
    ]
    assert firsts[0] != firsts[1]  # the policy's actions, not the expert's
    never = _samples_of(
        DataConfig(actor="sb3:sb3-ppo", schedule_weights={"never": 1}, **SMALL), tmp_path / "n"
    )
    assert [s["meta"]["action"] for s in never] == [s["meta"]["action"] for s in samples]
    assert all(not s["meta"]["plan"] for s in never)  # same trajectories, the plans left out
    _assert_the_command_regenerates(card, tmp_path / "a", tmp_path / "b")
    with pytest.raises(ValueError, match="unknown SB3 policy"):
        DataConfig(actor="sb3:no-such-policy", **SMALL)
    with pytest.raises(ValueError, match="--actor must be"):
        DataConfig(actor="random", **SMALL)


def _samples_of(config: DataConfig, out: Path) -> list[dict]:
    generate(config, out, progress=False)
    return _samples(out)


def test_noise_plays_random_actions_and_the_expert_labels_where_it_lands(tmp_path):
    config = DataConfig(noise=0.5, schedule_weights={"never": 1}, **SMALL)
    card = generate(config, tmp_path / "a", progress=False)
    assert card["command"].endswith(" --noise 0.5")
    samples = _samples(tmp_path / "a")
    _replay(config, samples, "played")
    swapped = sum(s["meta"]["played"] != s["meta"]["action"] for s in samples) / len(samples)
    assert 0.35 < swapped < 0.6  # half the steps draw one of 17 actions
    env, expert = env_and_expert(config)
    expert.reset(1)
    for sample in samples:  # an expert walked along the played actions gives every answer
        meta = sample["meta"]
        if meta["step"] == 0:
            obs, info = env.reset(seed=meta["seed"])
        decision = expert.act([obs], [{**info, "slot": 0}])[0]
        assert decision.action == meta["action"]
        parsed = parse_output(sample["messages"][-1]["content"])
        assert parsed.valid and parsed.action == meta["action"]
        expert.follow([meta["played"]], [{**info, "slot": 0}])
        obs, _, _, _, info = env.step(meta["played"])
    _assert_the_command_regenerates(card, tmp_path / "a", tmp_path / "b")
    with pytest.raises(ValueError, match="--noise must be in"):
        DataConfig(noise=1.0, **SMALL)


def test_hindsight_plans_name_what_the_player_unlocks_next():
    events = [[], ["collect_wood"], ["collect_wood"], [], ["place_table"], ["make_wood_pickaxe"]]
    events += [["collect_drink"]] + [[]] * 60 + [["eat_cow"]]
    assert hindsight_plan(events, 0, most=3) == (
        "Collect wood. Place table. Make wood pickaxe.",
        "collect_wood",
    )
    assert hindsight_plan(events, 5, most=3) == (
        "Make wood pickaxe. Drink water.",
        "make_wood_pickaxe",
    )
    assert hindsight_plan(events, 7, most=3) == (
        "Explore to find new resources.",
        "explore",
    )  # 50 ahead
    assert hindsight_plan(events, 0, most=1) == ("Collect wood.", "collect_wood")


def _unlocked_after_each_step(config: DataConfig, samples: list[dict]) -> dict[int, list[str]]:
    """Per seed, the first achievement each step's action unlocks ('' for none), replayed."""
    env, _ = env_and_expert(config)
    unlocked: dict[int, list[str]] = defaultdict(list)
    for sample in samples:
        if sample["meta"]["step"] == 0:
            _, info = env.reset(seed=sample["meta"]["seed"])
        before = dict(info["achievements"])
        _, _, _, _, info = env.step(sample["meta"]["action"])
        new = [name for name, n in info["achievements"].items() if n > before[name]]
        unlocked[sample["meta"]["seed"]].append(new[0] if new else "")
    return unlocked


def test_hindsight_plans_say_what_the_actions_after_them_do(tmp_path):
    sizes = {**SMALL, "max_steps": 150}
    config = DataConfig(
        actor="sb3:sb3-ppo",
        plans="hindsight",
        schedule_weights={"every": 1, "dynamic": 1},
        **sizes,
    )
    card = generate(config, tmp_path / "a", progress=False)
    assert card["command"].endswith(" --actor sb3:sb3-ppo --plans hindsight")
    samples = _samples(tmp_path / "a")
    _replay(config, samples, "action")
    unlocked = _unlocked_after_each_step(config, samples)
    goals_in_force: dict[int, str] = {}
    planned = 0
    for sample in samples:
        meta = sample["meta"]
        ahead = [name for name in unlocked[meta["seed"]][meta["step"] : meta["step"] + 50] if name]
        goal = goal_text(ahead[0]) if ahead else "explore"
        assert meta["subgoal"] == goal
        if meta["schedule"] == "dynamic" and goal != goals_in_force.get(meta["seed"]):
            assert meta["plan"]  # the next achievement changed: a new plan
        if meta["plan"]:
            planned += 1
            goals_in_force[meta["seed"]] = goal
            words = HINDSIGHT_WORDING.get(ahead[0], goal.capitalize()) if ahead else "Explore"
            assert words.lower() in meta["plan"].lower()  # it names the next achievement
    assert planned >= sizes["trajectories"]
    experts = _samples_of(replace(config, plans="expert"), tmp_path / "e")
    assert [s["meta"]["action"] for s in experts] == [s["meta"]["action"] for s in samples]
    _assert_the_command_regenerates(card, tmp_path / "a", tmp_path / "b")
    with pytest.raises(ValueError, match="--plans must be"):
        DataConfig(plans="future", **SMALL)
    with pytest.raises(ValueError, match="--plans must be"):
        DataConfig(env="pogs", plans="hindsight", **{**SMALL, "max_steps": 30})
    with pytest.raises(SystemExit, match=r"^dynplan data: --plans must be expert or"):
        main(["data", "crafter", "--plans", "future"])
    with pytest.raises(SystemExit, match=r"^dynplan data: --hindsight-goals must be >= 1"):
        main(["data", "crafter", "--plans", "hindsight", "--hindsight-goals", "0"])


def test_the_view_grid_is_a_prompt_option_the_card_records_and_its_command_repeats(tmp_path):
    card = generate(DataConfig(view_grid=True, **SMALL), tmp_path / "a", progress=False)
    assert card["prompt"]["view_grid"] is True and card["command"].endswith(" --view-grid")
    assert all(
        "Around you (north up" in s["messages"][1]["content"] for s in _samples(tmp_path / "a")
    )
    _assert_the_command_regenerates(card, tmp_path / "a", tmp_path / "b")

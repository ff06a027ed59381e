"""Planner/actor pairs: the plan reader, the pair agent, `play`/`eval --planner --actor`, and
the steering experiment."""

from __future__ import annotations

import json
from pathlib import Path

import gymnasium as gym
import pytest

import dynplan_gym
from agents.gate import ExpertExecutor, ExpertMind
from agents.pair import HumanActor, PlannerActorAgent, make_actor, make_pair, make_planner
from agents.plan_reader import PlanProgress, read_plan
from dynplan_cli import main
from dynplan_gym import multiagent

PLANS = Path(__file__).resolve().parents[2] / "agents" / "data" / "plans"


def _info(**inventory) -> dict:
    base = dict.fromkeys(("health", "food", "drink", "energy"), 9)
    return {"inventory": {**base, **inventory}, "achievements": {}, "step": 5}


def test_the_reader_finds_steps_in_order_with_counts_and_standing_orders():
    read = read_plan("Take at least 6 wood, Place Table, then Make Wood Pickaxe. Drink when low.")
    assert [(s.subgoal, s.count) for s in read.steps] == [
        ("collect_wood", 6),
        ("place_table", 1),
        ("make_wood_pickaxe", 1),  # the longest phrase wins over "wood"
    ]
    assert read.needs == ("collect_drink",)
    assert read_plan("Wander about and look around.").steps == ()


def test_progress_works_through_the_steps_and_keeps_them_done():
    progress = PlanProgress("Collect 2 wood, then Place Table. Drink water and eat a cow.")
    assert progress.next_subgoal(_info(wood=1)) == "collect_wood"
    assert progress.next_subgoal(_info(wood=2)) == "place_table"
    assert progress.next_subgoal(_info(wood=0)) == "place_table"  # done stays done
    info = _info(wood=0)
    info["achievements"] = {"place_table": 1}
    assert progress.next_subgoal(info) == "explore"  # finished
    assert progress.next_subgoal(_info(drink=4)) == "collect_drink"  # a standing order
    assert progress.next_subgoal(_info(drink=8)) == "collect_drink"  # held until full
    assert progress.next_subgoal(_info(drink=9)) == "explore"
    fight = PlanProgress("Collect wood and fight zombies.")
    assert fight.next_subgoal(_info(), monster_adjacent=True) == "defeat_zombie"
    assert fight.next_subgoal(_info()) == "collect_wood"


def test_expert_plans_still_name_one_subgoal():
    executor = ExpertExecutor(ExpertMind())
    assert executor.subgoal("collect_stone: Mine stone.", _info()) == "collect_stone"
    assert executor.subgoal("note: collect wood", _info()) == "collect_wood"  # not a subgoal
    assert executor.subgoal("", _info()) == "explore"


def _play_pair(agent, seed: int, steps: int) -> dict:
    env = gym.make(dynplan_gym.CRAFTER_ENV_ID, text=False, length=steps)
    agent.reset(1)
    obs, info = env.reset(seed=seed)
    done = False
    while not done:
        decision = agent.act([obs], [{**info, "slot": 0}])[0]
        obs, _, terminated, truncated, info = env.step(decision.env_action())
        done = terminated or truncated
    return info


def test_plan_files_steer_the_experts_executor():
    unsteered = _play_pair(make_pair("none", "expert"), seed=500, steps=150)
    steered = _play_pair(make_pair(str(PLANS / "first_tools.txt"), "expert"), seed=500, steps=150)
    assert unsteered["num_plans"] == 0 and not any(unsteered["achievements"].values())
    unlocked = {k for k, v in steered["achievements"].items() if v}
    assert {"collect_wood", "place_table", "make_wood_pickaxe"} <= unlocked


def test_the_runner_plays_a_pair_as_the_pettingzoo_env_does(tmp_path):
    """A pair evaluated by the runner on DynPlanCrafter-v0 and the same pair in the AEC env:
    the same plans, actions and achievements."""
    from leaderboard.protocols import get_protocol
    from leaderboard.runner import EvaluationRun
    from leaderboard.schema import AgentSpec

    protocol = get_protocol("crafter-quick")
    result = EvaluationRun(
        make_pair("expert", "expert"), AgentSpec(name="p", kind="pair"), protocol, tmp_path
    ).run(progress=False)
    planner, actor = make_planner("expert"), make_actor("expert")
    for record in result.episodes:
        env = multiagent.env(length=protocol.max_steps)
        env.reset(seed=record.seed)
        planner.reset(1)
        actor.reset(1)
        for name in env.agent_iter():
            obs, _, terminated, truncated, info = env.last()
            if terminated or truncated:
                env.step(None)
                continue
            party = planner if name == "planner" else actor
            decision = party.act([obs], [{**info, "slot": 0}])[0]
            env.step(decision.plan if name == "planner" else decision.action)
            if env.world.core.step_count >= protocol.max_steps:
                break
        final = env.world.core.state_info()
        assert final["achievements"] == record.achievements
        assert env.world.plan and record.plans > 0


def test_an_llm_actor_reads_the_planners_plan(tiny_backend, tmp_path):
    from agents.llm_agent import LLMAgent

    path = tmp_path / "plans.txt"
    path.write_text("@start\nCollect wood from the tree to the north.\n")
    actor = LLMAgent(tiny_backend, "never")
    agent = PlannerActorAgent(make_planner(str(path)), actor)
    env = gym.make(dynplan_gym.CRAFTER_ENV_ID)
    agent.reset(1)
    obs, info = env.reset(seed=0)
    decision = agent.act([obs], [{**info, "slot": 0}])[0]
    assert decision.plan == "Collect wood from the tree to the north."
    assert decision.plan in actor.last_prompts[0][1]["content"]
    assert decision.completion_tokens > 0


def test_unknown_specs_and_typed_actions():
    with pytest.raises(ValueError, match="unknown planner"):
        make_planner("nope")
    with pytest.raises(ValueError, match="unknown actor"):
        make_actor("plans/first_tools.txt")
    typed = iter(["jump", "move north", "", "5"])
    said = []
    actor = HumanActor(read=lambda _: next(typed), write=said.append)
    actions = [actor.act([{}], [{}])[0].action for _ in range(3)]
    assert actions == [3, 0, 5] and "not an action: 'jump'" in said[0]


def test_play_and_eval_take_a_planner_and_an_actor(tmp_path, capsys, monkeypatch):
    typed = iter(["Collect 3 wood, then Place Table."])
    monkeypatch.setattr("builtins.input", lambda _: next(typed, ""))
    assert main(["play", "--planner", "human", "--actor", "expert", "--steps", "25"]) == 0
    out = capsys.readouterr().out
    assert "new plan (8 tokens" in out and "human > expert" in out
    assert "unlocked collect_wood" in out
    run = tmp_path / "run"
    plans = str(PLANS / "first_tools.txt")
    args = ["eval", "--planner", plans, "--actor", "expert", "--out", str(run), "--no-progress"]
    assert main(args) == 0
    agent = json.loads((run / "result.json").read_text())["agent"]
    assert agent["name"] == "plans:first_tools > expert" and agent["kind"] == "pair"
    for bad, message in (
        (["play", "--planner", "nope", "--actor", "expert"], "unknown planner 'nope'"),
        (["play", "--planner", "expert"], "--planner needs --actor"),
        (["eval", "--actor", "nope"], "unknown actor 'nope'"),
        (["eval", "--agent", "random", "--actor", "expert"], "not both"),
        (["eval"], "give --agent, or --planner and --actor"),
    ):
        with pytest.raises(SystemExit, match=message.replace("(", r"\(").replace(")", r"\)")):
            main(bad)


def test_the_steering_experiment_writes_results_a_plot_and_a_report(tmp_path):
    from baselines.configs import SteeringConfig
    from baselines.steering import run_steering

    config = SteeringConfig(
        out=str(tmp_path / "steering"),
        actors=["expert"],
        protocol="crafter-quick",
        num_envs=4,
        workers=1,
    )
    results = run_steering(config, progress=False)
    runs = results["actors"][0]["runs"]
    assert next(iter(runs)) == "no plans" and list(runs)[-1] == "expert planner"
    assert {f"plans:{p.stem}" for p in PLANS.glob("*.txt")} <= set(runs)
    assert runs["plans:first_tools"]["vs_no_plans"]["difference"] > 0
    assert runs["plans:first_tools"]["vs_no_plans"]["paired"]  # the same seeds in every run
    assert [seed for seed, _ in runs["no plans"]["progression_by_seed"]] == [0, 1, 2, 3]
    assert runs["plans:first_tools"]["success"]["collect_wood"] == 100.0
    out = Path(config.out)
    assert (out / "steering.png").stat().st_size > 10_000
    report = (out / "README.md").read_text()
    assert "| plans:first_tools |" in report and "Human plans that lift it" in report
    assert json.loads((out / "results.json").read_text())["command"].startswith(
        "dynplan experiment steering"
    )
    # The report's replay of a typical episode runs as written.
    import re
    import shlex

    command = re.search(r"`(dynplan replay [^`]+)`", report).group(1)
    assert main([*shlex.split(command)[1:], "--out", str(tmp_path / "typical.html")]) == 0
    assert "plans:" in (tmp_path / "typical.html").read_text()


def test_the_experts_plans_in_the_datas_words():
    """`expert:STYLE` hands in the same plans as `expert`, written as the data writes them."""
    from agents.plan_styles import styled

    env = gym.make(dynplan_gym.CRAFTER_ENV_ID, length=40)
    raw, written = make_planner("expert"), make_planner("expert:goal_then_steps")
    raw.reset(1)
    written.reset(1)
    obs, info = env.reset(seed=3)
    plans = []
    for _ in range(40):
        infos = [{**info, "slot": 0}]
        plain, styled_plan = raw.act([obs], infos)[0].plan, written.act([obs], infos)[0].plan
        assert bool(plain) == bool(styled_plan)  # the same moments
        if plain:
            subgoal, _, sentences = plain.partition(": ")
            assert styled_plan == styled(sentences, subgoal, "goal_then_steps")
            assert styled_plan.startswith(f"Goal: {subgoal.replace('_', ' ')}.")
            plans.append(styled_plan)
        obs, _, _, _, info = env.step({"action": 0, "plan": plain})
    assert plans
    assert make_pair("expert:terse", "expert").name == "expert:terse > expert"
    with pytest.raises(ValueError, match="unknown plan style 'nope'"):
        make_planner("expert:nope")

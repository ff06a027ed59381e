"""POGS on the board and in the data: protocols, result checks, rendering, agents, expert data."""

from __future__ import annotations

import itertools
import json

import pytest

from agents.factory import make_agent
from agents.parser import parse_output
from baselines.planning_data import DataConfig, generate
from dynplan_cli import main
from dynplan_gym.achievements import crafter_score, progression, success_rates
from leaderboard.metrics import compute_metrics
from leaderboard.protocols import EVALUATION_SEEDS, get_protocol
from leaderboard.render import render_html, render_table
from leaderboard.runner import EvaluationRun
from leaderboard.schema import AgentSpec, validate_result
from leaderboard.store import Entry


def _run(spec: str, protocol_id: str, tmp_path, **kwargs):
    protocol = get_protocol(protocol_id)
    agent = make_agent(spec, env=protocol.family, env_kwargs=protocol.make_env_kwargs(), **kwargs)
    run = EvaluationRun(
        agent, AgentSpec(name=spec, kind=spec), protocol, tmp_path / spec, num_envs=8
    )
    return run.run(progress=False)


def test_the_pogs_protocols_are_board_protocols_of_100_seeds_and_30_steps():
    for pid, env_id in (("pogs-standard", "DynPlanPOGS-v0"), ("pogs-hard", "DynPlanPOGS-Hard-v0")):
        protocol = get_protocol(pid)
        assert protocol.family == "pogs" and protocol.env_id == env_id
        assert set(protocol.seeds) == set(EVALUATION_SEEDS) and protocol.max_steps == 30
        assert protocol.make_env_kwargs()["max_steps"] == 30  # POGS's name for the length
        assert "length" not in protocol.make_env_kwargs()
    assert get_protocol("crafter-quick").make_env_kwargs()["length"] == 30


def test_pogs_progression_is_success():
    assert progression({"reach_target": 1}) == 1.0 and progression({"reach_target": 0}) == 0.0
    rates = success_rates([{"reach_target": 1}, {"reach_target": 0}, {"reach_target": 0}])
    assert rates == {"reach_target": pytest.approx(100 / 3)}
    assert crafter_score(rates) == pytest.approx(100 / 3)  # one achievement: its success rate
    with pytest.raises(ValueError, match="unknown achievement names"):
        progression({"reach_target": 1, "collect_wood": 1})


@pytest.fixture(scope="module")
def pogs_results(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pogs")
    return {spec: _run(spec, "pogs-hard", tmp) for spec in ("random", "random-walk", "expert")}


def test_the_expert_and_random_play_a_pogs_protocol_to_valid_results(pogs_results):
    expert = compute_metrics(pogs_results["expert"].episodes)
    random = compute_metrics(pogs_results["random"].episodes)
    assert expert.episodes == random.episodes == 100
    assert expert.progression == 100.0 and expert.return_mean > 99  # all reached, few plans
    assert 8 < expert.length_mean < 20  # the hard variant: ~13.6 steps (docs/environments/pogs.md)
    assert random.progression < 20 and random.return_mean < 0  # mostly invalid moves
    walk = pogs_results["random-walk"].episodes
    assert all(e.task_return in (0.0, 100.0) for e in walk)  # never an invalid move
    assert compute_metrics(walk).progression < expert.progression
    for result in pogs_results.values():
        validate_result(json.loads(result.model_dump_json(by_alias=True)))


def _bad(result, **changes):
    data = json.loads(result.model_dump_json(by_alias=True))
    data["episodes"][0].update(changes)
    with pytest.raises(ValueError) as err:
        validate_result(data)
    return str(err.value)


def test_pogs_results_are_checked_against_pogs_rules(pogs_results):
    expert = pogs_results["expert"]
    first = expert.episodes[0]
    assert "ends (terminated) exactly when" in _bad(expert, terminated=False)
    assert "ends (terminated) exactly when" in _bad(expert, achievements={"reach_target": 2})
    assert "impossible in POGS" in _bad(expert, task_return=150.0, **{"return": 150.0})
    low = 100.0 - first.length - 1
    assert "impossible in POGS" in _bad(expert, task_return=low, **{"return": low})
    crafter = {a: 0 for a in ("collect_wood", "place_table")}
    assert "achievements must" in _bad(expert, achievements=crafter)
    # a Crafter episode on a POGS protocol (valid for Crafter, not for this protocol)
    from dynplan_gym.achievements import ACHIEVEMENTS

    assert "must be pogs's" in _bad(
        expert,
        achievements=dict.fromkeys(ACHIEVEMENTS, 0),
        task_return=0.0,
        **{"return": first.return_ - first.task_return},
    )


def test_the_board_shows_success_return_and_steps_for_pogs(pogs_results):
    entries = [
        Entry(i, r, compute_metrics(r.episodes), "test", "")
        for i, r in enumerate(pogs_results.values(), 1)
    ]
    table = render_table(entries)
    header = table.splitlines()[1]
    assert "success %" in header and "return" in header and "steps" in header
    assert "Crafter score" not in header
    assert table.splitlines()[3].split()[1] == "expert"  # ranked by success
    page = render_html(entries)
    assert "Success vs generated tokens per step" in page
    assert "per-achievement" not in page.lower()


def test_only_the_agents_that_play_pogs_are_made_for_it():
    for spec in ("gate:never", "sb3:sb3-ppo"):
        with pytest.raises(ValueError, match="does not play POGS"):
            make_agent(spec, env="pogs")
    with pytest.raises(ValueError, match="POGS takes none"):
        make_agent("expert", env="pogs", plans="plans/first_tools.txt")


def test_eval_on_pogs_refuses_pairs_in_one_line(capsys):
    with pytest.raises(SystemExit) as err:
        main(["eval", "--planner", "expert", "--actor", "expert", "--protocol", "pogs-standard"])
    assert "pairs play Crafter" in str(err.value)


@pytest.mark.parametrize("env", ["pogs", "pogs-hard"])
def test_pogs_data_parses_back_to_the_experts_moves_and_plans(tmp_path, env):
    config = DataConfig(
        env=env,
        trajectories=30,
        max_steps=30,
        schedule_weights={"every": 1, "dynamic": 1, "never": 1},
        first_env_seed=20_000,
    )
    card = generate(config, tmp_path, progress=False)
    samples = [json.loads(line) for line in (tmp_path / "samples.jsonl").read_text().splitlines()]
    assert card["samples"] == len(samples) and card["prompt"]["env"] == "pogs"
    assert card["command"].startswith(f"dynplan data {env} ")
    for sample in samples:
        assert "searching a graph" in sample["messages"][0]["content"]
        answer = sample["messages"][-1]["content"]
        parsed = parse_output(answer, "pogs")
        assert parsed.valid and parsed.action == sample["meta"]["action"]
        assert (parsed.plan or "") == sample["meta"]["plan"]
        assert answer.endswith(f"Action: {sample['meta']['action']}")
    dynamic = [s for s in samples if s["meta"]["schedule"] == "dynamic"]
    for before, after in itertools.pairwise(dynamic):
        if after["meta"]["seed"] == before["meta"]["seed"]:  # a plan exactly when the goal moves
            changed = after["meta"]["subgoal"] != before["meta"]["subgoal"]
            assert bool(after["meta"]["plan"]) == changed
    # the card's command regenerates the same bytes
    argv = [*card["command"].split()[1:], "--out", str(tmp_path / "again"), "--no-progress"]
    assert main(argv) == 0
    again = (tmp_path / "again" / "samples.jsonl").read_bytes()
    assert again == (tmp_path / "samples.jsonl").read_bytes()

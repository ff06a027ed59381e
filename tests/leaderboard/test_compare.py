"""`dynplan compare`: differences paired by seed where both evaluations played the same seeds."""

from __future__ import annotations

import json
import math
import statistics

import pytest

from dynplan_cli import main
from leaderboard.compare import compare_results, difference
from leaderboard.schema import validate_result
from tests.leaderboard_helpers import episode, result

HARDNESS = [10.0, 20.0, 30.0, 45.0]  # how far each seed's world lets any agent get


def test_pairing_by_seed_cancels_how_hard_each_world_is():
    baseline = list(enumerate(HARDNESS))
    candidate = [(seed, value + 1.0) for seed, value in baseline]
    paired = difference(baseline, candidate)
    assert paired.paired and paired.episodes == 4
    assert paired.difference == pytest.approx(1.0) and paired.se == pytest.approx(0.0)
    assert paired.beyond_2se  # the same gain on every world
    # the same values on other seeds: nothing cancels, and +1 is well within the spread
    moved = [(seed + 100, value) for seed, value in candidate]
    unpaired = difference(baseline, moved)
    spread = statistics.stdev(HARDNESS) / math.sqrt(len(HARDNESS))
    assert not unpaired.paired and not unpaired.beyond_2se
    assert unpaired.difference == pytest.approx(1.0)
    assert unpaired.se == pytest.approx(math.hypot(spread, spread))


def test_the_paired_standard_error_is_that_of_the_differences_seed_by_seed():
    baseline = [(3, 5.0), (1, 7.0), (2, 1.0)]
    candidate = [(1, 9.0), (2, 2.0), (3, 5.5)]  # another order: paired by seed, not position
    gaps = [9.0 - 7.0, 2.0 - 1.0, 5.5 - 5.0]
    d = difference(baseline, candidate)
    assert d.paired and d.difference == pytest.approx(statistics.mean(gaps))
    assert d.se == pytest.approx(statistics.stdev(gaps) / math.sqrt(3))
    # one episode a side: no spread to judge by, so never beyond 2 s.e.
    single = difference([(0, 0.0)], [(0, 50.0)])
    assert single.difference == 50.0 and not single.beyond_2se


def _result(unlocked_by_seed, name, plan_tokens=0, protocol="crafter-quick", length=30):
    episodes = [
        episode(seed, length, unlocked, plans=plan_tokens // 10, plan_tokens=plan_tokens)
        for seed, unlocked in unlocked_by_seed.items()
    ]
    return result(episodes, name=name, protocol_id=protocol)


WOOD = ("collect_wood",)
TABLE = ("collect_wood", "place_table")
BASELINE = {0: WOOD, 1: (), 2: WOOD, 3: ()}
CANDIDATE = {0: TABLE, 1: ("place_table",), 2: TABLE, 3: ("place_table",)}


def test_two_results_compare_progression_task_return_achievements_and_plan_costs():
    comparison = compare_results(
        validate_result(_result(BASELINE, "sft", plan_tokens=30)),
        validate_result(_result(CANDIDATE, "sft+rl", plan_tokens=15)),
    )
    progression = comparison["scores"]["progression"]
    assert progression.paired and progression.difference == pytest.approx(100 / 22)
    assert progression.beyond_2se  # every seed gains place_table
    assert comparison["scores"]["task_return"].difference == pytest.approx(1.0)
    table = comparison["achievements"]["place_table"]
    assert (table.baseline, table.candidate, table.beyond_2se) == (0.0, 100.0, True)
    assert not comparison["achievements"]["collect_wood"].beyond_2se
    costs = comparison["costs"]
    assert costs["baseline"]["plan_tokens_per_step"] == pytest.approx(30 / 30)
    assert costs["candidate"]["plan_tokens_per_step"] == pytest.approx(15 / 30)


def test_evaluations_of_two_protocols_are_refused():
    with pytest.raises(ValueError, match="compare two evaluations of one protocol"):
        compare_results(
            validate_result(_result(BASELINE, "a")),
            validate_result(_result({90: (), 91: ()}, "b", protocol="crafter-smoke", length=2)),
        )


def test_the_command_reads_files_or_eval_directories_and_prints_a_table_or_json(tmp_path, capsys):
    run = tmp_path / "eval-sft"
    run.mkdir()
    (run / "result.json").write_text(json.dumps(_result(BASELINE, "sft", plan_tokens=30)))
    candidate = tmp_path / "rl.json"
    candidate.write_text(json.dumps(_result(CANDIDATE, "sft+rl", plan_tokens=15)))
    assert main(["compare", str(run), str(candidate)]) == 0
    table = capsys.readouterr().out
    assert "sft+rl (4 episodes) against sft (4); paired by seed" in table
    assert "+4.55 ± 0.00" in table and "beyond 2 s.e." in table
    assert "plan tokens / step" in table and "-50 %" in table
    assert "place_table 0 -> 100 %" in table
    assert main(["compare", str(run), str(candidate), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["scores"]["progression"]["beyond_2se"] is True
    assert data["achievements"]["collect_wood"]["difference"] == 0.0


def test_the_demos_summary_pairs_by_seed():
    """`make demo`'s verdict: a strategy one achievement ahead on every world leads by 2 s.e.,
    however differently hard the worlds are (unpaired, their spread would hide it)."""
    from types import SimpleNamespace

    from dynplan_cli.demo import summary
    from leaderboard.metrics import compute_metrics

    worlds = {0: (), 1: WOOD, 2: ("collect_wood", "collect_sapling", "place_plant"), 3: TABLE}
    entries = []
    for name, extra in (("m/never", ()), ("m/dynamic", ("eat_cow",))):
        played = validate_result(
            _result({s: (*u, *extra) for s, u in worlds.items()}, name, plan_tokens=10)
        )
        entries.append(SimpleNamespace(result=played, metrics=compute_metrics(played.episodes)))
    verdict = summary(entries, "m")[2]
    assert verdict.startswith("dynamic leads; by more than 2 s.e. over: never"), verdict

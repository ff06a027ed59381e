"""`make learned` keeps the PPO run that plays best on development seeds."""

from __future__ import annotations

import json

import pytest

from baselines.select_run import main, select_run
from leaderboard.protocols import get_protocol
from tests.leaderboard_helpers import episode, result

PROTOCOL = "crafter-smoke"


def _evaluation(tmp_path, run: str, unlocked: tuple[str, ...], protocol: str = PROTOCOL):
    """An evaluation directory of the adapter `run`, each episode unlocking `unlocked`."""
    spec = get_protocol(protocol)
    episodes = [episode(s, length=spec.max_steps, unlocked=unlocked) for s in spec.seeds]
    data = result(episodes, protocol_id=protocol)
    data["agent"] = {"name": run, "kind": "llm", "adapter": str(tmp_path / run)}
    out = tmp_path / f"eval-{protocol}-{run}"
    out.mkdir(parents=True)
    (out / "result.json").write_text(json.dumps(data))
    return out


def test_the_run_with_the_higher_progression_is_chosen_and_its_scores_written(tmp_path, capsys):
    weak = _evaluation(tmp_path, "rl-seed0", ("collect_wood",))
    strong = _evaluation(tmp_path, "rl-seed1", ("collect_wood", "place_table"))
    selection = select_run([weak, strong])
    run = str(tmp_path / "rl-seed1")
    assert selection["chosen"] == run and selection["protocol"] == PROTOCOL
    assert selection["scores"][run]["progression"] == 100 * 2 / 22
    assert selection["scores"][str(tmp_path / "rl-seed0")]["progression"] == 100 * 1 / 22
    out = tmp_path / "selection.json"
    assert main([str(out), str(strong), str(weak)]) == 0
    assert capsys.readouterr().out.strip() == run
    assert json.loads(out.read_text())["chosen"] == run


def test_ties_keep_the_first_evaluation_named(tmp_path):
    first = _evaluation(tmp_path, "rl-seed0", ("collect_wood",))
    second = _evaluation(tmp_path, "rl-seed1", ("collect_sapling",))
    assert select_run([first, second])["chosen"] == str(tmp_path / "rl-seed0")
    assert select_run([second, first])["chosen"] == str(tmp_path / "rl-seed1")


def test_bad_evaluations_are_one_clear_line_and_write_nothing(tmp_path, capsys):
    evaluated = _evaluation(tmp_path, "rl-seed0", ())
    other = _evaluation(tmp_path, "rl-seed1", (), protocol="crafter-quick")
    out = tmp_path / "selection.json"
    for evaluations, problem in (
        ([evaluated, tmp_path / "eval-missing"], "no such file"),
        ([evaluated, other], "different protocols"),
    ):
        assert main([str(out), *map(str, evaluations)]) == 1
        err = capsys.readouterr().err.strip()
        assert err.startswith("select_run: ") and problem in err and "\n" not in err
    assert not out.exists()


def _student_evaluation(tmp_path, unlocked: tuple[str, ...], protocol: str = PROTOCOL):
    """An evaluation directory of the model PPO started from (no adapter)."""
    out = _evaluation(tmp_path, "student", unlocked, protocol)
    data = json.loads((out / "result.json").read_text())
    data["agent"] = {"name": "student", "kind": "llm", "model": str(tmp_path / "sft")}
    (out / "result.json").write_text(json.dumps(data))
    return out


def test_the_reference_records_the_chosen_runs_gain_over_the_model_without_ppo(tmp_path, capsys):
    weak = _evaluation(tmp_path, "rl-seed0", ("collect_wood",))
    strong = _evaluation(tmp_path, "rl-seed1", ("collect_wood", "place_table"))
    student = _student_evaluation(tmp_path, ("collect_sapling", "place_plant", "eat_plant"))
    selection = select_run([weak, strong], reference=student)
    assert selection["chosen"] == str(tmp_path / "rl-seed1")  # the reference is not a candidate
    assert selection["reference"] == {
        "model": str(tmp_path / "sft"),
        "progression": pytest.approx(100 * 3 / 22),
        "se": 0.0,
    }
    assert selection["gain"] == {
        "progression": pytest.approx(-100 / 22),
        "se": 0.0,
        "paired": True,
    }
    out = tmp_path / "selection.json"
    assert main([str(out), str(weak), "--reference", str(student), str(strong)]) == 0
    assert json.loads(out.read_text())["gain"]["progression"] < 0
    assert "(no PPO): 13.6 ± 0.0 %" in capsys.readouterr().err


def test_a_bad_reference_is_one_clear_line_and_writes_nothing(tmp_path, capsys):
    run = _evaluation(tmp_path, "rl-seed0", ())
    quick = _student_evaluation(tmp_path, (), protocol="crafter-quick")
    out = tmp_path / "selection.json"
    for argv, code, problem in (
        ([str(out), str(run), "--reference", str(run)], 1, "evaluates an adapter"),
        ([str(out), str(run), "--reference", str(quick)], 1, "different protocols"),
        ([str(out), str(run), "--reference"], 2, "--reference needs"),
        ([str(out)], 2, "usage:"),
    ):
        assert main(argv) == code
        err = capsys.readouterr().err.strip()
        assert err.startswith("select_run: ") and problem in err and "\n" not in err
    assert not out.exists()


def test_the_gain_is_paired_by_seed_so_how_hard_each_world_is_cancels(tmp_path):
    worlds = {90: (), 91: ("collect_wood", "place_table", "make_wood_pickaxe")}
    student = _student_evaluation(tmp_path, ())
    run = _evaluation(tmp_path, "rl-seed0", ())
    for evaluation, extra in ((student, ()), (run, ("collect_sapling",))):
        data = json.loads((evaluation / "result.json").read_text())
        for e in data["episodes"]:  # every world: the student's unlocks, and one more for PPO
            e["achievements"].update({a: 1 for a in (*worlds[e["seed"]], *extra)})
            e["task_return"] = e["return"] = float(sum(e["achievements"].values()))
        (evaluation / "result.json").write_text(json.dumps(data))
    selection = select_run([run], reference=student)
    assert selection["gain"]["progression"] == pytest.approx(100 / 22)
    assert selection["gain"]["se"] == pytest.approx(0.0) and selection["gain"]["paired"]
    assert selection["reference"]["se"] > 0  # the worlds differ; the gain does not

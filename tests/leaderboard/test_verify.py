"""Replay verification: records the replay reproduces are accepted, forgeries refused."""

from __future__ import annotations

import json

import pytest

from agents.expert import ExpertAgent
from dynplan_cli import main
from leaderboard.evaluate import evaluate
from leaderboard.store import Store, submit
from leaderboard.verify import recorded_steps, replay_problems


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The expert's crafter-quick run (4 seeds x 30 steps: it unlocks wood in each)."""
    out = tmp_path_factory.mktemp("run")
    evaluate(ExpertAgent(), "crafter-quick", out, progress=False)
    return out


def _copy(run, tmp_path, edit_result=None, edit_lines=None):
    result = json.loads((run / "result.json").read_text())
    lines = [json.loads(line) for line in (run / "trajectories.jsonl").read_text().splitlines()]
    if edit_result:
        edit_result(result)
    if edit_lines:
        lines = edit_lines(lines)
    (tmp_path / "result.json").write_text(json.dumps(result))
    (tmp_path / "trajectories.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    return tmp_path / "result.json"


def _refused(path, match, tmp_path):
    store = Store(tmp_path / "board.sqlite")
    with pytest.raises(ValueError, match=match):
        submit(path, store, verify=True)
    assert store.entries() == []  # nothing stored


def test_a_true_run_replays_exactly(run, tmp_path):
    store = Store(tmp_path / "board.sqlite")
    _, new, _ = submit(run / "result.json", store, verify=True)
    assert new and len(store.entries()) == 1
    unlocked = [json.loads(x)["unlocked"] for x in (run / "trajectories.jsonl").open()]
    assert any("collect_wood" in u for u in unlocked)


def test_a_self_consistent_forgery_is_refused(run, tmp_path):
    def all_22(result):
        for episode in result["episodes"]:  # consistent: the plan costs kept, 22 unlocks
            cost = episode["task_return"] - episode["return"]
            episode["achievements"] = dict.fromkeys(episode["achievements"], 1)
            episode["task_return"], episode["return"] = 22.0, 22.0 - cost

    forged = _copy(run, tmp_path, edit_result=all_22)
    _refused(forged, r"achievements in the record: collect_coal 1 \(replay 0\)", tmp_path)


def test_an_edited_action_is_refused(run, tmp_path):
    def noop_where_wood_came(lines):
        first = next(x for x in lines if "collect_wood" in x["unlocked"])
        first["action"] = 0
        return lines

    _refused(_copy(run, tmp_path, edit_lines=noop_where_wood_came), "the replay gives", tmp_path)


def test_a_truncated_or_reordered_trajectory_is_refused(run, tmp_path):
    cut = _copy(run, tmp_path, edit_lines=lambda lines: lines[:-1])
    _refused(cut, "steps recorded, the record says", tmp_path)

    def swap_two_steps(lines):
        i = next(i for i, x in enumerate(lines) if x["seed"] == 0 and x["step"] == 3)
        j = next(j for j, x in enumerate(lines) if x["seed"] == 0 and x["step"] == 4)
        lines[i], lines[j] = lines[j], lines[i]
        return lines

    swapped = _copy(run, tmp_path, edit_lines=swap_two_steps)
    _refused(swapped, "missing, repeated or out of order", tmp_path)


def test_the_command_line_refuses_in_one_line(run, tmp_path, capsys):
    forged = _copy(run, tmp_path, edit_lines=lambda lines: lines[:-3])
    with pytest.raises(SystemExit, match="dynplan submit: rejected: the replay disagrees: seed"):
        main(["submit", str(forged), "--verify", "--db", str(tmp_path / "b.sqlite")])
    (tmp_path / "trajectories.jsonl").unlink()
    with pytest.raises(SystemExit, match="no trajectories to replay"):
        main(["submit", str(forged), "--verify", "--db", str(tmp_path / "b.sqlite")])
    assert main(["submit", str(run / "result.json"), "--verify", "--db", str(tmp_path / "c")]) == 0
    assert "verified by replay" in capsys.readouterr().out


def test_replay_problems_name_the_episode_and_field(run):
    from leaderboard.store import load_result_file

    result = load_result_file(run / "result.json")
    steps = recorded_steps(run / "trajectories.jsonl")
    assert replay_problems(result, steps) == []
    steps[2] = steps[2][:5]
    assert replay_problems(result, steps) == ["seed 2: 5 steps recorded, the record says 30"]

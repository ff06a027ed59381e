"""Rows people can trust: verified rows marked, names that belong to their agents."""

from __future__ import annotations

import json

import pytest

from agents.expert import ExpertAgent
from agents.models import weights_sha256
from agents.random_agent import RandomAgent
from dynplan_cli import main
from leaderboard.evaluate import evaluate
from leaderboard.render import render_markdown, render_table
from leaderboard.store import BOARD_RULE, Store, submit


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The expert's and random's crafter-quick runs, each named `expert`."""
    root = tmp_path_factory.mktemp("runs")
    evaluate(ExpertAgent(), "crafter-quick", root / "expert", name="expert", progress=False)
    evaluate(RandomAgent(), "crafter-quick", root / "random", name="expert", progress=False)
    return root


def _renamed(run, tmp_path, **agent):
    """A copy of `run`'s result (with its trajectories) whose agent spec is edited."""
    result = json.loads((run / "result.json").read_text())
    result["agent"].update(agent)
    out = tmp_path / "edited"
    out.mkdir()
    (out / "result.json").write_text(json.dumps(result))
    (out / "trajectories.jsonl").write_bytes((run / "trajectories.jsonl").read_bytes())
    return out / "result.json"


def test_a_verified_row_is_marked_and_an_unchecked_one_is_not(runs, tmp_path):
    store = Store(tmp_path / "board.sqlite")
    submit(runs / "expert" / "result.json", store, verify=True)
    (entry,) = store.entries()
    record = entry.result.verification
    assert record.method == "replay" and record.episodes == len(entry.result.episodes)
    table = render_table(store.entries(), "crafter-quick")
    assert table.splitlines()[1].split()[-1] == "verified"
    assert table.splitlines()[3].split()[-1] == "replay"
    other = Store(tmp_path / "other.sqlite")
    submit(runs / "expert" / "result.json", other, verify=False)
    assert render_table(other.entries(), "crafter-quick").splitlines()[3].split()[-1] == "-"
    assert BOARD_RULE in render_markdown(store.entries())


def test_a_name_on_the_board_belongs_to_its_agent(runs, tmp_path):
    store = Store(tmp_path / "board.sqlite")
    submit(runs / "expert" / "result.json", store)
    with pytest.raises(ValueError, match="on the board for another agent"):
        submit(runs / "random" / "result.json", store)  # random's play as `expert`
    assert len(store.entries()) == 1
    submit(runs / "expert" / "result.json", store)  # the same agent again: fine
    submit(runs / "random" / "result.json", store, replace=True)
    assert len(store.entries()) == 2  # both kept; the board shows the latest
    (row,) = render_table(store.entries(), "crafter-quick").splitlines()[3:4]
    assert row.split()[1] == "expert" and float(row.split()[2]) < 10  # random's progression


def test_a_shipped_name_needs_its_weights(runs, tmp_path, capsys):
    store = Store(tmp_path / "board.sqlite")
    forged = _renamed(runs / "expert", tmp_path, name="learned-dynamic-gpu+rl")
    with pytest.raises(ValueError, match="'learned-dynamic-gpu\\+rl' is a shipped model"):
        submit(forged, store)
    with pytest.raises(SystemExit) as refusal:
        main(["submit", str(forged), "--db", str(tmp_path / "board.sqlite")])
    assert str(refusal.value).startswith("dynplan submit: rejected: 'learned-dynamic-gpu+rl'")
    assert store.entries() == []
    # The shipped weights' hash (what `dynplan eval` records for that model) is accepted.
    shipped = weights_sha256("learned-dynamic-gpu+rl")
    assert shipped != weights_sha256("learned-dynamic-gpu")  # the adapter counts
    honest = tmp_path / "honest"
    honest.mkdir()
    renamed = _renamed(
        runs / "expert", honest, name="learned-dynamic-gpu+rl", weights_sha256=shipped
    )
    submit(renamed, store)
    assert [e.result.agent.name for e in store.entries()] == ["learned-dynamic-gpu+rl"]


def test_eval_records_the_weights_it_played(tmp_path, tiny_model_dir):
    out = tmp_path / "run"
    main(
        [
            "eval",
            "--agent",
            "llm:never",
            "--model",
            str(tiny_model_dir),
            "--protocol",
            "crafter-smoke",
            "--out",
            str(out),
            "--no-progress",
        ]
    )
    result = json.loads((out / "result.json").read_text())
    assert result["agent"]["weights_sha256"] == weights_sha256(tiny_model_dir)


def test_every_note_names_a_row_of_the_committed_board():
    """A note on a row (`leaderboard/data/notes.toml`) is shown under its table and never
    outlives the row: its protocol and agent are on the repository's board."""
    from leaderboard.render import NOTES, rows_for
    from leaderboard.repository import repository_entries

    entries = repository_entries()
    assert NOTES
    for note in NOTES:
        agents = [row.agent for row in rows_for(entries, note["protocol"])]
        assert note["agent"] in agents, note
    board = render_markdown(entries, "crafter-balrog")
    assert "- Note on expert: its rules were tuned" in board

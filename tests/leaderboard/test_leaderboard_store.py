"""The SQLite store, the repository's leaderboard, and rendering."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from leaderboard.render import render_html, render_json, render_markdown, render_table
from leaderboard.repository import README, repository_entries
from leaderboard.store import SUBMISSIONS_DIR, Store, add_to_repository, load_result_file, submit
from tests.leaderboard_helpers import episode, result


def _write(path, data):
    path.write_text(json.dumps(data))
    return path


def test_submit_validates_and_stores_once(tmp_path):
    store = Store(tmp_path / "db.sqlite")
    good = _write(tmp_path / "good.json", result())
    row, new, _ = submit(good, store)
    assert new and [e.id for e in store.entries()] == [row]
    assert submit(good, store)[:2] == (row, False)
    bad = result()
    bad["episodes"][0]["achievements"].pop("wake_up")
    with pytest.raises(ValueError, match="wake_up"):
        submit(_write(tmp_path / "bad.json", bad), store)
    assert len(store.entries()) == 1  # nothing of the bad file was stored


def test_concurrent_submissions_both_land(tmp_path):
    db = tmp_path / "db.sqlite"
    Store(db)
    files = []
    for name in ("alpha", "beta", "gamma", "delta"):
        files.append(_write(tmp_path / f"{name}.json", result(name=name)))
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "dynplan_cli", "submit", str(f), "--db", str(db)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for f in files
    ]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    assert sorted(e.result.agent.name for e in Store(db).entries()) == sorted(
        ["alpha", "beta", "gamma", "delta"]
    )


def test_cli_rejects_a_bad_file_with_a_reason(tmp_path):
    bad = _write(tmp_path / "bad.json", {"protocol": {"id": "nope"}})
    out = subprocess.run(
        [sys.executable, "-m", "dynplan_cli", "submit", str(bad), "--db", str(tmp_path / "d")],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2 and "rejected: invalid result file" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1  # one line, no traceback


def test_rendering_ranks_and_marks_published_rows(tmp_path):
    store = Store(tmp_path / "db.sqlite")
    strong = result(
        [episode(s, unlocked=("collect_wood", "place_table")) for s in range(4)], name="strong"
    )
    weak = result(name="weak")
    for data, name in ((strong, "s"), (weak, "w")):
        submit(_write(tmp_path / f"{name}.json", data), store)
    entries = store.entries()
    table = render_table(entries, "crafter-quick")
    assert table.index("strong") < table.index("weak") and "9.1 ± 0.0" in table
    markdown = render_markdown(entries)
    assert "| 1 | strong |" in markdown
    board = json.loads(render_json(entries))
    assert [r["agent"] for r in board["crafter-quick"]] == ["strong", "weak"]
    page = render_html(entries)
    assert page.count("<img class='plot'") == 2 and "data:image/png;base64," in page
    better = result([episode(s, unlocked=("collect_wood",)) for s in range(4)], name="weak")
    submit(_write(tmp_path / "w2.json", better), store)  # weak submits again: one row, latest
    table = render_table(store.entries(), "crafter-quick")
    assert table.count("weak") == 1 and "4.5 ± 0.0" in table
    balrog = result([episode(s, length=2000) for s in range(10)], protocol_id="crafter-balrog")
    submit(_write(tmp_path / "b.json", balrog), store)
    table = render_table(store.entries(), "crafter-balrog")
    assert "Grok-4 (published: BALROG leaderboard)" in table and "57.3" in table


def test_to_repo_writes_a_submission_file(tmp_path):
    path = add_to_repository(load_result_file(_write(tmp_path / "r.json", result())), tmp_path)
    assert path.name.startswith("crafter-quick__hand-made__")
    assert load_result_file(path).agent.name == "hand-made"


def test_committed_submissions_are_valid_and_readme_is_current():
    entries = repository_entries()
    assert all(e.result.complete for e in entries)
    assert README.read_text() == render_markdown(entries)


def test_html_opens_in_headless_chromium(tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed (make setup installs it)")
    store = Store(tmp_path / "db.sqlite")
    submit(_write(tmp_path / "r.json", result()), store)
    page = tmp_path / "board.html"
    page.write_text(render_html(store.entries()))
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    dom = subprocess.run(
        [chromium, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120
    ).stdout
    assert '<table class="board"' in dom and dom.count("<tr") >= 2
    assert dom.count("data:image/png;base64,") == 2
    shot = tmp_path / "shot.png"
    subprocess.run(
        [chromium, *flags, f"--screenshot={shot}", "--window-size=1200,900", page.as_uri()],
        capture_output=True,
        timeout=120,
    )
    assert shot.stat().st_size > 10_000
    assert SUBMISSIONS_DIR.is_dir()

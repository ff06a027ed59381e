"""How `dynplan` ends when it cannot go on: Ctrl-C and missing optional packages, one line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import dynplan_cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("missing", "extra"),
    [("pydantic", "eval"), ("torch", "llm"), ("fastapi", "llm"), ("stable_baselines3", "rl")],
)
def test_a_missing_optional_package_names_its_extra(monkeypatch, capsys, missing, extra):
    def needs_it(argv=None):
        raise ModuleNotFoundError(f"No module named '{missing}'", name=missing)

    monkeypatch.setattr(dynplan_cli, "main", needs_it)
    assert dynplan_cli.cli() == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"pip install 'dynplan-gym[{extra}]'" in err


def test_a_missing_module_of_ours_is_a_bug_and_shows_as_one(monkeypatch):
    def broken(argv=None):
        raise ModuleNotFoundError("No module named 'agents.gone'", name="agents.gone")

    monkeypatch.setattr(dynplan_cli, "main", broken)
    with pytest.raises(ModuleNotFoundError):
        dynplan_cli.cli()


@pytest.mark.slow
def test_ctrl_c_during_an_evaluation_is_one_line_and_the_run_resumes(tmp_path):
    out = tmp_path / "run"
    command = [sys.executable, "-m", "dynplan_cli", "eval", "--agent", "random", "--protocol"]
    command += ["crafter-full", "--num-envs", "1", "--out", str(out), "--no-progress"]
    env = {**os.environ, "DYNPLAN_HOME": str(tmp_path / "home")}
    process = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (out / "episodes.jsonl").exists() and time.monotonic() < deadline:
        time.sleep(0.05)  # until an episode is saved (of 100: the run is far from done)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert err.strip().splitlines() == [err.strip()] and "--resume" in err
    saved = (out / "episodes.jsonl").read_text().splitlines()
    assert saved
    done = subprocess.run([*command, "--resume"], cwd=ROOT, env=env, capture_output=True)
    assert done.returncode == 0
    result = json.loads((out / "result.json").read_text())
    assert result["complete"] and result["episodes"][0] == {
        **result["episodes"][0],
        **json.loads(saved[0]),
    }

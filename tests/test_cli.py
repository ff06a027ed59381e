"""The `dynplan` command."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dynplan_cli import main


def test_demo_plays_and_reports(capsys):
    assert main(["demo", "--steps", "40", "--show-every", "20", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "--- step 0" in out and "--- step 20" in out
    assert "new plan (" in out and "Plan: Collect wood" in out
    assert "achievements unlocked (" in out and "progression:" in out


def test_demo_is_reproducible(capsys):
    outputs = []
    for _ in range(2):
        main(["demo", "--steps", "30", "--seed", "4"])
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]


def test_demo_rejects_bad_arguments():
    with pytest.raises(SystemExit):
        main(["demo", "--steps", "0"])


def test_console_script_help():
    result = subprocess.run(
        [sys.executable, "-m", "dynplan_cli", "--help"], capture_output=True, text=True, check=True
    )
    assert "demo" in result.stdout

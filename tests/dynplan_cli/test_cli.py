"""The `dynplan` command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dynplan_cli import main


def test_play_plays_and_reports(capsys):
    assert main(["play", "--steps", "40", "--show-every", "20", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "--- step 0" in out and "--- step 20" in out
    assert "new plan (" in out and "Plan: Collect wood" in out
    assert "achievements unlocked (" in out and "progression:" in out


def test_play_is_reproducible(capsys):
    outputs = []
    for _ in range(2):
        main(["play", "--steps", "30", "--seed", "4"])
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]


def test_play_rejects_bad_arguments():
    with pytest.raises(SystemExit):
        main(["play", "--steps", "0"])


def test_console_script_help():
    result = subprocess.run(
        [sys.executable, "-m", "dynplan_cli", "--help"], capture_output=True, text=True, check=True
    )
    for command in ("demo", "eval", "submit", "leaderboard", "data", "play", "serve"):
        assert command in result.stdout


def test_help_imports_no_work_modules_and_says_the_data_defaults():
    """Building the parser stays light: no training stack, data generator or Ray."""
    code = (
        "import sys, dynplan_cli\n"
        "try:\n    dynplan_cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = {'torch', 'transformers', 'baselines.planning_data', 'ray'}\n"
        "print(sorted(heavy & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"
    from baselines.planning_data import CRAFTER_MAX_STEPS, DataConfig
    from leaderboard.protocols import get_protocol

    data = subprocess.run(
        [sys.executable, "-m", "dynplan_cli", "data", "--help"], capture_output=True, text=True
    ).stdout
    assert f"default {CRAFTER_MAX_STEPS} (Crafter)" in " ".join(data.split())
    assert get_protocol("pogs-standard").max_steps == 30 and "protocols' 30" in data
    assert DataConfig().max_steps == CRAFTER_MAX_STEPS and DataConfig(env="pogs").max_steps == 30


def test_main_job_with_the_random_agent_and_a_tiny_model(capsys, tiny_model_dir, tmp_path):
    """`dynplan demo` end to end (random, and an LLM agent on a tiny model for speed)."""
    assert (
        main(
            [
                "demo",
                "--protocol",
                "crafter-quick",
                "--learned",
                str(tiny_model_dir),
                "--agents",
                "random",
                f"llm:every:4@{tiny_model_dir}",
                f"llm:never@{tiny_model_dir}",
                "--no-progress",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "random: submitted as #" in out and f"{tiny_model_dir.name}/every:4" in out
    assert "crafter-quick (v1)" in out and "HTML leaderboard:" in out
    lines = out.splitlines()
    strategies = next(line for line in lines if "progression by planning strategy:" in line)
    assert "every:4 " in strategies and "never " in strategies and "± " in strategies
    assert any(line.startswith("per 100 steps / per step: never 0 plans") for line in lines)
    assert any(" leads; by more than 2 s.e. over: " in line and "random" in line for line in lines)
    page = out.split("HTML leaderboard: ")[1].split()[0]
    assert "<table" in Path(page).read_text()

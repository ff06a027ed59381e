"""A user's mistake gets one line that names what was expected, exit code 2, and nothing
half-written: every subcommand, table-driven."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from dynplan_cli import main
from tests.leaderboard_helpers import result

# argv (`{tmp}` is a fresh directory, `{run}` one holding a finished run) -> what the line says
MISTAKES = {
    "an unknown strategy": (["eval", "--agent", "llm:sometimes"], "unknown planning strategy"),
    "an unknown protocol": (["eval", "--agent", "random", "--protocol", "nope"], "'nope'"),
    "no envs": (["eval", "--agent", "random", "--num-envs", "0"], "--num-envs must be >= 1"),
    "a name too long for the board": (
        ["eval", "--agent", "random", "--name", "x" * 81],
        "--name must be 1 to 80 characters, got 81",
    ),
    "a missing model": (
        ["eval", "--agent", "llm:never", "--model", "/nonexistent"],
        "unknown model '/nonexistent'",
    ),
    "an unknown agent": (["eval", "--agent", "nope"], "unknown agent 'nope'"),
    "a shipped name for the embedded model": (
        ["eval", "--agent", "llm:dynamic", "--name", "learned-dynamic"],
        "--name learned-dynamic is a shipped model's name, but the agent plays smollm2-135m",
    ),
    "a shipped name for another shipped model": (
        ["eval", "--agent", "learned-dynamic", "--name", "learned-dynamic+rl"],
        "add --model learned-dynamic+rl (or --agent learned-dynamic+rl)",
    ),
    "a shipped name for random": (
        ["eval", "--agent", "random", "--name", "learned-never"],
        "but the agent plays random",
    ),
    "an existing run as --out": (
        ["eval", "--agent", "random", "--out", "{run}"],
        "already holds a run; add --resume",
    ),
    "--resume without --out": (["eval", "--agent", "random", "--resume"], "--resume needs --out"),
    "no agent": (["eval"], "give --agent, or --planner and --actor"),
    "an unknown planner": (["eval", "--planner", "x", "--actor", "expert"], "unknown planner"),
    "a missing sb3 policy": (["eval", "--agent", "sb3:/nonexistent"], "/nonexistent"),
    "the board of an unknown protocol": (["leaderboard", "--protocol", "nope"], "'nope'"),
    "a directory to submit": (["submit", "{tmp}"], "a directory; expected a result.json"),
    "a missing file to submit": (["submit", "{tmp}/missing.json"], "no such file"),
    "a bad result to submit": (["submit", "{tmp}/bad.json"], "rejected: invalid result file"),
    "a missing evaluation to compare": (["compare", "{run}", "{tmp}/missing"], "no such file"),
    "a bad result to compare": (["compare", "{tmp}/bad.json", "{run}"], "invalid result file"),
    "no steps to play": (["play", "--steps", "0"], "--steps and --show-every must be >= 1"),
    "an unknown actor": (["play", "--planner", "expert", "--actor", "x"], "unknown actor 'x'"),
    "no trajectories": (
        ["data", "crafter", "--trajectories", "0", "--out", "{tmp}/d"],
        "--trajectories must be >= 1",
    ),
    "bad schedules": (["data", "crafter", "--schedules", "often"], "--schedules must look like"),
    "a k range that is not numbers": (
        ["data", "crafter", "--k-range", "2,x"],
        "--k-range takes comma-separated int values",
    ),
    "alternatives without the executor": (
        ["data", "crafter", "--alternatives", "0.3", "--out", "{tmp}/d"],
        "--alternatives must be in [0, 1) (with --actor executor)",
    ),
    "neither a model nor the probe to diagnose": (
        ["diagnose", "--data", "{tmp}"],
        "give --model M (a trained student) or --probe",
    ),
    "a missing dataset to probe": (["diagnose", "--probe", "--data", "{tmp}/d"], "not found"),
    "a port out of range": (["serve", "--port", "99999"], "--port must be a port in [0, 65535]"),
    "a negative seed": (["play", "--seed", "-1"], "--seed must be >= 0, got -1"),
    "a negative temperature": (
        ["eval", "--agent", "random", "--temperature", "-1"],
        "--temperature must be >= 0",
    ),
    "a negative size limit": (["submit", "{run}/result.json", "--max-bytes", "-1"], ">= 1"),
    "a file as --out": (
        ["eval", "--agent", "random", "--out", "{run}/result.json", "--no-progress"],
        "is a file; expected a directory for the run",
    ),
    "--resume over another agent's run": (
        ["eval", "--agent", "expert", "--out", "{run}", "--resume", "--no-progress"],
        "holds a run of another agent, protocol or seed",
    ),
    "missing training data": (
        ["train", "sft", "--data", "/nonexistent", "--out", "{tmp}/s"],
        "/nonexistent not found",
    ),
    "a bad goldilocks setting": (
        ["experiment", "goldilocks", "--settings", "fast", "--out", "{tmp}/g"],
        "a setting is LATENCY:NOISE",
    ),
    "missing plan files": (
        ["experiment", "steering", "--plans", "/nonexistent", "--out", "{tmp}/s"],
        "--plans must be a plan file or a directory",
    ),
    "steering on an unknown protocol": (
        ["experiment", "steering", "--protocol", "nope", "--out", "{tmp}/s"],
        "'nope'",
    ),
}


@pytest.fixture(scope="module")
def places(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("mistakes")
    run = tmp_path / "run"
    assert main(["eval", "--agent", "random", "--out", str(run), "--no-progress"]) == 0
    (tmp_path / "bad.json").write_text(json.dumps({"protocol": {"id": "nope"}}))
    return {"tmp": str(tmp_path), "run": str(run)}


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_a_mistake_gets_one_line_naming_what_was_expected(mistake, places):
    argv, message = MISTAKES[mistake]
    run_files = {p: p.stat().st_mtime_ns for p in _files(places["run"])}
    with pytest.raises(SystemExit) as refusal:
        main([part.format(**places) for part in argv])
    line = refusal.value.code
    assert isinstance(line, str) and "\n" not in line and message in line, line
    assert line.startswith(f"dynplan {argv[0]}")
    assert {p: p.stat().st_mtime_ns for p in _files(places["run"])} == run_files  # untouched


def _files(directory: str) -> list:
    from pathlib import Path

    return sorted(Path(directory).iterdir())


def test_the_console_script_exits_with_2_and_prints_only_the_line(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps({**result(), "schema_version": 99}))
    out = subprocess.run(
        [sys.executable, "-m", "dynplan_cli", "submit", str(path), "--db", str(tmp_path / "d")],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.strip().splitlines() == [
        "dynplan submit: rejected: invalid result file: schema_version: Value error, "
        "schema_version 99 is unknown; this dynplan-gym reads versions 1, 2"
    ]


@pytest.mark.parametrize(
    "agent, model, adapter, name",
    [
        ("llm:dynamic", "learned-dynamic", None, "learned-dynamic"),
        ("learned-never", None, None, "learned-never"),
        ("llm:every:4@learned-dynamic", None, None, "learned-dynamic"),  # its model, any strategy
        ("llm:dynamic", "agents/checkpoints/learned-dynamic", None, "learned-dynamic"),
        (
            "llm:dynamic",
            "learned-dynamic",
            "agents/checkpoints/learned-dynamic-rl",
            "learned-dynamic+rl",
        ),
        ("llm:dynamic", "/tmp/recipe/sft", None, "learned-dynamic"),  # a recipe's fresh model
        ("llm:dynamic", None, None, "my-run"),  # not a shipped name: anything goes
    ],
)
def test_a_shipped_name_is_accepted_for_the_model_it_names(agent, model, adapter, name):
    import argparse
    from pathlib import Path

    from dynplan_cli.eval_cmd import _check_shipped_name, _parsed

    root = Path(__file__).parents[2]  # paths as given from the repository's root
    model = str(root / model) if model and "/" in model else model
    adapter = str(root / adapter) if adapter else None
    args = argparse.Namespace(
        agent=agent, model=model, adapter=adapter, name=name, planner=None, actor=None
    )
    _check_shipped_name(args, _parsed(args))


def test_a_file_as_the_data_directory_is_one_line(tmp_path):
    home = tmp_path / "file"
    home.write_text("")
    out = subprocess.run(
        [sys.executable, "-m", "dynplan_cli", "eval", "--agent", "random", "--no-progress"],
        capture_output=True,
        text=True,
        env={**os.environ, "DYNPLAN_HOME": str(home)},
    )
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        f"dynplan: File exists: {home} (expected a directory to write in)"
    ]


def test_resuming_an_empty_directory_says_it_starts_a_run(tmp_path, capsys):
    argv = ["eval", "--agent", "random", "--out", str(tmp_path), "--resume", "--no-progress"]
    assert main(argv) == 0
    assert "holds no run to resume; starting one" in capsys.readouterr().err

"""The package installs from a built wheel (not `-e`) and works from there: every data file it
reads at run time is inside the wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_a_built_wheel_installs_and_runs_an_evaluation(tmp_path):
    wheels, target, source = tmp_path / "wheels", tmp_path / "site", tmp_path / "source"
    # A copy without build leftovers: setuptools would reuse a stale build/ directory.
    skip = (".git", ".venv", "build", "*.egg-info", ".*cache", ".benchmarks", ".hypothesis")
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*skip, ".lease", ".whl"))
    pip = [sys.executable, "-m", "pip", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = wheels.glob("dynplan_gym-*.whl")
    subprocess.run(
        [*pip, "install", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    env = {**os.environ, "PYTHONPATH": str(target), "DYNPLAN_HOME": str(tmp_path / "home")}

    def dynplan(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "dynplan_cli", *args],
            cwd=tmp_path,  # away from the source tree
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout

    where = subprocess.run(
        [sys.executable, "-c", "import leaderboard, agents; print(leaderboard.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(target))
    assert "evaluate an agent on a protocol" in dynplan("--help")
    out = dynplan("eval", "--agent", "random", "--protocol", "crafter-quick", "--no-progress")
    assert "random on crafter-quick: progression" in out
    out = dynplan("eval", "--agent", "expert", "--protocol", "crafter-quick", "--no-progress")
    assert "expert on crafter-quick: progression" in out
    out = dynplan("leaderboard", "--protocol", "crafter-balrog", "--format", "md")
    assert "GPT-4o (published" in out  # the published rows travel with the package
    assert "| expert |" in out  # and so do the repository board's submissions
    out = dynplan(
        "eval",
        "--planner",
        "plans:iron_tools",
        "--actor",
        "expert",
        "--protocol",
        "crafter-quick",
        "--no-progress",
    )
    assert "plans:iron_tools > expert on crafter-quick" in out  # a shipped plan file

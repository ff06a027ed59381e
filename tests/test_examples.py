"""Every script in examples/ runs, at a small size, as a user would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p.name for p in (ROOT / "examples").glob("*.py"))


def _run(script: str, *args: str, home: Path) -> str:
    env = {**os.environ, "DYNPLAN_HOME": str(home), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, f"examples/{script}", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_every_example_is_tested():
    tested = {"own_agent.py"}  # tests/leaderboard/test_own_agent.py runs it
    tested |= {"pettingzoo_planner_actor.py", "sb3_on_the_wrappers.py", "agent_over_a_server.py"}
    assert set(EXAMPLES) == tested


def test_the_pettingzoo_planner_and_actor(tmp_path):
    out = _run("pettingzoo_planner_actor.py", "60", home=tmp_path)
    assert "unlocked:" in out and int(out.split("plans:")[1]) >= 1


@pytest.mark.slow
def test_sb3_on_the_wrappers(tmp_path):
    assert "256 PPO steps; one greedy episode" in _run(
        "sb3_on_the_wrappers.py", "256", home=tmp_path
    )


@pytest.mark.slow
def test_an_agent_over_a_server(tmp_path, tiny_model_dir):
    out = _run("agent_over_a_server.py", str(tiny_model_dir), str(tmp_path / "run"), home=tmp_path)
    assert out.startswith("4 episodes, ") and (tmp_path / "run/result.json").is_file()

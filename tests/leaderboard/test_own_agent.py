"""Your own agent on the board: `evaluate`, `from_policy` and `--agent py:MODULE:CALLABLE`."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from agents.protocol import Decision
from agents.user_agent import from_policy, load_python_agent
from dynplan_cli import main
from leaderboard.evaluate import evaluate
from leaderboard.protocols import get_protocol
from leaderboard.store import Store

ROOT = Path(__file__).resolve().parents[2]


class AlwaysDo:
    """A hand-written batched agent: Do in every episode, one plan at the start."""

    name = "always-do"

    def reset(self, n: int) -> None:
        self.n = n

    def act(self, observations, infos):
        return [Decision(5, "" if i.get("step") else "Chop.") for i in infos]


def test_evaluate_plays_every_seed_and_the_result_is_submittable(tmp_path):
    result = evaluate(
        AlwaysDo(),
        "crafter-quick",
        tmp_path / "run",
        progress=False,
        submit=True,
        db=tmp_path / "board.sqlite",
    )
    assert result.complete and result.agent.name == "always-do" and result.agent.kind == "python"
    assert [e.seed for e in result.episodes] == [0, 1, 2, 3]
    assert all(e.plans == 1 and e.length == 30 for e in result.episodes)
    steps = (tmp_path / "run/trajectories.jsonl").read_text().splitlines()
    assert len(steps) == 120 and all(json.loads(line)["action"] == 5 for line in steps)
    assert len(Store(tmp_path / "board.sqlite").entries("crafter-quick")) == 1
    again = evaluate(AlwaysDo(), "crafter-quick", tmp_path / "run", progress=False, resume=True)
    assert again.episodes == result.episodes  # resumed: nothing replayed
    with pytest.raises(FileExistsError, match="already holds a run"):
        evaluate(AlwaysDo(), "crafter-quick", tmp_path / "run", progress=False)


def test_a_one_observation_policy_is_wrapped(tmp_path):
    def west_then_plan(obs, info):
        return (np.int64(1), "Walk west.") if info["step"] == 0 else 1

    result = evaluate(west_then_plan, "crafter-quick", tmp_path, progress=False, num_envs=2)
    assert result.agent.name == "west_then_plan" and all(e.plans == 1 for e in result.episodes)
    agent = from_policy(lambda obs, info: "Do", name="words")
    with pytest.raises(TypeError, match="expected an action index"):
        agent.act([{}], [{}])
    with pytest.raises(TypeError, match="expected an action index"):
        from_policy(lambda obs, info: True).act([{}], [{}])
    with pytest.raises(ValueError, match="shipped model's name"):
        evaluate(AlwaysDo(), "crafter-quick", tmp_path / "x", name="learned-dynamic")


def test_a_protocol_is_played_as_registered(tmp_path):
    quick = get_protocol("crafter-quick")
    result = evaluate(AlwaysDo(), quick, tmp_path / "run", progress=False)
    assert result.complete and result.protocol.id == "crafter-quick"
    longer = dataclasses.replace(quick, max_steps=60)  # refused before any step is played
    with pytest.raises(ValueError, match="differs from 'crafter-quick': pass its id"):
        evaluate(AlwaysDo(), longer, tmp_path / "longer", progress=False)
    assert not (tmp_path / "longer").exists()


def test_py_specs_name_an_agent_factory_or_a_policy(tmp_path, monkeypatch):
    (tmp_path / "mine.py").write_text(
        "from agents.protocol import Decision\n"
        "class Mine:\n"
        "    def reset(self, n): pass\n"
        "    def act(self, observations, infos): return [Decision(3) for _ in observations]\n"
        "def north(obs, info): return 3\n"
        "def nothing(): return 7\n"
    )
    monkeypatch.chdir(tmp_path)  # the working directory, as `python -m`
    assert load_python_agent("mine:Mine").act([{}], [{}])[0].action == 3
    assert load_python_agent("mine:north").act([{}], [{}])[0].action == 3
    with pytest.raises(ValueError, match="lacks reset"):
        load_python_agent("mine:nothing")
    with pytest.raises(ValueError, match="no callable 'absent'"):
        load_python_agent("mine:absent")
    out = tmp_path / "run"
    argv = ["eval", "--agent", "py:mine:north", "--protocol", "crafter-quick", "--out", str(out)]
    assert main([*argv, "--no-progress"]) == 0
    result = json.loads((out / "result.json").read_text())
    assert result["complete"] and result["agent"] == {
        **result["agent"],
        "name": "py:mine:north",
        "kind": "py",
    }


def test_the_example_evaluates_and_submits(tmp_path):
    env = {"DYNPLAN_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "examples/own_agent.py", str(tmp_path / "run")],
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "progression" in done.stdout and (tmp_path / "home/leaderboard.sqlite").is_file()

"""The batched runner: lockstep episodes, files as they happen, kill -9 and resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from agents import RandomAgent
from agents.llm_agent import LLMAgent
from leaderboard.protocols import get_protocol
from leaderboard.runner import EPISODES, RESULT, TRAJECTORIES, EvaluationRun
from leaderboard.schema import AgentSpec, validate_result
from leaderboard.store import Store, submit

RANDOM = AgentSpec(name="random", kind="random")


def _records(result) -> list[dict]:
    return [e.model_dump(exclude={"wall_time"}) for e in result.episodes]


def test_random_run_writes_everything(tmp_path):
    protocol = get_protocol("crafter-quick")
    run = EvaluationRun(RandomAgent(seed=0), RANDOM, protocol, tmp_path, num_envs=3)
    result = run.run(progress=False)
    assert result.complete and [e.seed for e in result.episodes] == list(protocol.seeds)
    on_disk = validate_result(json.loads((tmp_path / RESULT).read_text()))
    assert _records(on_disk) == _records(result)
    lines = [json.loads(x) for x in (tmp_path / TRAJECTORIES).read_text().splitlines()]
    assert len(lines) == sum(e.length for e in result.episodes)
    assert {"observation", "raw", "plan", "action", "reward", "prompt_tokens"} <= set(lines[0])
    assert len((tmp_path / EPISODES).read_text().splitlines()) == len(protocol.seeds)
    assert result.versions["crafter"] and result.seeds["env_seeds"] == list(protocol.seeds)


def test_batching_does_not_change_episodes(tmp_path):
    protocol = get_protocol("crafter-quick")
    one = EvaluationRun(RandomAgent(seed=5), RANDOM, protocol, tmp_path / "a", num_envs=1)
    four = EvaluationRun(RandomAgent(seed=5), RANDOM, protocol, tmp_path / "b", num_envs=4)
    assert _records(one.run(progress=False)) == _records(four.run(progress=False))


def test_refuses_to_overwrite_or_mix_runs(tmp_path):
    protocol = get_protocol("crafter-quick")
    EvaluationRun(RandomAgent(seed=0), RANDOM, protocol, tmp_path).run(progress=False)
    with pytest.raises(FileExistsError, match="--resume"):
        EvaluationRun(RandomAgent(seed=0), RANDOM, protocol, tmp_path).run(progress=False)
    with pytest.raises(ValueError, match="another agent, protocol or seed"):
        EvaluationRun(RandomAgent(seed=1), RANDOM, protocol, tmp_path, agent_seed=1).run(
            resume=True, progress=False
        )


def _eval(out, *extra):
    return [
        sys.executable,
        "-m",
        "dynplan_cli",
        "eval",
        "--agent",
        "random",
        "--protocol",
        "crafter-full",
        "--num-envs",
        "4",
        "--no-progress",
        "--out",
        str(out),
        *extra,
    ]


def test_kill_9_mid_run_then_resume_loses_nothing(tmp_path):
    """A run killed at a random moment, resumed, equals a run never interrupted."""
    killed = tmp_path / "killed"
    proc = subprocess.Popen(_eval(killed), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        episodes = killed / EPISODES
        if episodes.exists() and len(episodes.read_text().splitlines()) >= 5:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = len((killed / EPISODES).read_text().splitlines())
    assert 5 <= finished < 100, "the kill should land mid-run"
    partial = json.loads((killed / RESULT).read_text())
    # result.json is rewritten just after each append, so a kill can land in between.
    assert not partial["complete"] and finished - len(partial["episodes"]) in (0, 1)
    subprocess.run(_eval(killed, "--resume"), check=True, capture_output=True, timeout=600)
    whole = tmp_path / "whole"
    subprocess.run(_eval(whole), check=True, capture_output=True, timeout=600)
    resumed = validate_result(json.loads((killed / RESULT).read_text()))
    uninterrupted = validate_result(json.loads((whole / RESULT).read_text()))
    assert resumed.complete and _records(resumed) == _records(uninterrupted)
    steps = sum(e.length for e in resumed.episodes)
    assert len((killed / TRAJECTORIES).read_text().splitlines()) == steps


def test_llm_agent_end_to_end_and_submit(tmp_path, tiny_backend):
    protocol = get_protocol("crafter-quick")
    spec = AgentSpec(name="tiny/every:4", kind="llm", strategy="every:4", backend="transformers")
    agent = LLMAgent(tiny_backend, "every:4", temperature=1.0)
    result = EvaluationRun(agent, spec, protocol, tmp_path / "run", num_envs=4).run(progress=False)
    # 30 steps, a plan every 4th: 8 per episode, handed in or (left empty) counted missing.
    assert sum(e.plans for e in result.episodes) + agent.counters.missing_plans == 8 * 4
    assert all(e.completion_tokens > 0 and e.prompt_tokens > 0 for e in result.episodes)
    store = Store(tmp_path / "board.sqlite")
    row, new, _ = submit(tmp_path / "run" / RESULT, store)
    assert new and store.entries()[0].result.agent.name == "tiny/every:4"
    assert submit(tmp_path / "run" / RESULT, store)[:2] == (row, False)  # stored once

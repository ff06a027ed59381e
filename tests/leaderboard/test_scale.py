"""Spreading work (`leaderboard.scale`): results in input order, dead workers retried, and data
generation byte-identical across one process, local workers and a local Ray of 2 CPUs."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path

import pytest

from baselines.planning_data import DataConfig, generate
from leaderboard.scale import ordered_map

SMALL = {"trajectories": 6, "max_steps": 40, "first_env_seed": 21_000}


def _slow_square(n: int) -> int:
    time.sleep(0.05 * (5 - n % 5))  # later items finish first
    return n * n


def _die_once(item: tuple[str, int]) -> int:
    """Kills its worker the first time it sees item 3 (a marker file remembers)."""
    marker, n = item
    if n == 3 and not Path(marker).exists():
        Path(marker).write_text("died")
        os._exit(1)
    return n * n


def _digest(path: Path) -> str:
    return hashlib.sha256((path / "samples.jsonl").read_bytes()).hexdigest()


def test_results_come_in_input_order_and_dead_workers_are_retried(tmp_path):
    assert list(ordered_map(_slow_square, range(8), workers=2)) == [n * n for n in range(8)]
    marker = str(tmp_path / "marker")
    items = [(marker, n) for n in range(8)]
    assert list(ordered_map(_die_once, items, workers=2)) == [n * n for n in range(8)]
    assert Path(marker).exists()  # a worker did die
    with pytest.raises(ValueError, match="workers must be >= 1"):
        list(ordered_map(_slow_square, [1], workers=0))


def test_data_from_workers_is_byte_identical(tmp_path):
    config = DataConfig(schedule_weights={"every": 1, "dynamic": 1}, **SMALL)
    one = generate(config, tmp_path / "one", progress=False)
    two = generate(config, tmp_path / "two", progress=False, workers=2)
    assert _digest(tmp_path / "one") == _digest(tmp_path / "two") and one == two


@pytest.mark.slow
def test_data_and_eval_on_a_local_ray_are_identical_and_survive_a_dead_worker(tmp_path):
    ray = pytest.importorskip("ray")
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # Ray workers need no tests/
    try:
        config = DataConfig(env="pogs", trajectories=20, max_steps=30, first_env_seed=22_000)
        generate(config, tmp_path / "one", progress=False)
        generate(config, tmp_path / "ray", progress=False, workers=2, ray="local")
        assert _digest(tmp_path / "one") == _digest(tmp_path / "ray")
        marker = str(tmp_path / "marker")
        items = [(marker, n) for n in range(6)]
        assert list(ordered_map(_die_once, items, workers=2, ray="local")) == [
            n * n for n in range(6)
        ]
        assert Path(marker).exists()
        from dynplan_cli import main

        for name, extra in (("one", []), ("ray", ["--workers", "2", "--ray"])):
            argv = ["eval", "--agent", "random", "--protocol", "crafter-quick", "--num-envs", "2"]
            assert (
                main([*argv, "--out", str(tmp_path / f"eval-{name}"), "--no-progress", *extra]) == 0
            )
        assert _records(tmp_path / "eval-one") == _records(tmp_path / "eval-ray")
        sweep = ["experiment", "goldilocks", "--intervals", "1,4", "--settings", "0:0"]
        sweep += ["--protocol", "crafter-quick", "--gate-timesteps", "0", "--num-envs", "4"]
        for name, extra in (
            ("one", ["--workers", "1"]),
            ("ray", ["--workers", "2", "--ray", "local"]),
        ):
            out = tmp_path / f"sweep-{name}"
            assert main([*sweep, "--out", str(out), "--no-progress", *extra]) == 0
        sweeps = [
            json.loads((tmp_path / f"sweep-{n}" / "results.json").read_text())
            for n in ("one", "ray")
        ]
        assert sweeps[0]["settings"] == sweeps[1]["settings"]
    finally:
        ray.shutdown()


def test_a_missing_ray_is_one_clear_line(monkeypatch, tmp_path):
    from dynplan_cli import main

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    argv = ["data", "pogs", "--trajectories", "2", "--out", str(tmp_path), "--ray"]
    with pytest.raises(SystemExit, match=r"Ray is not installed: pip install"):
        main([*argv, "--no-progress"])


def _records(out: Path) -> tuple[list[dict], list[dict]]:
    """(result.json's episodes without wall time, trajectory lines by seed and step)."""
    episodes = json.loads((out / "result.json").read_text())["episodes"]
    for e in episodes:
        e.pop("wall_time")
    lines = [json.loads(x) for x in (out / "trajectories.jsonl").read_text().splitlines()]
    return episodes, sorted(lines, key=lambda x: (x["seed"], x["step"]))


@pytest.mark.parametrize(
    ("agent", "protocol"), [("expert", "crafter-quick"), ("random-walk", "pogs-hard-dev")]
)
def test_eval_on_workers_gives_the_same_records(tmp_path, agent, protocol):
    from dynplan_cli import main

    for name, extra in (("one", []), ("two", ["--workers", "2"])):
        argv = ["eval", "--agent", agent, "--protocol", protocol, "--num-envs", "3"]
        assert main([*argv, "--out", str(tmp_path / name), "--no-progress", *extra]) == 0
    assert _records(tmp_path / "one") == _records(tmp_path / "two")


def test_a_spread_eval_resumes_after_its_driver_dies(tmp_path):
    from dynplan_cli import main

    argv = ["eval", "--agent", "expert", "--protocol", "crafter-quick", "--num-envs", "1"]
    assert main([*argv, "--out", str(tmp_path / "whole"), "--no-progress", "--workers", "2"]) == 0
    cut = tmp_path / "cut"
    assert main([*argv, "--out", str(cut), "--no-progress", "--workers", "2"]) == 0
    lines = (cut / "episodes.jsonl").read_text().splitlines()
    (cut / "episodes.jsonl").write_text("\n".join(lines[:2]) + "\n" + lines[2][:20])  # killed
    resumed = [*argv, "--out", str(cut), "--no-progress", "--workers", "2", "--resume"]
    assert main(resumed) == 0
    assert _records(cut) == _records(tmp_path / "whole")


def test_workers_share_one_openai_compatible_server(tmp_path, tiny_backend):
    from agents.backends.server import CompletionServer
    from dynplan_cli import main
    from leaderboard.store import load_result_file

    server = CompletionServer(tiny_backend, "tiny", port=0, batch_wait=0.05).start()
    try:
        argv = ["eval", "--agent", "llm:never", "--protocol", "crafter-quick", "--num-envs", "2"]
        backend = ["--backend", "openai", "--base-url", server.url, "--model", "tiny"]
        out = tmp_path / "served"
        assert main([*argv, *backend, "--out", str(out), "--no-progress", "--workers", "2"]) == 0
    finally:
        server.shutdown()
    result = load_result_file(out / "result.json")
    assert result.complete and [e.seed for e in result.episodes] == [0, 1, 2, 3]
    assert sum(e.length for e in result.episodes) == 4 * 30 and server.batches

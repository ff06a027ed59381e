"""Spreading work (`baselines.scale`): results in input order, dead workers retried, and data
generation byte-identical across one process, local workers and a local Ray of 2 CPUs."""

from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path

import pytest

from baselines.planning_data import DataConfig, generate
from baselines.scale import ordered_map

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
def test_data_on_a_local_ray_is_byte_identical_and_survives_a_dead_worker(tmp_path):
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
    finally:
        ray.shutdown()


def test_a_missing_ray_is_one_clear_line(monkeypatch, tmp_path):
    from dynplan_cli import main

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    argv = ["data", "pogs", "--trajectories", "2", "--out", str(tmp_path), "--ray"]
    with pytest.raises(SystemExit, match=r"Ray is not installed: pip install"):
        main([*argv, "--no-progress"])

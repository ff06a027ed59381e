"""Data generation spread over worker processes (`dynplan data --workers 2`) against one
process, on this machine: the ratio is the speed-up a second core buys (the same bytes either
way). Expert episodes of up to 500 steps, 8 per round."""

from __future__ import annotations

import itertools

from baselines.planning_data import DataConfig, generate

ROUNDS = itertools.count()
SIZE = {"trajectories": 8, "max_steps": 500}


def _generate(tmp_path, workers: int) -> None:
    config = DataConfig(first_env_seed=30_000 + 100 * next(ROUNDS), **SIZE)
    generate(config, tmp_path / f"data-{workers}", progress=False, workers=workers)


def test_data_one_process(benchmark, compare, measure, tmp_path):
    benchmark.group = "dynplan data (8 expert episodes x 500 steps)"
    benchmark.pedantic(lambda: _generate(tmp_path, 1), rounds=2, iterations=1)
    compare(benchmark, "data generation", reference=True)
    if benchmark.stats is not None:
        rate = 8 * 500 / benchmark.stats.stats.median
        measure("data generation, 1 process", f"<= {rate:,.0f} samples/s")


def test_data_two_workers(benchmark, compare, tmp_path):
    benchmark.group = "dynplan data (8 expert episodes x 500 steps)"
    benchmark.pedantic(lambda: _generate(tmp_path, 2), rounds=2, iterations=1)
    compare(benchmark, "data generation")

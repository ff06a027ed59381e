"""Running an experiment's runs: one after another, or in parallel worker processes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


def run_jobs(
    play: Callable[[Any], tuple[Any, Any]],
    jobs: Sequence[Any],
    workers: int,
    desc: str,
    progress: bool = True,
    ray: str | None = None,
) -> dict[Any, Any]:
    """`{key: value}` from `play(job) -> (key, value)` over every job, with a progress bar;
    `workers > 1` spreads the jobs over that many spawned processes, `ray` over a Ray cluster
    (`leaderboard.scale`; `play` must pickle)."""
    from multiprocessing import get_context

    from tqdm import tqdm

    results: dict[Any, Any] = {}
    with tqdm(total=len(jobs), desc=desc, disable=not progress) as bar:
        if ray is not None:
            from leaderboard.scale import ordered_map

            for key, value in ordered_map(play, jobs, workers, ray):
                results[key] = value
                bar.update()
        elif workers > 1:
            with get_context("spawn").Pool(workers) as pool:
                for key, value in pool.imap_unordered(play, jobs):
                    results[key] = value
                    bar.update()
        else:
            for job in jobs:
                key, value = play(job)
                results[key] = value
                bar.update()
    return results

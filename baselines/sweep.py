"""Running an experiment's runs: one after another, or in parallel worker processes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

RESULTS = "results.json"  # what every experiment writes into its folder
README = "README.md"


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


def median_seed(scores_by_seed: list[list[float]]) -> int:
    """The seed of the median score among `[[seed, score], ...]`: a typical episode."""
    ordered = sorted(scores_by_seed, key=lambda pair: pair[1])
    return int(ordered[len(ordered) // 2][0])


def write_experiment(results: dict, out: str | Path, plot, write_readme, plot_name: str) -> None:
    """An experiment's outputs in `out`: results.json, its plot (`plot_name`) and README.md."""
    import json

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / RESULTS).write_text(json.dumps(results, indent=1))
    plot(results, out / plot_name)
    write_readme(results, out / README)

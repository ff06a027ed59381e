"""Spreading independent work over local processes or a Ray cluster, results in input order.

`ordered_map(fn, items, workers, ray)` yields `fn(item)` for every item in the items' order,
whatever order they finish in, so a single writer consuming it writes exactly what one process
would have written. `workers > 1` spawns that many local processes; a worker that dies has its
unfinished items run again in a fresh pool (up to `RETRIES` times). `ray="local"` starts a local
Ray with `workers` CPUs; any other value is the address of a running cluster (`ray start
--head` prints it), whose nodes need this package installed. Ray retries the tasks of a dead
worker itself (`max_retries`). Ray is optional: `pip install "dynplan-gym[scale]"`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

RETRIES = 3
RAY_MISSING = 'Ray is not installed: pip install "dynplan-gym[scale]" (or: pip install ray)'


def ordered_map(
    fn: Callable[[Any], Any], items: Iterable[Any], workers: int = 1, ray: str | None = None
) -> Iterator[Any]:
    """`fn(item)` for each item, in order; `fn` and the items must pickle when spread."""
    items = list(items)
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if ray is not None:
        yield from _ray_map(fn, items, ray, workers)
    elif workers > 1 and len(items) > 1:
        yield from _process_map(fn, items, workers)
    else:
        yield from map(fn, items)


def _process_map(fn, items: list, workers: int) -> Iterator[Any]:
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool
    from multiprocessing import get_context

    finished: dict[int, Any] = {}
    next_out, failures = 0, 0
    pending = list(range(len(items)))
    while pending:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            futures = {i: pool.submit(fn, items[i]) for i in pending}
            try:
                for i in pending:
                    finished[i] = futures[i].result()
                    while next_out in finished:
                        yield finished.pop(next_out)
                        next_out += 1
            except BrokenProcessPool:
                failures += 1
                if failures > RETRIES:
                    raise RuntimeError(
                        f"worker processes died {failures} times; giving up"
                    ) from None
                for i, future in futures.items():  # keep what finished before the death
                    if future.done() and not future.cancelled() and future.exception() is None:
                        finished[i] = future.result()
        pending = [i for i in range(next_out, len(items)) if i not in finished]
    while next_out in finished:
        yield finished.pop(next_out)
        next_out += 1


def _ray_map(fn, items: list, address: str, workers: int) -> Iterator[Any]:
    try:
        import ray as ray_lib
    except ImportError:
        raise RuntimeError(RAY_MISSING) from None
    if not ray_lib.is_initialized():
        if address == "local":
            ray_lib.init(
                num_cpus=workers,
                include_dashboard=False,
                log_to_driver=False,
                logging_level="ERROR",
            )
        else:
            ray_lib.init(address=address, log_to_driver=False, logging_level="ERROR")
    task = ray_lib.remote(max_retries=RETRIES)(fn)
    refs = [task.remote(item) for item in items]
    for ref in refs:
        yield ray_lib.get(ref)

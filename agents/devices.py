"""Where a model runs: `--device auto|cpu|cuda[:N]` and `--dtype`, the same for every command.

`auto` is CUDA when torch sees a GPU, else the CPU; the `auto` dtype is bfloat16 on CUDA and
float32 on the CPU. torch is imported only to answer `auto` or check a CUDA device. On the CPU,
`cpu_threads` picks how many threads a model runs on.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Sequence

DEVICE_FORMS = "auto, cpu, cuda or cuda:N"
DTYPES = ("auto", "float32", "bfloat16", "float16")
TRAIN_DTYPES = ("auto", "float32", "bfloat16")  # training has no float16 loss scaling
_DEVICE = re.compile(r"auto|cpu|cuda(:\d+)?")


def resolve_device(spec: str = "auto") -> str:
    """The torch device `spec` names: `cpu`, `cuda` or `cuda:N` (`auto`: CUDA when available).

    Raises a ValueError that names the accepted forms, or says that this machine lacks the
    CUDA device asked for."""
    if not _DEVICE.fullmatch(spec):
        raise ValueError(f"unknown device {spec!r}; expected {DEVICE_FORMS}")
    if spec == "cpu":
        return spec
    import torch

    if spec == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    index, count = int(spec.partition(":")[2] or 0), torch.cuda.device_count()
    if index >= count:
        raise ValueError(f"device {spec!r} is not here ({count} CUDA devices); use auto or cpu")
    return spec


def resolve_dtype(spec: str, device: str) -> str:
    """The dtype's name: `spec`, or for `auto` bfloat16 on CUDA and float32 elsewhere."""
    if spec not in DTYPES:
        raise ValueError(f"unknown dtype {spec!r}; expected one of {', '.join(DTYPES)}")
    if spec == "auto":
        return "bfloat16" if device.startswith("cuda") else "float32"
    return spec


def device_arg(spec: str) -> str:
    """argparse type for `--device`: the spec unchanged, or a one-line usage error."""
    try:
        if spec != "auto":  # `auto` always resolves; leave torch unimported until it runs
            resolve_device(spec)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return spec


def add_device_arguments(
    parser: argparse._ActionsContainer, dtypes: Sequence[str] = DTYPES
) -> None:
    """`--device` and `--dtype` (unless `dtypes` is empty) on a parser or argument group."""
    parser.add_argument(
        "--device", type=device_arg, default="auto", help=f"{DEVICE_FORMS} (default auto)"
    )
    if not dtypes:
        return
    parser.add_argument(
        "--dtype",
        choices=dtypes,
        default="auto",
        help="default auto: bfloat16 on CUDA, float32 on the CPU",
    )


def cpu_threads(workers: int = 1) -> int:
    """Threads for a model on the CPU: `DYNPLAN_THREADS` or `OMP_NUM_THREADS` when set; else
    the cores this process may use, shared by `workers` processes, less those other work keeps
    busy (the 1-minute load average), and at least one. A thread that waits for a busy core
    stalls the others at every operation: SmolLM2 decoded 10.6 tokens/s on 2 threads and 17.6
    on one while both of 2 cores trained a model."""
    for name in ("DYNPLAN_THREADS", "OMP_NUM_THREADS"):
        if os.environ.get(name, "").isdigit() and int(os.environ[name]) > 0:
            return int(os.environ[name])
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    busy = round(os.getloadavg()[0]) if hasattr(os, "getloadavg") else 0
    return max(1, min((cores or 1) // max(workers, 1), (cores or 1) - busy))

"""`dynplan serve`: an OpenAI-compatible server (FastAPI on uvicorn) over a local transformers
model."""

from __future__ import annotations

import argparse
import contextlib

from agents.devices import add_device_arguments
from agents.models import DEFAULT_MODEL


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=DEFAULT_MODEL, help="embedded name or HF directory")
    parser.add_argument("--adapter", default=None, help="a peft adapter directory")
    add_device_arguments(parser)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--served-name", default=None, help="model name the API reports")
    parser.add_argument("--max-batch", type=int, default=16)
    parser.add_argument("--batch-wait-ms", type=float, default=10.0)


def run(args: argparse.Namespace) -> int:
    from agents.backends import make_backend
    from agents.backends.server import CompletionServer

    backend = make_backend(
        "transformers",
        model=args.model,
        adapter=args.adapter,
        dtype=args.dtype,
        device=args.device,
    )
    try:
        server = CompletionServer(
            backend,
            args.served_name or args.model,
            args.host,
            args.port,
            args.max_batch,
            args.batch_wait_ms / 1000,
        )
    except OSError as err:  # the port is taken, or the host is not this machine's
        raise SystemExit(
            f"dynplan serve: cannot listen on {args.host}:{args.port}: {err}"
        ) from None
    print(f"serving {args.model} at {server.url} (Ctrl-C stops)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0

"""Command-line options that choose an LLM backend, shared by the subcommands."""

from __future__ import annotations

import argparse
from typing import Any

from agents.backends.base import DECODE_MODES, MAX_RETRIES, REQUEST_TIMEOUT_S
from agents.devices import add_device_arguments
from agents.models import DEFAULT_MODEL


def add_backend_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("LLM backend")
    group.add_argument("--backend", choices=("transformers", "openai"), default="transformers")
    group.add_argument(
        "--model",
        default=None,
        help=f"embedded model name (default {DEFAULT_MODEL}) or a local HF directory; for "
        "--backend openai, the served model's name",
    )
    group.add_argument("--adapter", default=None, help="a peft adapter directory")
    group.add_argument("--base-url", default=None, help="OpenAI-compatible server, e.g. .../v1")
    add_device_arguments(group)
    group.add_argument(
        "--decode",
        choices=DECODE_MODES,
        default="auto",
        help="transformers decoding: auto (CUDA graphs on a GPU, else dynamic), dynamic, "
        "static, graph",
    )
    group.add_argument(
        "--timeout", type=float, default=REQUEST_TIMEOUT_S, help="seconds per request"
    )
    group.add_argument("--max-retries", type=int, default=MAX_RETRIES)


def backend_options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {"kind": args.backend, "model": args.model}
    if args.backend == "transformers":
        options.update(adapter=args.adapter, dtype=args.dtype, device=args.device)
        if args.decode != "auto":
            options["decode"] = args.decode
    else:
        options.update(base_url=args.base_url, timeout=args.timeout, max_retries=args.max_retries)
    return options


def agent_from_args(
    args: argparse.Namespace,
    *,
    spec=None,
    history_length: int | None = None,
    seed: int = 0,
    env: str = "crafter",
    env_kwargs: dict[str, Any] | None = None,
):
    """The agent that `--agent` (or `spec`, the words already parsed), `--plans`,
    `--temperature` and the backend options describe, for the game `env`
    (`dynplan_gym.env_family`); a spec it cannot make ends the command with one line that says
    why."""
    from agents.factory import make_agent

    try:
        return make_agent(
            spec or args.agent,
            backend_options=backend_options(args),
            temperature=args.temperature,
            history_length=history_length,
            plans=args.plans,
            seed=seed,
            env=env,
            env_kwargs=env_kwargs,
        )
    except (ValueError, FileNotFoundError) as err:
        raise SystemExit(
            f"dynplan {getattr(args, 'command', '')}: {err}".replace("  ", " ")
        ) from None

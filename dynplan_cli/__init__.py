"""The `dynplan` command.

Each subcommand is a module with `add_arguments(parser)` and `run(args) -> int` that keeps its
heavy imports (torch, transformers, crafter) inside `run`, so `dynplan --help` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> (module, help); each module has `add_arguments(parser)` and `run(args) -> int`.
SUBCOMMANDS = {
    "demo": (
        "dynplan_cli.demo",
        "the main job: evaluate the standard agents and show the leaderboard",
    ),
    "play": ("dynplan_cli.play", "play one short DynPlanCrafter-v0 episode and print what happens"),
    "eval": ("dynplan_cli.eval_cmd", "evaluate an agent on a protocol"),
    "submit": ("dynplan_cli.submit", "validate a result file and add it to the leaderboard"),
    "replay": (
        "dynplan_cli.replay",
        "look at an episode of a run: its frames, plans and answers on one HTML page (or a video)",
    ),
    "leaderboard": ("dynplan_cli.leaderboard_cmd", "show the leaderboard"),
    "compare": (
        "dynplan_cli.compare",
        "two evaluations of one protocol: differences, paired by seed, with standard errors",
    ),
    "data": ("dynplan_cli.data", "generate synthetic planning data from the scripted expert"),
    "train": ("dynplan_cli.train", "train the learned dynamic planner: sft, then rl"),
    "diagnose": (
        "dynplan_cli.diagnose",
        "a learned agent's next-action accuracy against the expert on held-out states",
    ),
    "serve": ("dynplan_cli.serve", "serve a local model over an OpenAI-compatible HTTP API"),
    "experiment": (
        "dynplan_cli.experiment",
        "run an experiment (goldilocks: how often to plan; steering: human plans; tech-tree: "
        "how deep agents get; sample-efficiency: RL from SFT) with results and a plot",
    ),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The `dynplan` parser; given the `command` about to run, only that subcommand's
    arguments are built (so a command imports no other's modules), else all of them."""
    parser = argparse.ArgumentParser(
        prog="dynplan", description="dynplan-gym: learning when to plan, for LLM agents."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, help_text) in SUBCOMMANDS.items():
        sub_parser = sub.add_parser(name, help=help_text, description=help_text)
        sub_parser.set_defaults(_module=module)
        if command in (None, name):
            importlib.import_module(module).add_arguments(sub_parser)
    return parser


# Arguments several subcommands take, checked once for all: dest -> (test, what is expected).
ARGUMENT_RULES = {
    "temperature": (lambda v: v >= 0, ">= 0"),
    "seed": (lambda v: v >= 0, ">= 0"),
    "agent_seed": (lambda v: v >= 0, ">= 0"),
    "port": (lambda v: 0 <= v <= 65535, "a port in [0, 65535]"),
    "max_bytes": (lambda v: v >= 1, ">= 1"),
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    command = argv[0] if argv and argv[0] in SUBCOMMANDS else ""  # "": none (`dynplan --help`)
    args = build_parser(command).parse_args(argv)
    for dest, (valid, expected) in ARGUMENT_RULES.items():
        value = getattr(args, dest, None)
        if value is not None and not valid(value):
            flag = "--" + dest.replace("_", "-")
            raise SystemExit(f"dynplan {args.command}: {flag} must be {expected}, got {value}")
    return importlib.import_module(args._module).run(args)


# an optional package -> the extra of `pip install dynplan-gym[EXTRA]` that brings it
EXTRA_OF = {
    **dict.fromkeys(("pydantic", "tqdm", "matplotlib"), "eval"),
    **dict.fromkeys(
        ("torch", "transformers", "tokenizers", "safetensors", "gguf", "peft", "httpx"), "llm"
    ),
    **dict.fromkeys(("accelerate", "fastapi", "starlette", "uvicorn"), "llm"),
    "stable_baselines3": "rl",
    "ray": "scale",
    "imageio_ffmpeg": "video",
}


def cli() -> int:
    """The `dynplan` console script: `main`, where a user's mistake (a subcommand's one-line
    refusal) is printed on stderr and exits with 2, argparse's code for bad usage; a missing
    optional package names the extra that brings it; Ctrl-C ends with one line and 130."""
    try:
        return main()
    except SystemExit as refusal:
        if isinstance(refusal.code, str):
            print(refusal.code, file=sys.stderr)
            return 2
        raise
    except BrokenPipeError:  # the reader went away (`dynplan leaderboard | head`)
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except (FileExistsError, NotADirectoryError, IsADirectoryError, PermissionError) as err:
        print(
            f"dynplan: {err.strerror}: {err.filename} (expected a directory to write in)"
            if isinstance(err, (FileExistsError, NotADirectoryError))
            else f"dynplan: {err.strerror}: {err.filename}",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        print(
            "dynplan: interrupted; what finished is kept (an evaluation or training run "
            "continues with --resume and the same --out)",
            file=sys.stderr,
        )
        return 130
    except ModuleNotFoundError as missing:
        top = (missing.name or "").split(".")[0]
        if top not in EXTRA_OF:
            raise
        print(
            f"dynplan: this command needs {top}, an optional dependency: "
            f"pip install 'dynplan-gym[{EXTRA_OF[top]}]' (or dynplan-gym[all])",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(cli())

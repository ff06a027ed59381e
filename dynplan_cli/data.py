"""`dynplan data crafter|pogs|pogs-hard`: synthetic planning data from the env's expert.

Its flags are `DataConfig`'s fields (`baselines.configs.add_config_arguments`); those below are
how to run it, not what it makes."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from baselines.configs import add_config_arguments
    from baselines.planning_data import DataConfig

    add_config_arguments(parser, DataConfig, positional=("env",), unset_is_default=True)
    parser.add_argument("--out", default=None, help="default: <data dir>/datasets/<name>")
    parser.add_argument(
        "--paper-scale",
        action="store_true",
        help="1,024 trajectories of up to 2,000 steps (as the paper); --trajectories and "
        "--max-steps still win",
    )
    scale = parser.add_argument_group("spreading the episodes (the same bytes either way)")
    scale.add_argument("--workers", type=int, default=1, help="local worker processes")
    scale.add_argument(
        "--ray",
        nargs="?",
        const="local",
        default=None,
        metavar="ADDRESS",
        help="run on Ray: a cluster's address, or alone for a local Ray of --workers CPUs",
    )
    parser.add_argument("--no-progress", action="store_true")


def run(args: argparse.Namespace) -> int:
    from baselines.configs import config_from_args
    from baselines.planning_data import PAPER_SCALE, DataConfig, generate
    from dynplan_gym.paths import data_home

    given = vars(args)
    sizes = {k: v for k, v in PAPER_SCALE.items() if k not in given} if args.paper_scale else {}
    try:
        config = config_from_args(DataConfig, args, **sizes)
    except ValueError as err:
        raise SystemExit(f"dynplan data: {err}") from None
    out = args.out or data_home() / "datasets" / (
        f"{config.env}-{config.trajectories}x{config.max_steps}-seed{config.seed}"
    )
    if args.workers < 1:
        raise SystemExit(f"dynplan data: --workers must be >= 1, got {args.workers}")
    try:
        card = generate(
            config, out, progress=not args.no_progress, workers=args.workers, ray=args.ray
        )
    except RuntimeError as err:  # Ray missing or unreachable
        raise SystemExit(f"dynplan data: {err}") from None
    print(f"dataset: {out}")
    for key in ("trajectories", "samples", "plan_rate", "tokens_per_plan"):
        value = card[key]
        print(f"  {key:<16} {value:.3f}" if isinstance(value, float) else f"  {key:<16} {value}")
    print("  schedules       ", card["schedules"])
    print("  styles          ", card["styles"])
    print("  actions         ", {k: v for k, v in card["actions"].items() if v})
    return 0

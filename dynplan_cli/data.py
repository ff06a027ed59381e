"""`dynplan data crafter|pogs|pogs-hard`: synthetic planning data from the env's expert."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("env", choices=("crafter", "pogs", "pogs-hard"))
    parser.add_argument("--out", default=None, help="default: <data dir>/datasets/<name>")
    parser.add_argument("--trajectories", type=int, default=None, help="default 128")
    parser.add_argument(
        "--max-steps",
        type=int,
        default=None,
        help="episode cap; default 250 (Crafter), the POGS protocols' 30 (POGS)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--first-env-seed", type=int, default=10_000)
    parser.add_argument(
        "--schedules",
        default="every=1",
        help="weights, e.g. every=1,dynamic=1 (every:K draws K ~ U[2, 12] per trajectory)",
    )
    parser.add_argument(
        "--actor",
        default="expert",
        help="who picks the actions (Crafter): expert; executor (the expert plans on the "
        "schedule, and the plan in force is carried out from what the prompt shows: actions "
        "that depend on the plan); or a trained policy sb3:NAME|DIR whose sampled actions "
        "become the answers (the expert, following along, writes the plans)",
    )
    parser.add_argument(
        "--alternatives",
        type=float,
        default=0.0,
        help="with --actor executor: the chance a new plan names another subgoal the rules "
        "allow instead of the expert's (the plan, not the state, then says what comes next)",
    )
    parser.add_argument(
        "--hide-plans",
        action="store_true",
        help="write the same trajectories with no plan in prompts or answers (the never-plan "
        "control of an --actor executor dataset: its actions still follow the hidden plans)",
    )
    parser.add_argument(
        "--noise",
        type=float,
        default=0.0,
        help="DART: the chance each step plays a random action instead (the answer stays the "
        "actor's), so the data shows how to recover from mistakes",
    )
    parser.add_argument(
        "--plans",
        default=None,
        help="who writes the plans (Crafter): expert (the default: its intent), or hindsight "
        "(the achievements the player goes on to unlock, so a plan says what its actions do)",
    )
    parser.add_argument(
        "--hindsight-goals",
        type=int,
        default=None,
        help="the most achievements a hindsight plan names (default 3)",
    )
    parser.add_argument(
        "--paper-scale",
        action="store_true",
        help="1,024 trajectories of up to 2,000 steps (as the paper)",
    )
    prompt = parser.add_argument_group("the prompt of every sample (a model is played with it)")
    prompt.add_argument("--history", type=int, default=None, help="observations shown in full")
    prompt.add_argument("--recent-actions", type=int, default=None, help="last actions named")
    prompt.add_argument(
        "--no-map-memory", action="store_true", help="leave out the 'You remember' lines"
    )
    prompt.add_argument(
        "--text-options",
        default=None,
        help="Crafter's observation text: dynplan (default, the env's) or balrog (BALROG's, as "
        "crafter-balrog shows it)",
    )
    prompt.add_argument(
        "--neighbours",
        action="store_true",
        help="POGS: restate the current node's neighbours after the observation",
    )
    prompt.add_argument(
        "--no-instruction",
        action="store_true",
        help="leave out the system message (rules, actions, answer format): for models trained "
        "from scratch, which learn nothing from a constant text",
    )
    prompt.add_argument(
        "--view-grid",
        action="store_true",
        help="Crafter: draw the visible window as a grid of characters after the observation "
        "(the text names only the nearest cell of each kind)",
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
    from baselines.planning_data import PAPER_SCALE, DataConfig, generate
    from dynplan_gym.paths import data_home

    try:
        weights = {k: float(v) for k, v in (p.split("=") for p in args.schedules.split(","))}
    except ValueError:
        raise SystemExit(
            f"dynplan data: --schedules must look like every=1,dynamic=1; got {args.schedules!r}"
        ) from None
    sizes = dict(PAPER_SCALE) if args.paper_scale else {}
    if args.trajectories is not None:
        sizes["trajectories"] = args.trajectories
    if args.max_steps is not None:
        sizes["max_steps"] = args.max_steps
    elif args.env != "crafter":
        from leaderboard.protocols import get_protocol

        sizes["max_steps"] = get_protocol("pogs-standard").max_steps
    for key in ("plans", "hindsight_goals", "history", "recent_actions", "text_options"):
        if getattr(args, key) is not None:  # left out: DataConfig's default
            sizes["history_length" if key == "history" else key] = getattr(args, key)
    try:
        config = DataConfig(
            seed=args.seed,
            first_env_seed=args.first_env_seed,
            schedule_weights=weights,
            map_memory=not args.no_map_memory,
            neighbours=args.neighbours,
            instruction=not args.no_instruction,
            view_grid=args.view_grid,
            env=args.env,
            actor=args.actor,
            hide_plans=args.hide_plans,
            alternatives=args.alternatives,
            noise=args.noise,
            **sizes,
        )
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

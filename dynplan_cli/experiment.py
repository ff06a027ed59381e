"""`dynplan experiment NAME`: one command per experiment, results and a plot under
experiments/NAME/."""

from __future__ import annotations

import argparse

from baselines.configs import (
    GoldilocksConfig,
    SampleEfficiencyConfig,
    SteeringConfig,
    TechTreeConfig,
    add_config_arguments,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    names = parser.add_subparsers(dest="experiment", required=True, metavar="NAME")
    goldilocks = names.add_parser(
        "goldilocks", help="progression and plan tokens against the planning interval K"
    )
    add_config_arguments(goldilocks, GoldilocksConfig)
    goldilocks.add_argument("--no-progress", action="store_true")
    steering = names.add_parser(
        "steering", help="an actor's progression with no plans, its own, human and expert plans"
    )
    add_config_arguments(steering, SteeringConfig)
    steering.add_argument("--no-progress", action="store_true")
    tech_tree = names.add_parser(
        "tech-tree", help="how deep into Crafter's tech tree each agent gets, paired by seed"
    )
    add_config_arguments(tech_tree, TechTreeConfig)
    tech_tree.add_argument("--no-progress", action="store_true")
    efficiency = names.add_parser(
        "sample-efficiency", help="PPO from the SFT planner, its control and the untrained base"
    )
    add_config_arguments(efficiency, SampleEfficiencyConfig)
    efficiency.add_argument("--no-progress", action="store_true")


def run(args: argparse.Namespace) -> int:
    if args.experiment == "steering":
        return run_steering(args)
    if args.experiment == "tech-tree":
        return run_tech_tree(args)
    if args.experiment == "sample-efficiency":
        return run_sample_efficiency(args)
    from baselines.configs import config_from_args
    from baselines.goldilocks import PLOT, RESULTS, run_goldilocks

    try:
        config = config_from_args(GoldilocksConfig, args)
        config.parsed_settings()
        results = run_goldilocks(config, progress=not args.no_progress)
    except (FileExistsError, ValueError, RuntimeError) as err:  # RuntimeError: Ray's
        raise SystemExit(f"dynplan experiment goldilocks: {err}") from None
    for setting in results["settings"]:
        print(f"latency {setting['latency']}, noise {setting['noise']:g}:")
        for name, point in setting["runs"].items():
            p = point["progression"]
            print(
                f"  {name:>9}: {results['score']} {p['mean']:5.1f} ± {p['se']:.1f} %, "
                f"plan tokens/step {point['plan_tokens_per_step']:.2f}"
            )
        if setting["gate"]:
            where = "on or beyond" if setting["gate"]["on_or_beyond_front"] else "behind"
            who = "the learned gate" if "learned" in setting["runs"] else "dynamic"
            print(f"  {who} is {where} the every-K front")
    print(f"results: {config.out}/{RESULTS}, plot: {config.out}/{PLOT}")
    return 0


def run_steering(args: argparse.Namespace) -> int:
    from baselines.configs import config_from_args
    from baselines.steering import PLOT, RESULTS, run_steering, verdict

    try:
        config = config_from_args(SteeringConfig, args)
        results = run_steering(config, progress=not args.no_progress)
    except (FileExistsError, FileNotFoundError, ValueError, KeyError, RuntimeError) as err:
        raise SystemExit(f"dynplan experiment steering: {err}") from None
    for entry in results["actors"]:
        print(f"actor {entry['actor']}:")
        for name, point in entry["runs"].items():
            p = point["progression"]
            print(f"  {name:>34}: progression {p['mean']:5.1f} ± {p['se']:.1f} %")
        print(f"  {verdict(entry)}")
    print(f"results: {config.out}/{RESULTS}, plot: {config.out}/{PLOT}")
    return 0


def run_tech_tree(args: argparse.Namespace) -> int:
    from baselines.configs import config_from_args
    from baselines.tech_tree import PLOT, RESULTS, run_tech_tree, verdict

    try:
        config = config_from_args(TechTreeConfig, args)
        results = run_tech_tree(config, progress=not args.no_progress)
    except (FileExistsError, FileNotFoundError, ValueError, KeyError, RuntimeError) as err:
        raise SystemExit(f"dynplan experiment tech-tree: {err}") from None
    for agent, point in results["agents"].items():
        p, tier = point["progression"], point["deepest_tier"]
        print(
            f"{agent:>24}: progression {p['mean']:5.1f} ± {p['se']:.1f} %, deepest tier "
            f"{tier['mean']:.2f} ± {tier['se']:.2f}"
        )
    print(verdict(results))
    print(f"results: {config.out}/{RESULTS}, plot: {config.out}/{PLOT}")
    return 0


def run_sample_efficiency(args: argparse.Namespace) -> int:
    from baselines.configs import config_from_args
    from baselines.sample_efficiency import PLOT, RESULTS, run_sample_efficiency, verdict

    try:
        config = config_from_args(SampleEfficiencyConfig, args)
        results = run_sample_efficiency(config, progress=not args.no_progress)
    except (FileExistsError, FileNotFoundError, ValueError, KeyError, RuntimeError) as err:
        raise SystemExit(f"dynplan experiment sample-efficiency: {err}") from None
    for name, start in results["starts"].items():
        play = start["final_play"]
        print(f"{name:>8}: final play {play['mean']:5.1f} ± {play['se']:.1f} % progression")
    print(verdict(results))
    print(f"results: {config.out}/{RESULTS}, plot: {config.out}/{PLOT}")
    return 0

"""`dynplan experiment NAME`: one command per experiment, results and a plot under
experiments/NAME/."""

from __future__ import annotations

import argparse

from baselines.configs import GoldilocksConfig, add_config_arguments

GOLDILOCKS_HELP = {
    "out": "where results.json, goldilocks.png, the runs and the trained gates go",
    "agent": "gate (the scripted expert's halves behind the gate) or llm (--model)",
    "intervals": "the planning intervals K (replan every K steps)",
    "settings": "LATENCY:NOISE pairs (gate only): steps to write a plan, planner noise",
    "gate_timesteps": "PPO steps of each setting's learned gate; 0: no learned gate",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    names = parser.add_subparsers(dest="experiment", required=True, metavar="NAME")
    goldilocks = names.add_parser(
        "goldilocks", help="progression and plan tokens against the planning interval K"
    )
    add_config_arguments(goldilocks, GoldilocksConfig, helps=GOLDILOCKS_HELP)
    goldilocks.add_argument("--no-progress", action="store_true")


def run(args: argparse.Namespace) -> int:
    from baselines.configs import config_from_args
    from baselines.goldilocks import PLOT, RESULTS, run_goldilocks

    try:
        config = config_from_args(GoldilocksConfig, args)
        config.parsed_settings()
        results = run_goldilocks(config, progress=not args.no_progress)
    except (FileExistsError, ValueError) as err:
        raise SystemExit(f"dynplan experiment goldilocks: {err}") from None
    for setting in results["settings"]:
        print(f"latency {setting['latency']}, noise {setting['noise']:g}:")
        for name, point in setting["runs"].items():
            p = point["progression"]
            print(
                f"  {name:>9}: progression {p['mean']:5.1f} ± {p['se']:.1f} %, "
                f"plan tokens/step {point['plan_tokens_per_step']:.2f}"
            )
        if setting["gate"]:
            where = "on or beyond" if setting["gate"]["on_or_beyond_front"] else "behind"
            print(f"  the learned gate is {where} the every-K front")
    print(f"results: {config.out}/{RESULTS}, plot: {config.out}/{PLOT}")
    return 0

"""`dynplan train sft|dagger|rl`: the learned dynamic planner's stages; `dynplan train sb3`: the
SB3 PPO baseline that reads no text; `dynplan train gate`: the learned plan gate (SB3 PPO)."""

from __future__ import annotations

import argparse

from baselines.configs import (
    DaggerConfig,
    GateConfig,
    PPOConfig,
    SB3PPOConfig,
    SFTConfig,
    add_config_arguments,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    stages = parser.add_subparsers(dest="stage", required=True, metavar="STAGE")
    for name, config_class, text in (
        ("sft", SFTConfig, "supervised fine-tuning on planning data"),
        ("dagger", DaggerConfig, "the expert labels the student's own states"),
        ("rl", PPOConfig, "PPO with a planning cost on the LLM policy"),
        ("sb3", SB3PPOConfig, "SB3 PPO on the semantic observation (no text)"),
        ("gate", GateConfig, "SB3 PPO on the plan gate (keep / replan)"),
    ):
        stage = stages.add_parser(name, help=text)
        add_config_arguments(stage, config_class)
        stage.add_argument("--resume", action="store_true", help="continue from a checkpoint")
        stage.add_argument("--no-progress", action="store_true")


def run(args: argparse.Namespace) -> int:
    if args.stage in ("rl", "dagger", "sb3", "gate"):
        from importlib import import_module

        module = {"rl": "baselines.ppo_llm", "dagger": "baselines.dagger"}.get(
            args.stage, "baselines.sb3_ppo"
        )
        return import_module(module).run_from_args(args)
    from baselines.configs import config_from_args
    from baselines.sft import train_sft

    config = config_from_args(SFTConfig, args)
    try:
        card = train_sft(config, resume=args.resume, progress=not args.no_progress)
    except (FileExistsError, FileNotFoundError, ValueError) as err:
        raise SystemExit(f"dynplan train sft: {err}") from None
    print(f"model: {config.out} ({card['kind']}, {card['steps']} steps)")
    losses = card["train_loss"]
    if losses:
        print(f"  train loss {losses[0]['loss']:.3f} -> {losses[-1]['loss']:.3f}")
    if card["final_held_out_loss"] is not None:
        print(f"  held-out loss {card['final_held_out_loss']:.3f}")
    return 0

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

SFT_RENAMES = {"learning_rate": "lr"}  # `--lr`, as the model cards' commands write it
SFT_HELP = {
    "data": "a dataset directory from `dynplan data`",
    "out": "where the model (or adapter) goes",
    "model": "a local HF directory, an embedded model name, or scratch:tiny|small|base",
    "lora_rank": "0: full fine-tuning",
    "max_steps": "> 0 overrides --epochs",
    "learning_rate": "1e-3 scratch, 2e-4 LoRA, 2e-5 full when not given",
    "prompt_loss_weight": "weight of the loss on each sample's own prompt (0: answers only)",
}
DAGGER_HELP = {
    "model": "the SFT model directory (or shipped name) that plays first",
    "data": "the planning data it learned from, replayed beside its own states",
    "out": "where each round's states, training set and model go",
}
RL_HELP = {"model": "the SFT model directory", "adapter": "the SFT adapter, if SFT made one"}
SB3_HELP = {
    "out": "where the policy, card, logs and checkpoints go",
    "net_arch": "hidden layer widths of the policy and value MLPs",
}


GATE_HELP = {
    **SB3_HELP,
    "latency": "steps a new plan takes to write (the executor idles)",
    "noise": "chance the planner writes another feasible plan",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    stages = parser.add_subparsers(dest="stage", required=True, metavar="STAGE")
    for name, config_class, renames, helps, text in (
        ("sft", SFTConfig, SFT_RENAMES, SFT_HELP, "supervised fine-tuning on planning data"),
        ("dagger", DaggerConfig, None, DAGGER_HELP, "the expert labels the student's own states"),
        ("rl", PPOConfig, None, RL_HELP, "PPO with a planning cost on the LLM policy"),
        ("sb3", SB3PPOConfig, None, SB3_HELP, "SB3 PPO on the semantic observation (no text)"),
        ("gate", GateConfig, None, GATE_HELP, "SB3 PPO on the plan gate (keep / replan)"),
    ):
        stage = stages.add_parser(name, help=text)
        add_config_arguments(stage, config_class, renames, helps)
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

    config = config_from_args(SFTConfig, args, SFT_RENAMES)
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

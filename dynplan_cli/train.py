"""`dynplan train sft|rl`: the learned dynamic planner's two stages."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    stages = parser.add_subparsers(dest="stage", required=True, metavar="STAGE")
    sft = stages.add_parser("sft", help="supervised fine-tuning on synthetic planning data")
    sft.add_argument("--data", required=True, help="a dataset directory from `dynplan data`")
    sft.add_argument("--out", required=True, help="where the model (or adapter) goes")
    sft.add_argument(
        "--model",
        default="scratch:small",
        help="a local HF directory, an embedded model name, or scratch:tiny|small|base",
    )
    sft.add_argument("--lora-rank", type=int, default=16, help="0: full fine-tuning")
    sft.add_argument("--lora-alpha", type=int, default=32)
    sft.add_argument("--lora-targets", default="q_proj,k_proj,v_proj,o_proj")
    sft.add_argument("--epochs", type=float, default=1.0)
    sft.add_argument("--max-steps", type=int, default=-1, help="> 0 overrides --epochs")
    sft.add_argument("--lr", type=float, default=None)
    sft.add_argument("--batch-size", type=int, default=16)
    sft.add_argument("--grad-accum", type=int, default=1)
    sft.add_argument("--max-length", type=int, default=2048)
    sft.add_argument("--eval-fraction", type=float, default=0.05)
    sft.add_argument("--eval-steps", type=int, default=100)
    sft.add_argument("--save-steps", type=int, default=100)
    sft.add_argument("--seed", type=int, default=0)
    sft.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    sft.add_argument("--no-progress", action="store_true")
    sft.set_defaults(_stage="sft")

    from baselines.ppo_llm import add_rl_arguments

    add_rl_arguments(stages.add_parser("rl", help="PPO with a planning cost on the LLM policy"))


def run(args: argparse.Namespace) -> int:
    if args.stage == "rl":
        from baselines.ppo_llm import run_from_args

        return run_from_args(args)
    from baselines.sft import SFTConfig, train_sft

    config = SFTConfig(
        data=args.data,
        out=args.out,
        model=args.model,
        lora_rank=args.lora_rank,
        lora_alpha=args.lora_alpha,
        lora_targets=[t for t in args.lora_targets.split(",") if t],
        epochs=args.epochs,
        max_steps=args.max_steps,
        learning_rate=args.lr,
        batch_size=args.batch_size,
        grad_accum=args.grad_accum,
        max_length=args.max_length,
        eval_fraction=args.eval_fraction,
        eval_steps=args.eval_steps,
        save_steps=args.save_steps,
        seed=args.seed,
    )
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

"""`dynplan diagnose`: a learned agent's next-action accuracy against the expert, or (`--probe`)
how much a dataset's plans say about its actions before any model is trained."""

from __future__ import annotations

import argparse
import dataclasses

from agents.devices import add_device_arguments


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from baselines.diagnose import DiagnoseConfig

    defaults = {f.name: f.default for f in dataclasses.fields(DiagnoseConfig)}
    parser.add_argument("--model", default=None, help="a checkpoint name or model directory")
    parser.add_argument(
        "--probe",
        action="store_true",
        help="no model: train a small classifier on the data's trajectories, with plans and "
        "without, and report its held-out next-action accuracy both ways (the plans' information)",
    )
    parser.add_argument("--adapter", default=None, help="a peft adapter directory")
    parser.add_argument(
        "--data", required=True, help="expert samples on held-out seeds (`dynplan data`)"
    )
    parser.add_argument("--samples", type=int, default=defaults["samples"])
    parser.add_argument("--batch-size", type=int, default=defaults["batch_size"])
    parser.add_argument("--json", default=None, help="also write the report here")
    parser.add_argument("--no-progress", action="store_true")
    add_device_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from baselines.diagnose import DiagnoseConfig, diagnose, format_report, write_report

    if args.probe == bool(args.model):
        raise SystemExit("dynplan diagnose: give --model M (a trained student) or --probe")
    if args.probe:
        return _probe(args)

    config = DiagnoseConfig(
        model=args.model,
        data=args.data,
        adapter=args.adapter,
        samples=args.samples,
        batch_size=args.batch_size,
        device=args.device,
    )
    try:
        report = diagnose(config, progress=not args.no_progress)
    except (FileNotFoundError, ValueError) as err:
        raise SystemExit(f"dynplan diagnose: {err}") from None
    print(format_report(report))
    if args.json:
        write_report(report, args.json)
    return 0


def _probe(args: argparse.Namespace) -> int:
    from baselines.diagnose import write_report
    from baselines.plan_probe import probe
    from baselines.sft import load_samples

    try:
        report = probe(load_samples(args.data))
    except (FileNotFoundError, ValueError) as err:
        raise SystemExit(f"dynplan diagnose: {err}") from None
    print(
        f"next-action accuracy on {report['held_out_samples']} held-out states "
        f"({report['trajectories']} trajectories; seeds from {report['held_out_from_seed']} "
        f"held out): with plans {report['with_plans']:.1%}, without "
        f"{report['without_plans']:.1%}, the plans' information "
        f"{report['information']:+.1%} (the most common action: {report['majority']:.1%})"
    )
    if args.json:
        write_report(report, args.json)
    return 0

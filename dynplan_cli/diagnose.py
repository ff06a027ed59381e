"""`dynplan diagnose`: a learned agent's next-action accuracy against the expert."""

from __future__ import annotations

import argparse
import dataclasses

from agents.devices import add_device_arguments


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from baselines.diagnose import DiagnoseConfig

    defaults = {f.name: f.default for f in dataclasses.fields(DiagnoseConfig)}
    parser.add_argument("--model", required=True, help="a checkpoint name or model directory")
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

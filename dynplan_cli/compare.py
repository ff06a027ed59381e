"""`dynplan compare`: two evaluations of one protocol, candidate minus baseline, with s.e."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "baseline", help="a result.json (or the `dynplan eval --out` directory holding one)"
    )
    parser.add_argument("candidate", help="the same, of the agent compared with the baseline")
    parser.add_argument("--json", action="store_true", help="print the comparison as JSON")


def _load(path: str):
    from pathlib import Path

    from leaderboard.store import load_result_file

    file = Path(path)
    return load_result_file(file / "result.json" if file.is_dir() else file)


def run(args: argparse.Namespace) -> int:
    import json

    from leaderboard.compare import compare_results, comparison_to_dict, render_comparison

    try:
        comparison = compare_results(_load(args.baseline), _load(args.candidate))
    except ValueError as err:
        raise SystemExit(f"dynplan compare: {err}") from None
    if args.json:
        print(json.dumps(comparison_to_dict(comparison), indent=1))
    else:
        print(render_comparison(comparison))
    return 0

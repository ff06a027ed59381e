"""`dynplan submit`: validate a result file and add it to the leaderboard."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("result", help="a result.json written by `dynplan eval`")
    parser.add_argument(
        "--to-repo",
        action="store_true",
        help="also add it to leaderboard/submissions/ and re-render its README",
    )
    parser.add_argument(
        "--verify",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="replay every episode from the trajectories.jsonl beside the result and refuse "
        "what the replay contradicts (default: on with --to-repo)",
    )
    parser.add_argument(
        "--replace",
        action="store_true",
        help="take over a name another agent holds on the board (its rows stay stored)",
    )
    parser.add_argument(
        "--db", default=None, help="SQLite file (default <data dir>/leaderboard.sqlite)"
    )
    parser.add_argument(
        "--max-bytes",
        type=int,
        default=None,
        help="the largest result file accepted (default 4 MiB)",
    )


def run(args: argparse.Namespace) -> int:
    from leaderboard.store import MAX_RESULT_BYTES, Store, submit

    try:
        row, new, copied = submit(
            args.result,
            Store(args.db),
            args.to_repo,
            args.max_bytes or MAX_RESULT_BYTES,
            verify=args.verify,
            replace=args.replace,
        )
    except ValueError as err:
        raise SystemExit(f"dynplan submit: rejected: {err}") from None
    replayed = args.to_repo if args.verify is None else args.verify
    print(
        f"accepted as #{row}"
        + (" (verified by replay)" if replayed else "")
        + ("" if new else " (already on the leaderboard)")
    )
    if copied:
        from leaderboard.repository import write_repository_readme

        print(f"added {copied}; rendered {write_repository_readme()}")
    return 0

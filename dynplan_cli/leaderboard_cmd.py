"""`dynplan leaderboard`: show the leaderboard as a table, Markdown, HTML or JSON."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--protocol", default=None)
    parser.add_argument("--format", default="table", choices=("table", "md", "html", "json"))
    parser.add_argument("--out", default=None, help="write to this file instead of printing")
    parser.add_argument(
        "--db", default=None, help="SQLite file (default <data dir>/leaderboard.sqlite)"
    )
    parser.add_argument(
        "--repo",
        action="store_true",
        help="only the repository's committed submissions (no local store)",
    )


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from leaderboard.protocols import get_protocol
    from leaderboard.render import FORMATS
    from leaderboard.repository import repository_entries
    from leaderboard.store import Store

    if args.protocol:
        try:
            get_protocol(args.protocol)
        except ValueError as err:
            raise SystemExit(f"dynplan leaderboard: {err}") from None
    if args.repo:
        entries = repository_entries()
    else:
        store = Store(args.db)
        store.sync_repository()
        entries = store.entries()
    if args.format == "html" and args.out:  # each row with its run at hand links a replay
        from leaderboard.render import render_html, replay_links

        text = render_html(
            entries, args.protocol, replay_links(entries, Path(args.out), args.protocol)
        )
    else:
        text = FORMATS[args.format](entries, args.protocol)
    if args.out:
        Path(args.out).write_text(text)
        print(f"written to {args.out}")
    else:
        print(text)
    return 0

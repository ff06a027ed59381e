"""`dynplan replay`: one episode of a run, replayed from its recorded actions, as a page or a
video."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

FORMATS = (".html", ".gif", ".mp4")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", help="a `dynplan eval` run directory (with its trajectories.jsonl)")
    parser.add_argument("--seed", type=int, default=None, help="the episode (default: the first)")
    parser.add_argument(
        "--compare",
        default=None,
        help="a second run directory, its episode of the same seed beside",
    )
    parser.add_argument(
        "--out",
        default=None,
        help="the page (.html, default RUN/replay-seedS.html) or a video of the frames (.gif, "
        ".mp4; Crafter)",
    )
    parser.add_argument("--fps", type=int, default=8, help="frames per second of a video (8)")


def run(args: argparse.Namespace) -> int:
    from leaderboard.replay import render_page, replay_episode, write_video

    try:
        episode = replay_episode(args.run, args.seed)
        episodes = [episode]
        if args.compare:
            episodes.append(replay_episode(args.compare, episode.seed))
        out = Path(args.out) if args.out else Path(args.run) / f"replay-seed{episode.seed}.html"
        if out.suffix not in FORMATS:
            raise ValueError(f"--out {out}: expected a {', '.join(FORMATS)} file")
        if args.fps < 1:
            raise ValueError(f"--fps must be >= 1, got {args.fps}")
        if out.suffix == ".html":
            out.write_text(render_page(episodes))
        else:
            if args.compare:
                raise ValueError("--compare draws two runs on one page: write it as .html")
            write_video(episode, out, args.fps)
    except ValueError as err:
        raise SystemExit(f"dynplan replay: {err}") from None
    print(f"wrote {out} ({len(episode.steps)} steps of seed {episode.seed})")
    parted = [e for e in episodes if e.parted_at is not None]
    for e in parted:
        print(
            f"dynplan replay: {e.run}: the replay parts from the record at step {e.parted_at}",
            file=sys.stderr,
        )
    return 1 if parted else 0

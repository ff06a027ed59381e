"""The leaderboard kept in the repository: committed submissions and their README."""

from __future__ import annotations

from pathlib import Path

from leaderboard.metrics import compute_metrics
from leaderboard.render import render_markdown
from leaderboard.store import SUBMISSIONS_DIR, Entry, load_result_file

README = Path(__file__).resolve().parent / "README.md"


def repository_entries(directory: Path = SUBMISSIONS_DIR) -> list[Entry]:
    """Every committed submission, validated, with recomputed metrics."""
    entries = []
    for i, path in enumerate(sorted(directory.glob("*.json")), 1):
        result = load_result_file(path)
        entries.append(Entry(i, result, compute_metrics(result.episodes), f"repo:{path.name}", ""))
    return entries


def write_repository_readme(path: Path = README) -> Path:
    path.write_text(render_markdown(repository_entries()))
    return path

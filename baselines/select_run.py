"""Choose among training runs by how they play on development seeds.

`make learned` trains PPO once per seed and keeps the run whose evaluation on a development
protocol has the highest progression (ties: the first run named). Each run's evaluation is
`RECIPE/eval-PROTOCOL-RUNNAME/result.json`, as the recipe's `evaluate` writes it:

    python -m baselines.select_run PROTOCOL RECIPE RUN...

prints the chosen run and writes the scores to `RECIPE/rl-selection.json`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SELECTION_FILE = "rl-selection.json"


def select_run(protocol: str, recipe: str | Path, runs: list[str]) -> dict:
    """{"protocol", "scores": {run: {"progression", "se"}}, "chosen"}; one run needs no scores."""
    from leaderboard.metrics import compute_metrics
    from leaderboard.store import load_result_file

    if not runs:
        raise ValueError("select_run needs at least one run")
    scores = {}
    for run in runs if len(runs) > 1 else []:
        result = Path(recipe) / f"eval-{protocol}-{Path(run).name}" / "result.json"
        metrics = compute_metrics(load_result_file(result).episodes)
        scores[run] = {"progression": metrics.progression, "se": metrics.progression_se}
    chosen = max(runs, key=lambda run: scores[run]["progression"]) if scores else runs[0]
    return {"protocol": protocol, "scores": scores, "chosen": chosen}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) < 3:
        print("usage: python -m baselines.select_run PROTOCOL RECIPE RUN...", file=sys.stderr)
        return 2
    protocol, recipe, runs = argv[0], Path(argv[1]), argv[2:]
    try:
        selection = select_run(protocol, recipe, runs)
    except ValueError as err:
        print(f"select_run: {err}", file=sys.stderr)
        return 1
    (recipe / SELECTION_FILE).write_text(json.dumps(selection, indent=1) + "\n")
    for run, score in selection["scores"].items():
        print(
            f"{run}: {score['progression']:.1f} ± {score['se']:.1f} % on {protocol}",
            file=sys.stderr,
        )
    print(selection["chosen"])
    return 0


if __name__ == "__main__":
    sys.exit(main())

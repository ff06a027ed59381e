"""Choose among training runs by how they play on development seeds.

`make learned` trains PPO once per seed, evaluates each run (its adapter) on a development
protocol, and keeps the run whose evaluation has the highest progression (ties: the first
evaluation named). Each evaluation's result file names the run it played (`agent.adapter`):

    python -m baselines.select_run SELECTION_JSON EVALUATION_DIR...

writes the scores to SELECTION_JSON and prints the chosen run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def select_run(evaluations: list[str | Path]) -> dict:
    """{"protocol", "scores": {run: {"progression", "se"}}, "chosen"} of evaluation dirs."""
    from leaderboard.metrics import compute_metrics
    from leaderboard.store import load_result_file

    if not evaluations:
        raise ValueError("select_run needs at least one evaluation directory")
    scores, protocols = {}, set()
    for evaluation in evaluations:
        result = load_result_file(Path(evaluation) / "result.json")
        if not result.agent.adapter:
            raise ValueError(f"{evaluation}: evaluates no adapter; expected an RL run's evaluation")
        metrics = compute_metrics(result.episodes)
        scores[result.agent.adapter] = {
            "progression": metrics.progression,
            "se": metrics.progression_se,
        }
        protocols.add(result.protocol.id)
    if len(protocols) > 1:
        raise ValueError(f"the evaluations are on different protocols: {sorted(protocols)}")
    chosen = max(scores, key=lambda run: scores[run]["progression"])
    return {"protocol": protocols.pop(), "scores": scores, "chosen": chosen}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) < 2:
        print(
            "usage: python -m baselines.select_run SELECTION_JSON EVALUATION_DIR...",
            file=sys.stderr,
        )
        return 2
    try:
        selection = select_run(argv[1:])
    except ValueError as err:
        print(f"select_run: {err}", file=sys.stderr)
        return 1
    Path(argv[0]).write_text(json.dumps(selection, indent=1) + "\n")
    for run, score in selection["scores"].items():
        print(
            f"{run}: {score['progression']:.1f} ± {score['se']:.1f} % on {selection['protocol']}",
            file=sys.stderr,
        )
    print(selection["chosen"])
    return 0


if __name__ == "__main__":
    sys.exit(main())

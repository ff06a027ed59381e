"""Choose among training runs by how they play on development seeds.

`make learned` trains PPO once per seed, evaluates each run (its adapter) on a development
protocol, and keeps the run whose evaluation has the highest progression (ties: the first
evaluation named). Each evaluation's result file names the run it played (`agent.adapter`).
With `--reference`, the evaluation of the model PPO started from (no adapter) on the same
protocol, the selection also records the chosen run's gain over it, with its standard error
(paired by seed: both played the same seeds; `leaderboard.compare`): whether running PPO paid
at all.

    python -m baselines.select_run SELECTION_JSON [--reference EVALUATION_DIR] EVALUATION_DIR...

writes the scores to SELECTION_JSON and prints the chosen run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

USAGE = "usage: python -m baselines.select_run SELECTION_JSON [--reference DIR] EVALUATION_DIR..."


def _evaluated(evaluation: str | Path):
    """(result, {"progression", "se"}) of an evaluation directory."""
    from leaderboard.metrics import compute_metrics
    from leaderboard.store import load_result_file

    result = load_result_file(Path(evaluation) / "result.json")
    metrics = compute_metrics(result.episodes)
    return result, {"progression": metrics.progression, "se": metrics.progression_se}


def select_run(evaluations: list[str | Path], reference: str | Path | None = None) -> dict:
    """{"protocol", "scores": {run: {"progression", "se"}}, "chosen"} of evaluation dirs, plus
    "reference" and "gain" (chosen minus reference, with its s.e.) given the base model's."""
    if not evaluations:
        raise ValueError("select_run needs at least one evaluation directory")
    from leaderboard.compare import difference, episode_scores

    scores, episodes, protocols = {}, {}, set()
    for evaluation in evaluations:
        result, score = _evaluated(evaluation)
        if not result.agent.adapter:
            raise ValueError(f"{evaluation}: evaluates no adapter; expected an RL run's evaluation")
        scores[result.agent.adapter] = score
        episodes[result.agent.adapter] = result.episodes
        protocols.add(result.protocol.id)
    selection: dict = {}
    if reference is not None:
        base, score = _evaluated(reference)
        if base.agent.adapter:
            raise ValueError(f"{reference}: evaluates an adapter; expected the base model's")
        selection["reference"] = {"model": base.agent.model, **score}
        protocols.add(base.protocol.id)
    if len(protocols) > 1:
        raise ValueError(f"the evaluations are on different protocols: {sorted(protocols)}")
    chosen = max(scores, key=lambda run: scores[run]["progression"])
    if reference is not None:
        gain = difference(
            episode_scores(base.episodes, "progression"),
            episode_scores(episodes[chosen], "progression"),
        )
        selection["gain"] = {"progression": gain.difference, "se": gain.se, "paired": gain.paired}
    return {"protocol": protocols.pop(), "scores": scores, "chosen": chosen, **selection}


def _parsed(argv: list[str]) -> tuple[str, list[str], str | None]:
    """(selection json, evaluation dirs, reference dir or None) from the command line."""
    reference = None
    if "--reference" in argv:
        at = argv.index("--reference")
        if at + 1 >= len(argv):
            raise ValueError("--reference needs the base model's evaluation directory")
        reference = argv[at + 1]
        argv = argv[:at] + argv[at + 2 :]
    if len(argv) < 2:
        raise ValueError(USAGE)
    return argv[0], argv[1:], reference


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        out, evaluations, reference = _parsed(argv)
    except ValueError as err:
        print(f"select_run: {err}", file=sys.stderr)
        return 2
    try:
        selection = select_run(evaluations, reference)
    except ValueError as err:
        print(f"select_run: {err}", file=sys.stderr)
        return 1
    Path(out).write_text(json.dumps(selection, indent=1) + "\n")
    protocol = selection["protocol"]
    for run, score in selection["scores"].items():
        print(
            f"{run}: {score['progression']:.1f} ± {score['se']:.1f} % on {protocol}",
            file=sys.stderr,
        )
    if "gain" in selection:
        base, gain = selection["reference"], selection["gain"]
        print(
            f"{base['model']} (no PPO): {base['progression']:.1f} ± {base['se']:.1f} % on "
            f"{protocol}; the chosen run's gain: {gain['progression']:+.1f} ± {gain['se']:.1f}"
            + (" (paired by seed)" if gain["paired"] else ""),
            file=sys.stderr,
        )
    print(selection["chosen"])
    return 0


if __name__ == "__main__":
    sys.exit(main())

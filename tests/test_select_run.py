"""`make learned` keeps the PPO run that plays best on development seeds."""

from __future__ import annotations

import json

from baselines.select_run import SELECTION_FILE, main, select_run
from leaderboard.protocols import get_protocol
from tests.leaderboard_helpers import episode, result

PROTOCOL = "crafter-smoke"


def _evaluated(recipe, run: str, unlocked: tuple[str, ...]) -> str:
    """A run directory and its evaluation, each episode unlocking `unlocked`."""
    seeds = get_protocol(PROTOCOL).seeds
    episodes = [episode(s, length=2, unlocked=unlocked) for s in seeds]
    out = recipe / f"eval-{PROTOCOL}-{run}"
    out.mkdir(parents=True)
    (out / "result.json").write_text(json.dumps(result(episodes, protocol_id=PROTOCOL)))
    return str(recipe / run)


def test_the_run_with_the_higher_progression_is_chosen_and_its_scores_written(tmp_path, capsys):
    weak = _evaluated(tmp_path, "rl-seed0", ("collect_wood",))
    strong = _evaluated(tmp_path, "rl-seed1", ("collect_wood", "place_table"))
    selection = select_run(PROTOCOL, tmp_path, [weak, strong])
    assert selection["chosen"] == strong
    assert selection["scores"][strong]["progression"] == 100 * 2 / 22
    assert selection["scores"][weak]["progression"] == 100 * 1 / 22
    assert main([PROTOCOL, str(tmp_path), strong, weak]) == 0
    assert capsys.readouterr().out.strip() == strong
    assert json.loads((tmp_path / SELECTION_FILE).read_text())["chosen"] == strong


def test_ties_keep_the_first_run_and_one_run_needs_no_evaluation(tmp_path):
    first = _evaluated(tmp_path, "rl-seed0", ("collect_wood",))
    second = _evaluated(tmp_path, "rl-seed1", ("collect_sapling",))
    assert select_run(PROTOCOL, tmp_path, [first, second])["chosen"] == first
    alone = str(tmp_path / "rl-seed7")  # never evaluated
    assert select_run(PROTOCOL, tmp_path, [alone]) == {
        "protocol": PROTOCOL,
        "scores": {},
        "chosen": alone,
    }


def test_a_missing_evaluation_is_one_clear_line(tmp_path, capsys):
    evaluated = _evaluated(tmp_path, "rl-seed0", ())
    assert main([PROTOCOL, str(tmp_path), evaluated, str(tmp_path / "rl-seed1")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("select_run: ") and "no such file" in err and "\n" not in err
    assert not (tmp_path / SELECTION_FILE).exists()

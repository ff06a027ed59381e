"""Result files: metrics by hand, and the ways a submission can be wrong."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from dynplan_gym.achievements import crafter_score
from leaderboard.metrics import compute_metrics, mean_and_se
from leaderboard.protocols import (
    DEVELOPMENT_SEEDS,
    EVALUATION_SEEDS,
    PROTOCOLS,
    get_protocol,
)
from leaderboard.schema import validate_result
from leaderboard.store import load_result_file
from tests.leaderboard_helpers import episode, result

SUBMISSIONS = Path(__file__).parents[2] / "leaderboard" / "submissions"


def test_protocols():
    assert {"crafter-quick", "crafter-balrog", "crafter-full"} <= set(PROTOCOLS)
    balrog = get_protocol("crafter-balrog")
    assert len(balrog.seeds) == 10 and balrog.max_steps == 2000
    full = get_protocol("crafter-full")
    assert len(full.seeds) == 100 and full.max_steps == 10000
    for protocol in PROTOCOLS.values():
        on_board_seeds = set(protocol.seeds) <= set(EVALUATION_SEEDS)
        assert on_board_seeds or set(protocol.seeds) <= set(DEVELOPMENT_SEEDS)
        if protocol.id.endswith("-dev"):
            assert set(protocol.seeds) <= set(DEVELOPMENT_SEEDS)
        length = protocol.game.length_kwarg
        assert protocol.make_env_kwargs()[length] == protocol.max_steps
    with pytest.raises(ValueError, match="unknown protocol"):
        get_protocol("crafter-easy")


def test_crafter_development_protocols_share_no_seed():
    """A choice made on one development protocol is judged on another's unseen worlds."""
    seen: dict[int, str] = {}
    for protocol in PROTOCOLS.values():
        if protocol.family == "crafter" and set(protocol.seeds) <= set(DEVELOPMENT_SEEDS):
            for seed in protocol.seeds:
                assert seen.setdefault(seed, protocol.id) == protocol.id, (seed, protocol.id)
    assert len(get_protocol("crafter-balrog-select-dev").seeds) == 100


def test_metrics_by_hand():
    episodes = [
        episode(
            0, unlocked=("collect_wood", "place_table"), plans=4, plan_tokens=40, task_return=2.0
        ),
        episode(1, unlocked=("collect_wood",), task_return=1.0),
        episode(2, length=10, terminated=True, task_return=-0.5),
        episode(
            3,
            unlocked=("collect_wood", "collect_drink", "wake_up"),
            plans=2,
            plan_tokens=10,
            task_return=3.0,
        ),
    ]
    validated = validate_result(result(episodes))
    m = compute_metrics(validated.episodes)
    assert m.episodes == 4 and m.steps == 100
    progressions = [200 / 22, 100 / 22, 0.0, 300 / 22]
    assert m.progression == pytest.approx(sum(progressions) / 4)
    sd = math.sqrt(sum((p - m.progression) ** 2 for p in progressions) / 3)
    assert m.progression_se == pytest.approx(sd / 2)
    assert m.success_rates["collect_wood"] == 75.0 and m.success_rates["place_table"] == 25.0
    assert m.crafter_score == pytest.approx(crafter_score(m.success_rates))
    expected_score = math.exp((math.log(76) + math.log(26) * 3) / 22) - 1
    assert m.crafter_score == pytest.approx(expected_score)
    assert m.plans_per_100_steps == pytest.approx(100 * 6 / 100)
    assert m.plan_tokens_per_step == pytest.approx(50 / 100)
    assert m.generated_tokens_per_step == pytest.approx(5.0)
    assert m.length_mean == 25.0 and m.steps_per_second == pytest.approx(100 / 4)
    assert m.return_mean == pytest.approx((2 - 0.01 * 4 - 0.0005 * 40 + 1 - 0.5 + 3 - 0.025) / 4)
    assert mean_and_se([5.0]) == (5.0, 0.0)


def _bad(mutate) -> dict:
    data = result()
    mutate(data)
    return data


BAD_FILES = {
    "unknown protocol": (
        _bad(lambda d: d["protocol"].update(id="crafter-easy")),
        "unknown protocol",
    ),
    "old protocol version": (_bad(lambda d: d["protocol"].update(version=0)), "version"),
    "changed protocol settings": (
        _bad(lambda d: d["protocol"].update(max_steps=10)),
        "settings differ",
    ),
    "missing seed": (_bad(lambda d: d["episodes"].pop()), "missing \\[3\\]"),
    "duplicated seed": (_bad(lambda d: d["episodes"].__setitem__(1, episode(0))), "duplicated"),
    "foreign seed": (
        _bad(lambda d: d["episodes"].__setitem__(3, episode(77))),
        "not in the protocol \\[77\\]",
    ),
    "missing achievement": (
        _bad(lambda d: d["episodes"][0]["achievements"].pop("wake_up")),
        "missing \\['wake_up'\\]",
    ),
    "negative count": (_bad(lambda d: d["episodes"][0]["achievements"].update(wake_up=-1)), ">= 0"),
    "return ignores plan costs": (
        _bad(
            lambda d: d["episodes"].__setitem__(
                0, {**episode(0, plans=3, plan_tokens=30), "return": 0.0}
            )
        ),
        "minus plan costs",
    ),
    "more plans than steps": (
        _bad(lambda d: d["episodes"].__setitem__(0, episode(0, plans=31))),
        "exceeds length",
    ),
    "too long": (_bad(lambda d: d["episodes"].__setitem__(0, episode(0, length=31))), "max_steps"),
    "cut short without dying": (
        _bad(lambda d: d["episodes"].__setitem__(0, episode(0, length=9))),
        "must last max_steps",
    ),
    "extra field": (_bad(lambda d: d["episodes"][0].update(score=3)), "Extra inputs"),
    "wrong type": (_bad(lambda d: d["episodes"][0].update(length="long")), "length"),
    "not finite": (_bad(lambda d: d["episodes"][0].update(wall_time=float("nan"))), "wall_time"),
    "a return with nothing unlocked": (
        _bad(lambda d: d["episodes"].__setitem__(0, episode(0, task_return=50.0))),
        "impossible with 0 achievements",
    ),
    "more return than unlocked": (
        _bad(
            lambda d: d["episodes"].__setitem__(
                0, episode(0, unlocked=("collect_wood",), task_return=2.0)
            )
        ),
        "between 0.1 and 1",
    ),
    "an achievement count of 1e30": (
        _bad(lambda d: d["episodes"][0]["achievements"].update(wake_up=10**30)),
        "cannot exceed the episode's length",
    ),
    "unknown schema version": (_bad(lambda d: d.update(schema_version=99)), "schema_version 99"),
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_result_files_are_rejected(kind):
    data, message = BAD_FILES[kind]
    with pytest.raises(ValueError, match=message):
        validate_result(data)


def test_file_level_problems(tmp_path):
    path = tmp_path / "r.json"
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not a JSON file"):
        load_result_file(path)
    with pytest.raises(ValueError, match="no such file"):
        load_result_file(tmp_path / "missing.json")
    partial = result()
    partial["episodes"].pop()
    partial["complete"] = False
    path.write_text(json.dumps(partial))
    with pytest.raises(ValueError, match="incomplete"):
        load_result_file(path)
    path.write_text(json.dumps(result()))
    assert load_result_file(path).agent.name == "hand-made"


def test_result_files_are_bounded_in_size(tmp_path):
    padded = result()
    padded["agent"]["decoding"] = {"pad": "x" * (5 * 2**20)}  # valid, but 5 MB
    path = tmp_path / "padded.json"
    path.write_text(json.dumps(padded))
    with pytest.raises(ValueError, match="over the 4,194,304-byte limit"):
        load_result_file(path)
    assert load_result_file(path, max_bytes=8 * 2**20).agent.decoding["pad"]


def test_a_name_never_leaves_the_submissions_directory(tmp_path):
    from leaderboard.store import add_to_repository

    for name in ("../../evil", "/etc/passwd", "..", "a/b\\c"):
        written = add_to_repository(validate_result(result(name=name)), tmp_path)
        assert written.parent == tmp_path and written.is_file()


def test_crafter_protocols_pin_their_text_and_results_record_it(tmp_path):
    from dynplan_gym.text_observation import text_preset
    from leaderboard.store import canonical_json

    for protocol in PROTOCOLS.values():
        if protocol.family == "crafter":
            options = text_preset(protocol.text_options)
            kwargs = protocol.make_env_kwargs()
            assert kwargs["text_style"] == options.style
            assert kwargs["skip_items"] == list(options.skip_items)
    assert get_protocol("crafter-balrog").text_options == "balrog"
    assert get_protocol("crafter-balrog-dev").text_options == "balrog"
    assert get_protocol("crafter-balrog-select-dev").text_options == "balrog"
    assert get_protocol("crafter-full").text_options == "dynplan"
    # What a result file holds: BALROG's options in full, as `DynPlanCrafter-v0` takes them.
    seeds = get_protocol("crafter-balrog").seeds
    balrog = result([episode(s, length=2000) for s in seeds], protocol_id="crafter-balrog")
    recorded = json.loads(canonical_json(validate_result(balrog)))
    assert recorded["protocol"]["env_kwargs"] == {
        "length": 2000,
        "plan_cost_per_plan": 0.01,
        "plan_cost_per_token": 0.0005,
        "text_style": "balrog",
        "unique_items": True,
        "precise_location": False,
        "skip_items": [],
        "edge_only_items": [],
    }


def _version_1(data: dict) -> dict:
    """`data` as schema 1 wrote it: no text options recorded."""
    data = {**data, "schema_version": 1}
    kwargs = dict(data["protocol"]["env_kwargs"])
    for key in ("text_style", "unique_items", "precise_location", "skip_items", "edge_only_items"):
        kwargs.pop(key, None)
    data["protocol"] = {**data["protocol"], "env_kwargs": kwargs}
    return data


def test_a_version_1_result_reads_with_the_text_it_was_played_with():
    legacy = _version_1(result())
    frozen = json.dumps(legacy, sort_keys=True)
    with pytest.raises(ValueError, match="recorded settings differ"):
        validate_result({**legacy, "schema_version": 2})  # version 2 must record them
    validated = validate_result(legacy)
    assert json.dumps(legacy, sort_keys=True) == frozen  # the input is left as it was
    assert validated.schema_version == 2
    assert validated.protocol.env_kwargs["text_style"] == "dynplan"
    # Version 1 never recorded text options: a file that does is not a version 1 file.
    with pytest.raises(ValueError, match="cannot record text options"):
        validate_result({**result(), "schema_version": 1})
    # A version 1 result of crafter-balrog is of its v1, which showed other text.
    balrog_v1 = _version_1(result(protocol_id="crafter-balrog"))
    balrog_v1["protocol"]["version"] = 1
    with pytest.raises(ValueError, match="at version 2"):
        validate_result(balrog_v1)
    for version in ("1", True, 1.0):
        with pytest.raises(ValueError, match="schema_version"):
            validate_result({**legacy, "schema_version": version})


def test_a_version_1_pogs_result_needs_no_text():
    path = next(SUBMISSIONS.glob("pogs-standard__*.json"))
    committed = json.loads(path.read_text())
    assert committed["schema_version"] == 1
    validated = validate_result(committed)
    assert validated.schema_version == 2
    assert validated.protocol.env_kwargs == committed["protocol"]["env_kwargs"]

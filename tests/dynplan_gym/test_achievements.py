"""Achievement names, BALROG progression and Crafter's score, against hand-computed values."""

from __future__ import annotations

import math

import pytest
from crafter import constants

from dynplan_gym.achievements import (
    ACHIEVEMENTS,
    crafter_score,
    progression,
    success_rates,
    unlocked,
)


def _rates(value: float = 0.0, **overrides: float) -> dict[str, float]:
    rates = dict.fromkeys(ACHIEVEMENTS, value)
    rates.update(overrides)
    return rates


def test_names_are_crafters_in_order():
    assert list(ACHIEVEMENTS) == list(constants.achievements)
    assert len(ACHIEVEMENTS) == 22


def test_progression():
    counts = dict.fromkeys(ACHIEVEMENTS, 0)
    assert progression(counts) == 0.0
    counts.update(collect_wood=3, place_table=1)
    assert progression(counts) == pytest.approx(2 / 22)
    assert unlocked(counts) == {"collect_wood", "place_table"}
    assert progression(dict.fromkeys(ACHIEVEMENTS, 1)) == 1.0
    with pytest.raises(ValueError, match="unknown achievement names"):
        progression({"collect_wod": 1})


@pytest.mark.parametrize(
    ("rates", "expected"),
    [
        (_rates(0.0), 0.0),  # nothing ever unlocked: exp(0) - 1
        (_rates(100.0), 100.0),  # everything always: exp(log 101) - 1
        (_rates(0.0, collect_wood=100.0), 101 ** (1 / 22) - 1),  # 0.23339...
        (_rates(0.0, **dict.fromkeys(ACHIEVEMENTS[:11], 50.0)), math.sqrt(51) - 1),
        (_rates(10.0), 10.0),  # equal rates: the score is that rate
    ],
)
def test_crafter_score_hand_values(rates, expected):
    assert crafter_score(rates) == pytest.approx(expected, rel=1e-12)


def test_crafter_score_values_by_hand():
    assert crafter_score(_rates(0.0, collect_wood=100.0)) == pytest.approx(0.233404, abs=1e-6)
    assert crafter_score(_rates(0.0, **dict.fromkeys(ACHIEVEMENTS[:11], 50.0))) == pytest.approx(
        6.141428, abs=1e-6
    )


def test_crafter_score_rejects_bad_rates():
    with pytest.raises(ValueError, match="missing"):
        crafter_score({"collect_wood": 50.0})
    with pytest.raises(ValueError, match=r"\[0, 100\]"):
        crafter_score(_rates(0.0, collect_wood=float("nan")))
    with pytest.raises(ValueError, match=r"\[0, 100\]"):
        crafter_score(_rates(0.0, collect_wood=0.5 - 1))
    with pytest.raises(ValueError, match="unknown achievement"):
        crafter_score({**_rates(), "fly": 1.0})


def test_success_rates_from_episodes():
    none = dict.fromkeys(ACHIEVEMENTS, 0)
    wood = {**none, "collect_wood": 2}
    wood_table = {**none, "collect_wood": 1, "place_table": 1}
    rates = success_rates([none, wood, wood_table, wood])
    assert rates["collect_wood"] == 75.0 and rates["place_table"] == 25.0
    assert rates["collect_diamond"] == 0.0
    assert all(not math.isnan(v) for v in rates.values())
    expected = math.exp((math.log(76) + math.log(26)) / 22) - 1
    assert crafter_score(rates) == pytest.approx(expected)
    with pytest.raises(ValueError, match="at least one episode"):
        success_rates([])

from __future__ import annotations

import pytest

from agents.strategy import PlanMode, Strategy


def test_modes():
    assert [Strategy.parse("never").mode(t) for t in range(3)] == [PlanMode.FORBIDDEN] * 3
    assert [Strategy.parse("always").mode(t) for t in range(3)] == [PlanMode.REQUIRED] * 3
    assert [Strategy.parse("dynamic").mode(t) for t in range(3)] == [PlanMode.OPTIONAL] * 3
    every3 = [Strategy.parse("every:3").mode(t) for t in range(7)]
    assert [m is PlanMode.REQUIRED for m in every3] == [1, 0, 0, 1, 0, 0, 1]
    assert str(Strategy.parse(" Every:3 ")) == "every:3"


@pytest.mark.parametrize("spec", ["sometimes", "every:0", "every:", "every:x", ""])
def test_bad_specs(spec):
    with pytest.raises(ValueError, match="never, always, every:K"):
        Strategy.parse(spec)

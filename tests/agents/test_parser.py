"""The output parser: table cases from real-looking answers, and arbitrary text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.parser import closest_action, find_action, parse_output
from dynplan_gym.crafter_actions import ACTION_NAMES

A = {name: i for i, name in enumerate(ACTION_NAMES)}


@pytest.mark.parametrize(
    ("text", "action", "plan", "valid"),
    [
        ("Action: move west", A["Move West"], None, True),
        ("I will Do.", A["Do"], None, True),
        ("**Make Wood Pickaxe**", A["Make Wood Pickaxe"], None, True),
        ("Move East, then Move West", A["Move East"], None, True),  # two actions: the first
        ("make_wood_pickaxe", A["Make Wood Pickaxe"], None, True),  # crafter's own name
        ("  NOOP  ", A["Noop"], None, True),
        ("<plan>Collect wood.</plan>\nMove North", A["Move North"], "Collect wood.", True),
        ("<PLAN> x </PLAN> Action = Place Table", A["Place Table"], "x", True),
        ("<plan>\n1. wood\n2. table\n</plan>\nAction: Do", A["Do"], "1. wood\n2. table", True),
        ("<plan>Collect wood.</plan>", A["Noop"], "Collect wood.", False),  # plan, no action
        ("<plan>Get wood\nAction: Do", A["Do"], "Get wood", False),  # unclosed plan
        ("<plan>Get wood and Move West", A["Noop"], "Get wood and Move West", False),
        ("<plan></plan>\nSleep", A["Sleep"], "", False),  # empty plan
        ("mve west", A["Move West"], None, False),  # misspelled: nearest name
        ("I do not know; maybe sleep", A["Sleep"], None, True),  # 'do' the verb is no action
        ("", A["Noop"], None, False),
        ("the weather is nice", A["Noop"], None, False),
        ("Move North <plan>late plan</plan>", A["Noop"], "late plan", False),
    ],
)
def test_table(text, action, plan, valid):
    parsed = parse_output(text)
    assert (parsed.action, parsed.plan, parsed.valid) == (action, plan, valid)
    assert parsed.valid == (parsed.problem == "")


def test_problems_are_explained():
    assert "not closed" in parse_output("<plan>abc").problem
    assert "no action name" in parse_output("hello").problem
    assert "misspelled" in parse_output("Plaec Table").problem
    assert parse_output(None).action == 0  # not even text


def test_every_name_is_found_in_several_spellings():
    for index, name in enumerate(ACTION_NAMES):
        for written in (name, name.upper(), name.lower().replace(" ", "_"), f"**{name}**."):
            if written == "do":  # the English verb inside a sentence is not the action
                assert find_action(f"I choose {written}") is None
                continue
            assert find_action(f"I choose {written}") == index, written
    assert closest_action("xyzzy") is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_arbitrary_text_never_raises(text):
    parsed = parse_output(text)
    assert 0 <= parsed.action < len(ACTION_NAMES)
    assert parsed.plan is None or isinstance(parsed.plan, str)


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.characters(blacklist_characters="<>"), max_size=80),
    st.sampled_from(ACTION_NAMES),
)
def test_a_closed_plan_then_an_action_round_trips(plan, name):
    plan = plan.strip()
    parsed = parse_output(f"<plan>{plan}</plan>\n{name}")
    assert parsed.action == A[name]
    assert parsed.plan == plan

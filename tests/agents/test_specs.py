"""Agent specs are parsed in one place (`agents.specs`), and every command reads them so."""

from __future__ import annotations

import argparse

import pytest

from agents.specs import Spec, parse_spec


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("random", Spec("random")),
        ("random-walk", Spec("random-walk")),
        ("expert", Spec("expert")),
        ("gate:never", Spec("gate", "never")),
        ("gate:every:4", Spec("gate", "every:4")),
        ("gate:gate-ppo", Spec("gate", "gate-ppo")),
        ("sb3:/some/dir", Spec("sb3", "/some/dir")),
        ("llm:dynamic", Spec("llm", "dynamic")),
        ("llm:every:3@learned-dynamic", Spec("llm", "every:3", "learned-dynamic")),
        ("llm:never@/models/m", Spec("llm", "never", "/models/m")),
        ("learned-dynamic", Spec("llm", "dynamic", "learned-dynamic")),
    ],
)
def test_every_spec_parses(text, spec):
    assert parse_spec(text) == spec


def test_a_shipped_name_takes_the_default_strategy():
    assert parse_spec("learned-dynamic", "never") == Spec("llm", "never", "learned-dynamic")
    # the control never saw a plan, nor the answer format that allows one
    assert parse_spec("learned-never") == Spec("llm", "never", "learned-never")
    assert parse_spec("gate:every:4").scheduled_gate and not parse_spec("gate:x").scheduled_gate


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nope", "unknown agent 'nope'; expected random, random-walk"),
        ("llm:sometimes", "sometimes"),
        ("llm:dynamic@", "needs a model after the @"),
        ("gate:", "gate: needs what follows it"),
        ("sb3:", "sb3: needs what follows it"),
    ],
)
def test_bad_specs_say_what_was_expected(text, message):
    with pytest.raises(ValueError, match=message):
        parse_spec(text)


def _eval_args(**overrides) -> argparse.Namespace:
    from dynplan_cli import eval_cmd

    parser = argparse.ArgumentParser()
    eval_cmd.add_arguments(parser)
    args = parser.parse_args([])
    for key, value in overrides.items():
        setattr(args, key, value)
    return args


def test_eval_records_the_model_a_spec_names():
    from dynplan_cli.eval_cmd import _parsed, agent_spec

    def recorded(**overrides):
        args = _eval_args(**overrides)
        return agent_spec(args, _parsed(args), None, None).model_dump(exclude_defaults=True)

    spec = recorded(agent="llm:every:3@learned-dynamic")
    assert (spec["name"], spec["strategy"], spec["model"]) == (
        "learned-dynamic/every:3",
        "every:3",
        "learned-dynamic",
    )
    assert recorded(agent="learned-never")["name"] == "learned-never/never"
    assert recorded(agent="gate:every:4")["strategy"] == "every:4"
    assert recorded(agent="random-walk") == {"name": "random-walk", "kind": "random-walk"}
    assert recorded(agent="random", name="mine")["name"] == "mine"


def test_one_description_per_spec_for_every_caller():
    from leaderboard.agent_specs import describe, describe_pair

    parsed = parse_spec("llm:every:4@learned-dynamic")
    assert describe(parsed) == describe("llm:every:4@learned-dynamic")
    assert parse_spec("expert").text == "expert"  # the words travel with the parse
    gate = describe("gate:every:8", gate={"latency": 2, "noise": 0.2}, name="gate:every:8 (a)")
    assert (gate.strategy, gate.decoding, gate.name) == (
        "every:8",
        {"latency": 2, "noise": 0.2},
        "gate:every:8 (a)",
    )
    pair = describe_pair("expert", "learned-dynamic", temperature=1.0)
    assert (pair.name, pair.kind, pair.decoding["actor"]) == (
        "expert > learned-dynamic",
        "pair",
        "learned-dynamic",
    )


def test_make_agent_plays_the_model_the_spec_names():
    from agents.factory import make_agent

    agent = make_agent("llm:never@learned-never", temperature=1.0)
    assert str(agent.strategy) == "never"
    assert agent.config.text_options == "balrog" and not agent.config.instruction  # its card's
    with pytest.raises(ValueError, match="plays POGS, not Crafter"):
        make_agent("random-walk")

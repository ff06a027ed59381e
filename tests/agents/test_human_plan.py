"""Human-written plans steer any agent."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.human_plan import HumanPlanAgent, PlanFileSource, TerminalSource, parse_plan_file
from agents.llm_agent import LLMAgent
from tests.scripted import ScriptedBackend, play

PLANS = Path(__file__).resolve().parents[2] / "agents" / "data" / "plans"
FILE = """# a comment
@start
Get wood.

@after collect_wood
Place a table.

@step 3
Rest a little.
"""


def test_shipped_plan_files_are_valid():
    files = sorted(PLANS.glob("*.txt"))
    assert len(files) >= 3
    for path in files:
        plans = PlanFileSource(path).plans
        assert plans[0].trigger == "start" and len(plans) >= 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Get wood.", "before any @start"),
        ("@start\n", "has no plan text"),
        ("@after collect_wod\nx", "bad trigger"),
        ("@step soon\nx", "bad trigger"),
        ("# nothing", "no plans found"),
    ],
)
def test_malformed_plan_files(text, message):
    with pytest.raises(ValueError, match=message):
        parse_plan_file(text, "test.txt")


def test_plans_are_injected_when_their_triggers_fire(tmp_path):
    path = tmp_path / "plans.txt"
    path.write_text(FILE)
    inner = LLMAgent(ScriptedBackend("<plan>My own plan.</plan>\nMove North"), "always")
    agent = HumanPlanAgent(inner, PlanFileSource(path))
    infos, decisions = play(agent, steps=6, episodes=2)
    first = [d.plan for d in decisions[0]]
    assert first == ["Get wood.", "Get wood."]
    # No wood is collected moving north, so @after collect_wood waits and @step 3 never comes.
    assert all(d.plan == "" for row in decisions[1:] for d in row)
    assert [info["num_plans"] for info in infos] == [1, 1]
    assert agent.human_plans == 2 and agent.replaced_model_plans == 12


def test_the_inner_agent_sees_the_human_plan(tmp_path):
    seen = []

    class Spy:
        def reset(self, n):
            pass

        def act(self, observations, infos):
            from agents.protocol import Decision

            seen.append(observations[0]["plan"])
            return [Decision(5) for _ in observations]

    path = tmp_path / "plans.txt"
    path.write_text("@start\nFirst.\n@step 2\nSecond.\n")
    agent = HumanPlanAgent(Spy(), PlanFileSource(path))
    play(agent, steps=4, episodes=1)
    assert seen == ["First.", "First.", "Second.", "Second."]


def test_terminal_source_asks_every_k_steps():
    typed = iter(["Go north.", "", "Drink water."])
    asked = []

    def read(prompt):
        asked.append(prompt)
        return next(typed)

    source = TerminalSource(ask_every=2, read=read)
    source.reset(1)
    got = [source.next_plan(0, step, {}) for step in range(6)]
    assert got == ["Go north.", None, None, None, "Drink water.", None]
    assert len(asked) == 3 and "step 0" in asked[0]


def test_shipped_plan_files_are_named_plans_colon_name():
    from agents.human_plan import plan_file, plan_name, shipped_plans

    shipped = shipped_plans()
    assert {"first_tools", "iron_tools", "survival"} <= set(shipped)
    assert plan_file("plans:iron_tools") == shipped["iron_tools"]
    assert plan_name("plans:iron_tools") == "iron_tools" == plan_name(shipped["iron_tools"])
    with pytest.raises(ValueError, match="expected plans:first_tools"):
        plan_file("plans:nope")
    with pytest.raises(ValueError, match="a shipped one: plans:first_tools"):
        plan_file("no/such/file.txt")

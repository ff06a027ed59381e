"""Action names and descriptions come from data and agree with crafter's rules."""

from __future__ import annotations

from crafter import constants

from dynplan_gym.crafter_actions import ACTION_NAMES, CRAFTER_ACTIONS, action_descriptions


def test_actions_are_crafters_in_order():
    assert list(CRAFTER_ACTIONS) == list(constants.actions)
    assert ACTION_NAMES[:5] == ("Noop", "Move West", "Move East", "Move North", "Move South")
    assert len(set(ACTION_NAMES)) == 17


def test_descriptions_carry_crafters_requirements():
    descriptions = action_descriptions()
    assert list(descriptions) == list(ACTION_NAMES)
    assert descriptions["Noop"] == "do nothing"
    wood = constants.place["table"]["uses"]["wood"]
    assert f"needs {wood} wood" in descriptions["Place Table"]
    assert "near a table and a furnace" in descriptions["Make Iron Pickaxe"]
    assert "1 wood and 1 coal and 1 iron" in descriptions["Make Iron Sword"]

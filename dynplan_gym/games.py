"""One record per game: what differs between Crafter and POGS, stated as data.

The code that serves both games looks a fact up here (`GAMES[family]`, `game_of(env_id)`)
instead of asking which game it is: what an episode's score is called and means, which env
keyword sets an episode's length, whether observation text comes in presets, and what an
answer that names no action plays.
"""

from __future__ import annotations

from dataclasses import dataclass

from dynplan_gym import env_family
from dynplan_gym.achievements import ACHIEVEMENT_SETS
from dynplan_gym.crafter_actions import CRAFTER_ACTIONS


@dataclass(frozen=True)
class Game:
    name: str  # the family (`dynplan_gym.env_family`)
    achievements: tuple[str, ...]
    score: str  # what the headline number (`Metrics.progression`) is for this game
    score_meaning: str  # that number in one line
    summary: str  # one evaluation in a line, formatted with a `Metrics`' fields
    length_kwarg: str  # the env keyword of an episode's length
    text_presets: bool  # the observation text comes in presets (`TEXT_PRESETS`) a protocol pins
    fallback_action: int | None  # what an answer naming no action plays (None: an invalid move)


CRAFTER = Game(
    name="crafter",
    achievements=ACHIEVEMENT_SETS["crafter"],
    score="progression",
    score_meaning="progression is the share of Crafter's 22 achievements unlocked",
    summary="progression {progression:.1f}% ± {progression_se:.1f}, "
    "Crafter score {crafter_score:.2f}",
    length_kwarg="length",
    text_presets=True,
    fallback_action=CRAFTER_ACTIONS.index("noop"),
)
POGS = Game(
    name="pogs",
    achievements=ACHIEVEMENT_SETS["pogs"],
    score="success",
    score_meaning="success is the share of episodes that reach the target",
    summary="success {progression:.1f}% ± {progression_se:.1f}, return "
    "{return_mean:.1f} ± {return_se:.1f}, steps {length_mean:.1f}",
    length_kwarg="max_steps",
    text_presets=False,
    fallback_action=None,
)
GAMES: dict[str, Game] = {game.name: game for game in (CRAFTER, POGS)}


def game_of(env_id: str) -> Game:
    """The game `env_id` plays."""
    return GAMES[env_family(env_id)]

"""Your own agent on the board: a hand-written Crafter policy, evaluated and submitted.

Run: .venv/bin/python examples/own_agent.py [OUT_DIR]
"""

import sys

from agents.user_agent import from_policy
from leaderboard.evaluate import evaluate
from leaderboard.metrics import compute_metrics

DO, MOVE_LEFT = 5, 1  # `env.unwrapped.action_names`: Do, Move West


def chop_then_wander(obs: dict, info: dict) -> int:
    """Work on whatever is in front (a tree, a cow) when the text says so, else walk west."""
    facing = obs["text"].split("You face ")[-1]
    return DO if facing.startswith(("tree", "cow", "grass")) else MOVE_LEFT


out = sys.argv[1] if len(sys.argv) > 1 else None
result = evaluate(from_policy(chop_then_wander), "crafter-quick", out=out, submit=True)
metrics = compute_metrics(result.episodes)
print(f"progression {metrics.progression:.1f}% ± {metrics.progression_se:.1f} on crafter-quick")

"""Planning and acting as two PettingZoo agents: a planner that replans every K steps from the
text it reads, and an actor that follows the plan's direction.

Run: .venv/bin/python examples/pettingzoo_planner_actor.py [STEPS]
"""

import sys

from dynplan_gym.multiagent import env as planner_actor_env

EVERY, MOVES = 8, {"north": 3, "south": 4, "east": 2, "west": 1}


def plan(observation: dict) -> str:
    """A new plan every EVERY steps: walk to the nearest tree the text names ("" keeps)."""
    if observation["plan"] and observation["plan_age"] < EVERY:
        return ""
    for line in observation["text"].splitlines():
        if line.startswith("- tree"):
            return f"Walk {line.split()[-1].split('-')[-1]} to the tree and chop it."
    return "Walk west to explore."


def act(observation: dict) -> int:
    """Do when facing a tree, else move the way the plan in force says."""
    if "You face tree" in observation["text"]:
        return 5
    words = observation["plan"].lower().split()
    return next((MOVES[w] for w in words if w in MOVES), 0)


steps = int(sys.argv[1]) if len(sys.argv) > 1 else 200
world = planner_actor_env(length=steps)
world.reset(seed=0)
last = {}
for agent in world.agent_iter():
    observation, reward, terminated, truncated, info = world.last()
    last = info or last
    if terminated or truncated:
        world.step(None)
        continue
    world.step(plan(observation) if agent == "planner" else act(observation))
print("unlocked:", sorted(name for name, count in last["achievements"].items() if count))
print("plans:", last["num_plans"])

"""Do a played agent's actions follow its own plans? Measured on a finished run.

Each episode of a run directory is replayed from its recorded actions (`trajectories.jsonl`).
At every step the teacher of plan-following data, `agents.prompt_executor.PromptExecutor`, is
asked what it would do, from what the prompt showed, for the subgoal the plan in force names
(`agents.gate.plan_subgoal`; a plan naming none: explore). The report gives how often the
agent's action is that action, beside how often it is the executor's action for `explore` (a
plan nobody wrote), over the steps where a plan naming a subgoal was in force.

With `ties`, an action counts as following when the executor takes it for *some* order of
trying the four moves (`Policy.order`: where two paths are equally short, the order picks
one; every order makes an equally good executor), so a student is not marked wrong for the
other half of an L-shaped walk. Steps where the plan's and exploring's actions cannot agree
are reported apart. With `checks`, the executor is the checked one (`--executor-checks` data's
teacher: a subgoal done is not repeated, missing materials come first).

    python -m baselines.plan_following [--ties] [--checks] RUN_DIR [RUN_DIR ...]
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path


def plan_following(
    run_dir: str | Path, episodes: int | None = None, ties: bool = False, checks: bool = False
) -> dict:
    """Agreement of a run's actions with the executor of its own plans, and with exploring
    (`ties`: with any executor that differs only in the order it tries moves; `checks`: the
    checked executor)."""
    import itertools

    import gymnasium as gym

    import dynplan_gym  # noqa: F401  (registers the environments)
    from agents.expert import Policy
    from agents.gate import plan_subgoal
    from agents.prompt_executor import PromptExecutor
    from agents.prompts import EpisodeMemory, PromptConfig
    from leaderboard.protocols import get_protocol
    from leaderboard.runner import RESULT, TRAJECTORIES

    run = Path(run_dir)
    result = json.loads((run / RESULT).read_text())
    protocol = get_protocol(result["protocol"]["id"])
    prompt = (result["agent"].get("decoding") or {}).get("prompt") or {}
    kinds = prompt.get("remembered_kinds", PromptConfig().remembered_kinds)
    steps: dict[int, list[dict]] = defaultdict(list)
    for line in (run / TRAJECTORIES).read_text().splitlines():
        row = json.loads(line)
        steps[row["seed"]].append(row)
    counts = defaultdict(int)
    for seed in sorted(steps)[:episodes]:
        env = gym.make(protocol.env_id, **protocol.make_env_kwargs())
        obs, info = env.reset(seed=seed)
        orders = list(itertools.permutations(Policy.order)) if ties else [Policy.order]
        memory = EpisodeMemory()
        own = [PromptExecutor(kinds, order, checks=checks) for order in orders]
        explorer = [PromptExecutor(kinds, order) for order in orders]
        in_force = ""
        for row in steps[seed]:
            memory.observe(obs, info)
            in_force = row["plan"] or in_force
            subgoal = plan_subgoal(in_force) if in_force else ""
            counts["steps"] += 1
            if subgoal:
                planned = {executor(obs, info, subgoal, memory.map) for executor in own}
                exploring = {executor(obs, info, "explore", memory.map) for executor in explorer}
                counts["planned"] += 1
                counts["ambiguous"] += len(planned) > 1
                counts["own"] += row["action"] in planned
                counts["explore"] += row["action"] in exploring
                if not planned & exploring:  # where the plan asks for something else
                    counts["differ"] += 1
                    counts["differ_own"] += row["action"] in planned
                    counts["differ_explore"] += row["action"] in exploring
            obs, _, _, _, info = env.step({"action": row["action"], "plan": row["plan"]})
        env.close()
    planned, differ = max(counts["planned"], 1), max(counts["differ"], 1)
    return {
        "run": str(run),
        "steps": counts["steps"],
        "steps_with_a_subgoal_in_force": counts["planned"],
        "ties": ties,
        "checks": checks,
        "steps_where_the_plan_allows_several_actions": counts["ambiguous"] / planned,
        "follows_own_plan": counts["own"] / planned,
        "follows_explore": counts["explore"] / planned,
        "steps_where_the_plan_asks_otherwise": counts["differ"],
        "there_follows_own_plan": counts["differ_own"] / differ,
        "there_follows_explore": counts["differ_explore"] / differ,
    }


def main(argv: list[str]) -> None:
    flags = {"--ties", "--checks"}
    for run_dir in [arg for arg in argv if arg not in flags]:
        report = plan_following(run_dir, ties="--ties" in argv, checks="--checks" in argv)
        print(
            f"{report['run']}: of {report['steps_with_a_subgoal_in_force']} steps (of "
            f"{report['steps']}) under a plan that names a subgoal, the action is the executor's "
            f"for that plan at {report['follows_own_plan']:.1%}, for exploring at "
            f"{report['follows_explore']:.1%}; where the two differ "
            f"({report['steps_where_the_plan_asks_otherwise']} steps): "
            f"{report['there_follows_own_plan']:.1%} against {report['there_follows_explore']:.1%}"
            + (
                f" (any order of moves; the plan allows several actions at "
                f"{report['steps_where_the_plan_allows_several_actions']:.1%})"
                if report["ties"]
                else ""
            )
        )


if __name__ == "__main__":
    main(sys.argv[1:])

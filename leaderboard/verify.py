"""Replay verification: a result's episodes played again from their recorded actions and plans.

The environments are deterministic (the same seed and moves give the same trajectory, in any
process), so the `trajectories.jsonl` an evaluation writes beside its `result.json` lets anyone
replay each episode in the protocol's environment and check its record against the replay:
the length and how it ended, the reward and task reward of every step, each achievement's
count, the returns, the plans and their tokens. A record the replay does not reproduce (a
forged one, an edited action, a cut or reordered trajectory) is reported, step and field.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path

from leaderboard.schema import EpisodeRecord, ResultFile

# The largest trajectories file read (a crafter-balrog run of 10 x 2,000 steps with BALROG's
# text is ~12 MB; `dynplan submit --max-trajectory-bytes` changes it).
MAX_TRAJECTORY_BYTES = 256 * 2**20
TOLERANCE = 1e-6  # returns are sums of floats written as JSON


def recorded_steps(path: str | Path, max_bytes: int = MAX_TRAJECTORY_BYTES) -> dict[int, list]:
    """Per seed, the recorded (step, action, plan, reward, task reward) in file order."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no trajectories to replay (the run's trajectories.jsonl)")
    size = path.stat().st_size
    if size > max_bytes:
        raise ValueError(f"{path}: {size:,} bytes, over the {max_bytes:,}-byte replay limit")
    steps: dict[int, list] = defaultdict(list)
    with open(path) as lines:
        for number, line in enumerate(lines, 1):
            try:
                row = json.loads(line)
                steps[int(row["seed"])].append(
                    (
                        int(row["step"]),
                        row["action"],
                        row.get("plan", ""),
                        float(row["reward"]),
                        float(row["task_reward"]),
                    )
                )
            except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                raise ValueError(f"{path}:{number}: not a trajectory line") from None
    return steps


def replay_problems(result: ResultFile, steps: dict[int, list]) -> list[str]:
    """What the replay of each episode contradicts in `result` ([] when every record holds)."""
    from leaderboard.protocols import get_protocol

    protocol = get_protocol(result.protocol.id)
    if protocol.spec() != result.protocol.model_dump():
        return [f"the result's protocol differs from {protocol.id} v{protocol.version}"]
    problems = []
    for record in result.episodes:
        found = _replay_episode(protocol, record, steps.get(record.seed, []))
        if found:
            problems.append(f"seed {record.seed}: " + ", ".join(found))
    return problems


def _replay_episode(protocol, record: EpisodeRecord, recorded: list) -> list[str]:
    import gymnasium as gym

    import dynplan_gym  # noqa: F401  (registers the environments)

    if [step for step, *_ in recorded] != list(range(len(recorded))):
        return ["its recorded steps are missing, repeated or out of order"]
    if len(recorded) != record.length:
        return [f"{len(recorded)} steps recorded, the record says {record.length}"]
    env = gym.make(protocol.env_id, **protocol.make_env_kwargs())
    try:
        env.reset(seed=record.seed)
        totals = {"return": 0.0, "task_return": 0.0}
        ended = False
        info: dict = {}
        for step, action, plan, reward, task_reward in recorded:
            if ended:
                return [f"step {step}: recorded after the episode ended"]
            try:
                _, got, terminated, truncated, info = env.step({"action": action, "plan": plan})
            except (ValueError, TypeError) as err:
                return [f"step {step}: the recorded action does not play ({err})"]
            if not _close(got, reward) or not _close(info["task_reward"], task_reward):
                return [
                    f"step {step}: the replay gives reward {got:g} (task {info['task_reward']:g})"
                    f", the trajectory says {reward:g} (task {task_reward:g})"
                ]
            totals["return"] += got
            totals["task_return"] += info["task_reward"]
            ended = terminated or truncated
        if not ended:
            return [f"the episode goes on after its {record.length} recorded steps"]
        return _record_problems(record, terminated, totals, info)
    finally:
        env.close()


def _record_problems(record: EpisodeRecord, terminated: bool, totals: dict, info: dict) -> list:
    """The record's fields the replay's end contradicts."""
    replayed = {
        "terminated": terminated,
        "return": totals["return"],
        "task_return": totals["task_return"],
        "achievements": dict(info["achievements"]),
        "plans": info["num_plans"],
        "plan_tokens": info["total_plan_tokens"],
    }
    claimed = record.model_dump(by_alias=True)
    wrong = []
    achievements = replayed.pop("achievements")
    differ = [name for name, n in achievements.items() if claimed["achievements"].get(name) != n]
    if differ:
        counts = ", ".join(
            f"{name} {claimed['achievements'].get(name)} (replay {achievements[name]})"
            for name in differ[:3]
        )
        more = f" and {len(differ) - 3} more" if len(differ) > 3 else ""
        wrong.append(f"achievements in the record: {counts}{more}")
    for key, value in replayed.items():
        same = _close(value, claimed[key]) if isinstance(value, float) else value == claimed[key]
        if not same:
            wrong.append(f"{key} is {claimed[key]!r} in the record, {value!r} in the replay")
    return wrong


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=TOLERANCE)


def verify(
    result: ResultFile, trajectories: str | Path, max_bytes: int = MAX_TRAJECTORY_BYTES
) -> ResultFile:
    """`result` marked verified (its `verification`) when every episode's replay holds;
    raises ValueError naming the first episodes the replay contradicts."""
    import hashlib

    from leaderboard.schema import Verification

    problems = replay_problems(result, recorded_steps(trajectories, max_bytes))
    if problems:
        more = f" (and {len(problems) - 3} more episodes)" if len(problems) > 3 else ""
        raise ValueError("the replay disagrees: " + "; ".join(problems[:3]) + more)
    digest = hashlib.sha256(Path(trajectories).read_bytes()).hexdigest()
    record = Verification(episodes=len(result.episodes), trajectories_sha256=digest)
    return result.model_copy(update={"verification": record})

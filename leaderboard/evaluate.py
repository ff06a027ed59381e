"""Your own agent on the board: `evaluate` plays any `Agent` on a protocol.

It runs the runner every evaluation uses (batched, resumable, the same files), so its
`result.json` is checked, scored and submitted like any other (`dynplan submit`, or
`submit=True`). A one-observation policy goes through `agents.user_agent.from_policy`.

    from agents.user_agent import from_policy
    from leaderboard.evaluate import evaluate

    result = evaluate(from_policy(lambda obs, info: 5), "crafter-quick", out="runs/always-do")
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agents.protocol import Agent
from leaderboard.protocols import Protocol, get_protocol
from leaderboard.schema import AgentSpec, ResultFile


def evaluate(
    agent: Agent | Any,
    protocol: str | Protocol = "crafter-quick",
    out: str | Path | None = None,
    *,
    name: str | None = None,
    num_envs: int = 4,
    resume: bool = False,
    progress: bool = True,
    seed: int = 0,
    submit: bool = False,
    db: str | Path | None = None,
) -> ResultFile:
    """Play every seed of `protocol` with `agent` (an `Agent`, or a callable `policy(obs,
    info)`), write the run under `out` (default: the data directory's `runs/`), and return
    the result; `submit` adds it to the local leaderboard (`db`: its SQLite file)."""
    from agents.models import CHECKPOINTS
    from agents.user_agent import from_policy
    from dynplan_gym.paths import data_home, safe_name
    from leaderboard.runner import RESULT, EvaluationRun

    if not isinstance(agent, Agent):
        agent = from_policy(agent)
    registered = get_protocol(protocol if isinstance(protocol, str) else protocol.id)
    if not isinstance(protocol, str) and protocol != registered:
        raise ValueError(
            f"evaluate plays a protocol as it is registered (its result is checked against "
            f"it); the Protocol given differs from {registered.id!r}: pass its id instead"
        )
    protocol = registered
    name = name or getattr(agent, "name", None) or type(agent).__name__
    if name in CHECKPOINTS:
        raise ValueError(f"{name!r} is a shipped model's name; give your agent another name")
    made_by = f"{type(agent).__module__}.{type(agent).__qualname__}"
    spec = AgentSpec(name=name, kind="python", model=made_by)
    out = Path(out) if out else data_home() / "runs" / f"{protocol.id}-{safe_name(name)}"
    run = EvaluationRun(agent, spec, protocol, out, num_envs=num_envs, agent_seed=seed)
    result = run.run(resume=resume, progress=progress)
    if submit:
        from leaderboard.store import Store
        from leaderboard.store import submit as add

        add(out / RESULT, Store(db))
    return result

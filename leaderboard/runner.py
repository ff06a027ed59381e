"""The batched episode runner: every episode of a protocol, N environments in lockstep.

Each step the runner hands the observations of all running episodes to `agent.act` in one
call (one batched LLM call), steps each environment, and writes a trajectory line per step.
A finished episode's record is appended to `episodes.jsonl` (flushed and fsynced) and its slot
takes the protocol's next seed. `result.json` is rewritten atomically after every episode, so
killing the process at any moment loses no finished episode; `resume=True` carries on from
`episodes.jsonl`, dropping the trajectory lines of the episodes that were cut short.
Spread over worker processes or Ray (`run(workers=..., ray=...)`), each worker plays chunks of
seeds with its own agent (`play_chunk`) and this process alone writes, chunk by chunk in seed
order, so the records are those of a one-process run.

Runner-owned keys in the infos the agent sees: `slot` (which running episode) and `seed`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import gymnasium as gym

import dynplan_gym  # noqa: F401  (registers the environments)
from agents.protocol import Agent
from dynplan_gym.achievements import progression
from dynplan_gym.lockstep import Lockstep
from dynplan_gym.provenance import git_revision, package_versions
from leaderboard.protocols import Protocol
from leaderboard.schema import AgentSpec, EpisodeRecord, ResultFile

RESULT, EPISODES, TRAJECTORIES, RUN = (
    "result.json",
    "episodes.jsonl",
    "trajectories.jsonl",
    "run.json",
)


@dataclass
class _Episode:
    """The running totals of one episode in a slot."""

    seed: int
    length: int = 0
    return_: float = 0.0
    task_return: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    invalid_outputs: int = 0
    wall_time: float = 0.0
    info: dict = field(default_factory=dict)

    def record(self, terminated: bool) -> EpisodeRecord:
        return EpisodeRecord.model_validate(
            {
                "seed": self.seed,
                "length": self.length,
                "terminated": terminated,
                "return": self.return_,
                "task_return": self.task_return,
                "achievements": self.info["achievements"],
                "plans": self.info["num_plans"],
                "plan_tokens": self.info["total_plan_tokens"],
                "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
                "invalid_outputs": self.invalid_outputs,
                "wall_time": self.wall_time,
            }
        )


class EvaluationRun:
    """One agent on one protocol, written under `out_dir`."""

    def __init__(
        self,
        agent: Agent,
        agent_spec: AgentSpec,
        protocol: Protocol,
        out_dir: str | Path,
        *,
        num_envs: int = 4,
        agent_seed: int = 0,
    ) -> None:
        if num_envs < 1:
            raise ValueError(f"num_envs must be >= 1, got {num_envs}")
        self.agent, self.agent_spec, self.protocol = agent, agent_spec, protocol
        self.out_dir = Path(out_dir)
        self.num_envs = num_envs
        self.agent_seed = agent_seed
        self.episodes: list[EpisodeRecord] = []
        self._revision: str | None = None  # read when the run starts

    # -- files -------------------------------------------------------------------------------
    def _run_header(self) -> dict[str, Any]:
        return {
            "protocol": self.protocol.spec(),
            "agent": self.agent_spec.model_dump(),
            "agent_seed": self.agent_seed,
        }

    def _prepare(self, resume: bool) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        header_path = self.out_dir / RUN
        if header_path.exists():
            if not resume:
                raise FileExistsError(
                    f"{self.out_dir} already holds a run: pass --resume to continue it, or "
                    f"choose another --out"
                )
            if json.loads(header_path.read_text()) != self._run_header():
                raise ValueError(
                    f"{self.out_dir} holds a run of another agent, protocol or seed; "
                    f"resume it with the same settings or choose another --out"
                )
            self.episodes = self._load_finished()
        else:
            _write_atomic(header_path, json.dumps(self._run_header(), indent=2))
            self.episodes = []
        finished = {e.seed for e in self.episodes}
        _keep_lines(self.out_dir / TRAJECTORIES, lambda line: line.get("seed") in finished)

    def _load_finished(self) -> list[EpisodeRecord]:
        """Finished episodes; a line cut short by a kill is dropped from the file."""
        records = []
        kept = _keep_lines(
            self.out_dir / EPISODES, lambda line: line.get("seed") in self.protocol.seeds
        )
        for line in kept:
            records.append(EpisodeRecord.model_validate(line))
        return records

    def _append_episode(self, record: EpisodeRecord) -> None:
        with open(self.out_dir / EPISODES, "a") as f:
            f.write(json.dumps(record.model_dump(by_alias=True)) + "\n")
            f.flush()
            os.fsync(f.fileno())
        self.episodes.append(record)
        self.write_result()

    def result(self) -> ResultFile:
        order = {s: i for i, s in enumerate(self.protocol.seeds)}
        episodes = sorted(self.episodes, key=lambda e: order[e.seed])
        return ResultFile.model_validate(
            {
                "protocol": self.protocol.spec(),
                "agent": self.agent_spec.model_dump(),
                "episodes": [e.model_dump(by_alias=True) for e in episodes],
                "complete": len(episodes) == len(self.protocol.seeds),
                "seeds": {"agent_seed": self.agent_seed, "env_seeds": list(self.protocol.seeds)},
                "versions": package_versions(),
                "git_revision": self._revision or git_revision(),
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
            }
        )

    def write_result(self) -> Path:
        path = self.out_dir / RESULT
        _write_atomic(path, self.result().model_dump_json(by_alias=True, indent=1))
        return path

    # -- the run -----------------------------------------------------------------------------
    def run(
        self,
        resume: bool = False,
        progress: bool = True,
        workers: int = 1,
        ray: str | None = None,
        agent_factory: Callable[[], Agent] | None = None,
    ) -> ResultFile:
        """Play every pending seed; with `workers > 1` or `ray` (`leaderboard.scale`) the seeds
        are played in chunks of `num_envs` by agents `agent_factory` makes in each worker, and
        this process alone writes the files, chunk by chunk in seed order."""
        from tqdm import tqdm

        self._prepare(resume)
        self._revision = git_revision()
        finished = {e.seed for e in self.episodes}
        pending = [s for s in self.protocol.seeds if s not in finished]
        if not pending:
            self.write_result()
            return self.result()
        bar = tqdm(
            total=len(pending) * self.protocol.max_steps,
            unit="step",
            disable=not progress,
            desc=f"{self.agent_spec.name} on {self.protocol.id}",
            dynamic_ncols=True,
        )
        try:
            if workers > 1 or ray is not None:
                self._run_spread(pending, workers, ray, agent_factory, bar)
            else:
                with open(self.out_dir / TRAJECTORIES, "a") as trajectories:
                    play_episodes(
                        self.agent,
                        self.protocol,
                        pending,
                        self.num_envs,
                        trajectories,
                        self._append_episode,
                        bar,
                    )
        finally:
            bar.close()
        return self.result()

    def _run_spread(self, pending, workers, ray, agent_factory, bar) -> None:
        from leaderboard.scale import ordered_map

        if agent_factory is None:
            raise ValueError("spreading episodes over workers needs an agent factory")
        chunks = [pending[i : i + self.num_envs] for i in range(0, len(pending), self.num_envs)]
        jobs = [(agent_factory, self.protocol.id, chunk, self.num_envs) for chunk in chunks]
        for records, lines in ordered_map(play_chunk, jobs, workers, ray):
            with open(self.out_dir / TRAJECTORIES, "a") as trajectories:
                trajectories.write(lines)
            for record in records:
                self._append_episode(EpisodeRecord.model_validate(record))
            bar.update(sum(r["length"] for r in records))
            bar.set_postfix(
                episodes=f"{len(self.episodes)}/{len(self.protocol.seeds)}",
                progression=f"{self._mean_progression():.1f}%",
            )

    def _mean_progression(self) -> float:
        if not self.episodes:
            return 0.0
        return 100 * sum(progression(e.achievements) for e in self.episodes) / len(self.episodes)


def play_chunk(job: tuple[Callable[[], Agent], str, list[int], int]) -> tuple[list[dict], str]:
    """A worker's share of a spread run: (episode records, trajectory lines) of `seeds`."""
    import io

    from leaderboard.protocols import get_protocol

    agent_factory, protocol_id, seeds, num_envs = job
    records: list[EpisodeRecord] = []
    trajectories = io.StringIO()
    play_episodes(
        agent_factory(), get_protocol(protocol_id), seeds, num_envs, trajectories, records.append
    )
    return [r.model_dump(by_alias=True) for r in records], trajectories.getvalue()


def play_episodes(
    agent: Agent,
    protocol: Protocol,
    seeds: list[int],
    num_envs: int,
    trajectories: TextIO,
    on_episode: Callable[[EpisodeRecord], None],
    bar: Any = None,
) -> None:
    """Play `seeds` with `num_envs` envs in lockstep: a line per step to `trajectories`, each
    finished episode's record to `on_episode` (flushed trajectories first)."""
    slots = min(num_envs, len(seeds))
    envs = [gym.make(protocol.env_id, **protocol.make_env_kwargs()) for _ in range(slots)]
    agent.reset(slots)
    lockstep = Lockstep(envs, seeds)
    totals = {slot: _Episode(r.seed) for slot, r in lockstep.running.items()}
    generated = plans = steps = 0
    started = time.perf_counter()
    try:
        while lockstep:
            active = lockstep.active
            tick = time.perf_counter()
            decisions = agent.act(lockstep.observations(), lockstep.infos())
            if len(decisions) != len(active):
                raise RuntimeError(
                    f"the agent answered {len(decisions)} decisions for {len(active)} episodes"
                )
            ended = []
            for slot, decision in zip(active, decisions, strict=True):
                episode = totals[slot]
                text = lockstep.running[slot].obs["text"]
                _, reward, terminated, truncated, info = lockstep.step(slot, decision.env_action())
                trajectories.write(
                    json.dumps(
                        {
                            "seed": episode.seed,
                            "step": episode.length,
                            "observation": text,
                            "raw": decision.raw,
                            "plan": decision.plan,
                            "action": decision.action,
                            "action_name": envs[slot].unwrapped.action_names[decision.action],
                            "valid": decision.valid,
                            "reward": reward,
                            "task_reward": info["task_reward"],
                            "unlocked": info["unlocked"],
                            "prompt_tokens": decision.prompt_tokens,
                            "completion_tokens": decision.completion_tokens,
                        }
                    )
                    + "\n"
                )
                episode.length += 1
                episode.return_ += reward
                episode.task_return += info["task_reward"]
                episode.prompt_tokens += decision.prompt_tokens
                episode.completion_tokens += decision.completion_tokens
                episode.invalid_outputs += not decision.valid
                episode.info = lockstep.running[slot].info
                generated += decision.completion_tokens
                plans += info["new_plan"]
                steps += 1
                if terminated or truncated:
                    ended.append((slot, terminated))
            share = (time.perf_counter() - tick) / len(active)
            for slot in active:
                totals[slot].wall_time += share
            if bar is not None:
                bar.update(len(active))
            for slot, terminated in ended:
                episode = totals.pop(slot)
                trajectories.flush()
                on_episode(episode.record(terminated))
                if bar is not None:
                    bar.update(protocol.max_steps - episode.length)
                lockstep.end(slot)
                if slot in lockstep.running:  # the queue's next seed
                    totals[slot] = _Episode(lockstep.running[slot].seed)
            if bar is not None:
                elapsed = time.perf_counter() - started
                bar.set_postfix(
                    plans_per_100=f"{100 * plans / steps:.1f}",
                    tokens_per_s=f"{generated / elapsed:.1f}",
                )
    finally:
        lockstep.close()


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _keep_lines(path: Path, keep) -> list[dict]:
    """Rewrite a JSONL file with only the complete lines `keep` accepts; return them."""
    if not path.exists():
        return []
    kept = []
    for raw in path.read_text().splitlines():
        try:
            line = json.loads(raw)
        except json.JSONDecodeError:
            continue  # a line cut short when the process was killed
        if keep(line):
            kept.append(line)
    _write_atomic(path, "".join(json.dumps(line) + "\n" for line in kept))
    return kept

"""The POGS expert: the memory-based search (`dynplan_gym.pogs_graph.MemorySearch`) as a batched
agent that reads only its observations, and writes a plan whenever its goal changes.

It remembers every edge it has seen, walks to the target along known edges once it has seen it,
else to the nearest node whose edges it has not all seen (backtracking along known paths when a
branch ends). It is the search that defines `DynPlanPOGS-Hard-v0`'s backtrack count; it is not
provably optimal in expectation (no search that cannot see the target is), but it never
revisits a branch it has finished.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from agents.protocol import Decision, episode_slots
from dynplan_gym.pogs_graph import MemorySearch


def view_from(observation: dict) -> tuple[dict[int, int], list[tuple[int, int]]]:
    """(node -> hops, visible edges) from a POGS observation's `adjacency` and `current`."""
    adjacency, current = observation["adjacency"], int(observation["current"])
    hops = {current: 0}
    queue = deque([current])
    while queue:
        node = queue.popleft()
        for nxt in np.flatnonzero(adjacency[node]).tolist():
            if nxt not in hops:
                hops[nxt] = hops[node] + 1
                queue.append(nxt)
    edges = [(int(a), int(b)) for a, b in zip(*np.nonzero(np.triu(adjacency)), strict=True)]
    return hops, edges


class POGSExpertAgent:
    """The memory-based search on `DynPlanPOGS-v0` / `-Hard-v0`, batched."""

    name = "pogs-expert"

    def __init__(self, k_nearest: int = 3) -> None:
        self.k_nearest = k_nearest
        self._slots: list[dict] = []

    def reset(self, n: int) -> None:
        if n < 1:
            raise ValueError(f"POGSExpertAgent.reset needs n >= 1 episodes, got {n}")
        self._slots = [{} for _ in range(n)]

    def act(self, observations: list[dict], infos: list[dict]) -> list[Decision]:
        slots = episode_slots(infos, len(observations), len(self._slots))
        decisions = []
        for slot, obs, info in zip(slots, observations, infos, strict=True):
            state = self._slots[slot]
            if int(info.get("step", 0)) == 0 or not state:
                hops = int(info.get("view_hops", self.k_nearest))  # the env's view radius
                state.update(search=MemorySearch(int(obs["target"]), hops), goal=None)
            search: MemorySearch = state["search"]
            current = int(obs["current"])
            search.observe(current, *view_from(obs))
            goal, path = search.goal(current)
            whole_plan = self.plan_text(search.target, goal, path)
            plan = whole_plan if goal != state["goal"] else ""
            state["goal"] = goal
            nxt = search.move(current)
            subgoal = f"reach node {goal}" if goal == search.target else f"explore node {goal}"
            decisions.append(
                Decision(
                    nxt,
                    plan,
                    raw=f"pogs expert: to {goal} via {path}",
                    meta={"subgoal": subgoal, "plan": whole_plan},
                )
            )
        return decisions

    @staticmethod
    def plan_text(target: int, goal: int, path: list[int]) -> str:
        route = ", ".join(str(n) for n in path)
        if goal == target:
            return f"The target {target} is in sight: go {route}."
        return f"The target {target} is not in sight yet: explore toward node {goal} via {route}."


def report(env_id: str, seeds: range) -> dict[str, float]:
    """The expert on `seeds` of one POGS env: success rate, steps, plans (mean ± s.e.)."""
    import gymnasium as gym

    import dynplan_gym  # noqa: F401  (registers the envs)

    env, agent = gym.make(env_id), POGSExpertAgent()
    rows = []
    for seed in seeds:
        agent.reset(1)
        obs, info = env.reset(seed=seed)
        done = terminated = False
        while not done:
            decision = agent.act([obs], [{**info, "slot": 0}])[0]
            obs, _, terminated, truncated, info = env.step(decision.env_action())
            done = terminated or truncated
        rows.append(
            (100.0 * terminated, info["step"], info["num_plans"], env.unwrapped.search_backtracks)
        )
    table = np.array(rows)
    means, ses = table.mean(0), table.std(0, ddof=1) / np.sqrt(len(rows))
    names = ("success %", "steps", "plans", "backtracks")
    return {
        f"{n}": (round(float(m), 2), round(float(s), 2))
        for n, m, s in zip(names, means, ses, strict=True)
    }


if __name__ == "__main__":  # python -m agents.pogs_expert: the numbers of docs/environments/pogs.md
    for env_id in ("DynPlanPOGS-v0", "DynPlanPOGS-Hard-v0"):
        stats = report(env_id, range(100, 300))
        print(env_id, ", ".join(f"{k} {m} ± {s}" for k, (m, s) in stats.items()))

"""`DynPlanPOGS-v0` and `DynPlanPOGS-Hard-v0`: Partially Observable Graph Search with charged plans.

A world is a uniformly random labelled tree (`pogs_graph.random_tree`, as gym-pogs draws them);
start and target are distinct random nodes. The agent sees the nodes within `k_nearest` hops
and the edges among them, and moves by naming a node: a neighbour is a move, anything else an
invalid move (reward -1, no move). Reaching the target gives +100 and ends the episode; after
`max_steps` steps it is truncated (both, when the target is reached on the last step). As in
gym-pogs, `step_penalty` and `revisit_penalty` are non-positive and added to a valid move's
reward that does not reach the target (the revisit one for a move back to a visited node), and
`expert_penalty` (non-positive, default 0: off; gym-pogs's registered `POGS-v0` uses -1) is
added to every move that is not one of its expert's (`pogs_graph.expert_moves`). The hard
variant redraws the world until gym-pogs's search (`pogs_graph.PathKeepingSearch`) makes at
least `min_backtracks` runs of backtracking within `max_steps` steps (`backtrack_runs`).

Plans work as in `DynPlanCrafter-v0`: the action is `{"action": node, "plan": text}` (a bare
int keeps the plan), a new plan costs `per_plan + per_token * tokens`, and the plan in force
and its age are in the observation. Everything depends only on the seed.
"""

from __future__ import annotations

import numbers
import tomllib
from collections.abc import Callable, Mapping
from importlib import resources
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from dynplan_gym.plan_cost import DEFAULT_PER_PLAN, DEFAULT_PER_TOKEN, PlanCost
from dynplan_gym.pogs_graph import (
    KnownGraph,
    Tree,
    backtrack_runs,
    expert_moves,
    random_tree,
    search_backtracks,
    visible_edges,
)
from dynplan_gym.spaces import FreeText

TEXT = tomllib.loads(resources.files("dynplan_gym").joinpath("data/pogs_text.toml").read_text())
MAX_SEED = 2**31 - 1
MAX_REDRAWS = 10_000
NOT_COUNTED = -1  # the search's backtracks of a world not counted yet (counts are >= 0 or None)
MAX_NODES = 500  # the observation holds an n x n adjacency matrix
TARGET_REWARD, INVALID_REWARD = 100.0, -1.0


class DynPlanPOGSEnv(gym.Env):
    """POGS with text observations and charged plans (see the module docstring).

    Args:
        num_nodes: nodes of the tree (default 20). k_nearest: visibility radius in hops (3).
        max_steps: steps before truncation (30). min_backtracks: 0 for the standard variant;
            the hard variant redraws until gym-pogs's search makes at least this many runs of
            backtracking within max_steps.
        step_penalty, revisit_penalty, expert_penalty: non-positive, added as gym-pogs adds
            them (module docstring).
        plan_cost_per_plan, plan_cost_per_token, plan_tokenizer: as in `DynPlanCrafter-v0`.
        max_plan_chars: the longest plan accepted.
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(
        self,
        *,
        num_nodes: int = 20,
        k_nearest: int = 3,
        max_steps: int = 30,
        min_backtracks: int = 0,
        step_penalty: float = 0.0,
        revisit_penalty: float = 0.0,
        expert_penalty: float = 0.0,
        plan_cost_per_plan: float = DEFAULT_PER_PLAN,
        plan_cost_per_token: float = DEFAULT_PER_TOKEN,
        plan_tokenizer: str | Callable[[str], int] | None = None,
        max_plan_chars: int = 2048,
        render_mode: str | None = None,
    ) -> None:
        for name, value, least in (
            ("num_nodes", num_nodes, 2),
            ("k_nearest", k_nearest, 1),
            ("max_steps", max_steps, 1),
            ("min_backtracks", min_backtracks, 0),
            ("max_plan_chars", max_plan_chars, 1),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ValueError(f"{name} must be an int >= {least}, got {value!r}")
        for name, value in (
            ("step_penalty", step_penalty),
            ("revisit_penalty", revisit_penalty),
            ("expert_penalty", expert_penalty),
        ):
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value <= 0:
                raise ValueError(
                    f"{name} must be a number <= 0 (added to the reward, as gym-pogs adds it), "
                    f"got {value!r}"
                )
        if num_nodes > MAX_NODES:
            raise ValueError(
                f"num_nodes must be <= {MAX_NODES} (gym-pogs uses 20), got {num_nodes}"
            )
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode must be None or 'ansi', got {render_mode!r}")
        self.num_nodes, self.k_nearest, self.max_steps = num_nodes, k_nearest, max_steps
        self.min_backtracks = min_backtracks
        self.step_penalty, self.revisit_penalty = float(step_penalty), float(revisit_penalty)
        self.expert_penalty = float(expert_penalty)
        self.max_plan_chars, self.render_mode = max_plan_chars, render_mode
        self.plan_cost = PlanCost.from_settings(
            plan_cost_per_plan, plan_cost_per_token, plan_tokenizer
        )
        n = num_nodes
        self.action_space = spaces.Dict(
            {"action": spaces.Discrete(n), "plan": FreeText(max_plan_chars)}
        )
        self.observation_space = spaces.Dict(
            {
                "text": FreeText(64 * n * n),
                "plan": FreeText(max_plan_chars),
                "plan_age": spaces.Discrete(max_steps + 1),
                "current": spaces.Discrete(n),
                "target": spaces.Discrete(n),
                "visible": spaces.Box(0, 1, (n,), np.uint8),
                "adjacency": spaces.Box(0, 1, (n, n), np.uint8),
            }
        )
        self.accepted = (
            f'an int in [0, {n}) (a node) or a dict {{"action": int in [0, {n}), "plan": str}} '
            f'("plan" optional; "" keeps the plan in force)'
        )
        self.tree: Tree = ()
        self._over = True

    # -- gymnasium API ------------------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """A new world: `reset(seed=s)` always builds the same one."""
        if options:
            raise ValueError(f"reset takes no options, got {sorted(options)}")
        if seed is not None and (
            isinstance(seed, bool)
            or not isinstance(seed, numbers.Integral)
            or not 0 <= seed <= MAX_SEED
        ):
            raise ValueError(f"seed must be an int in [0, {MAX_SEED}] or None, got {seed!r}")
        seed = None if seed is None else int(seed)  # numpy ints too, as Crafter takes them
        super().reset(seed=seed)
        world_seed = int(seed) if seed is not None else int(self.np_random.integers(MAX_SEED))
        self.tree, self.start, self.target, self.backtrack_runs = self._draw(world_seed)
        self._search_backtracks: int | None = NOT_COUNTED
        self.current, self.visited = self.start, {self.start}
        self._seen = KnownGraph(self.k_nearest)  # what the expert-shaped reward's expert knows
        self._seen.observe(self.current, *visible_edges(self.tree, self.current, self.k_nearest))
        self._steps, self._over = 0, False
        self._plan, self._plan_age, self._num_plans, self._plan_tokens = "", 0, 0, 0
        return self._observation(), self._info(0.0, 0.0, 0, False, False)

    def step(self, action: Any) -> tuple[dict[str, Any], float, bool, bool, dict[str, Any]]:
        if self._over:
            raise RuntimeError("the episode is over (or never started): call reset() before step()")
        node, plan = self._parse(action)
        cost, tokens = self.plan_cost.charge(plan)
        if plan:
            self._plan, self._plan_age = plan, 0
            self._num_plans += 1
            self._plan_tokens += tokens
        self._steps += 1
        expert = not self.expert_penalty or node in expert_moves(
            self._seen, self.current, self.target
        )
        invalid = node not in self.tree[self.current]
        if invalid:
            task_reward = INVALID_REWARD
        elif node == self.target:
            task_reward = TARGET_REWARD
        else:
            task_reward = self.step_penalty + (
                self.revisit_penalty if node in self.visited else 0.0
            )
        task_reward += 0.0 if expert else self.expert_penalty
        if not invalid:
            self.current = node
            self.visited.add(node)
        self._seen.observe(self.current, *visible_edges(self.tree, self.current, self.k_nearest))
        terminated = self.current == self.target
        truncated = self._steps >= self.max_steps
        self._over = terminated or truncated
        if self._plan:
            self._plan_age += 1
        info = self._info(task_reward, cost, tokens, bool(plan), invalid)
        return self._observation(), task_reward - cost, terminated, truncated, info

    @property
    def action_names(self) -> tuple[str, ...]:
        """An action's name is its node's label."""
        return tuple(str(node) for node in range(self.num_nodes))

    def render(self) -> str | None:
        return self._observation()["text"] if self.render_mode == "ansi" else None

    # -- helpers ------------------------------------------------------------------------------
    @property
    def search_backtracks(self) -> int | None:
        """The backtracks the memory-based search (the expert) needs from start to target in
        this world (None: not within 4 moves a node); counted on first read, not at reset."""
        if self._search_backtracks == NOT_COUNTED:
            self._search_backtracks = search_backtracks(
                self.tree, self.start, self.target, self.k_nearest, 4 * self.num_nodes
            )
        return self._search_backtracks

    def _draw(self, world_seed: int) -> tuple[Tree, int, int, int | None]:
        """(tree, start, target, gym-pogs's search's runs: counted only when
        `min_backtracks` asks for them)."""
        rng = np.random.default_rng(world_seed)
        for _ in range(MAX_REDRAWS):
            tree = random_tree(self.num_nodes, rng)
            start, target = (int(x) for x in rng.choice(self.num_nodes, 2, replace=False))
            runs = None  # counted only where it selects the world: the hard variant
            if self.min_backtracks:
                runs = backtrack_runs(tree, start, target, self.k_nearest, self.max_steps)
            if runs is None or runs >= self.min_backtracks:
                return tree, start, target, runs
        raise ValueError(
            f"no world with min_backtracks={self.min_backtracks} found in {MAX_REDRAWS} draws "
            f"of {self.num_nodes} nodes with k_nearest={self.k_nearest} and "
            f"max_steps={self.max_steps} (gym-pogs's rule: runs of backtracking of its search)"
        )

    def _parse(self, action: Any) -> tuple[int, str]:
        plan: Any = ""
        if isinstance(action, Mapping):
            if set(action) - {"action", "plan"} or "action" not in action:
                raise ValueError(
                    f"action must be {self.accepted}; got a dict with keys {sorted(action)}"
                )
            plan = action.get("plan", "")
            if not isinstance(plan, str):
                raise TypeError(f"action must be {self.accepted}; got plan of type {type(plan)}")
            if len(plan) > self.max_plan_chars:
                raise ValueError(
                    f"plan is {len(plan)} characters; this env accepts at most "
                    f"{self.max_plan_chars} (the `max_plan_chars` setting)"
                )
            action = action["action"]
        if isinstance(action, np.ndarray) and action.shape == () and action.dtype.kind in "iu":
            action = action.item()
        if isinstance(action, bool) or not isinstance(action, numbers.Integral):
            raise TypeError(
                f"action must be {self.accepted}; got action {action!r} of type "
                f"{type(action).__name__}"
            )
        if not 0 <= int(action) < self.num_nodes:
            raise ValueError(
                f"action must be {self.accepted}; got node {int(action)}, no such node"
            )
        return int(action), plan

    def _observation(self) -> dict[str, Any]:
        near, edges = visible_edges(self.tree, self.current, self.k_nearest)
        n = self.num_nodes
        visible = np.zeros(n, np.uint8)
        visible[list(near)] = 1
        adjacency = np.zeros((n, n), np.uint8)
        for a, b in edges:
            adjacency[a, b] = adjacency[b, a] = 1
        lines = [TEXT["header"]]
        for node in sorted(near):
            neighbours = [str(b) for b in np.flatnonzero(adjacency[node])]
            text = ", ".join(neighbours) or TEXT["no_neighbours"]
            lines.append(TEXT["node_line"].format(node=node, neighbours=text))
        lines.append(TEXT["position"].format(current=self.current, target=self.target))
        return {
            "text": "\n".join(lines),
            "plan": self._plan,
            "plan_age": self._plan_age,
            "current": self.current,
            "target": self.target,
            "visible": visible,
            "adjacency": adjacency,
        }

    def _info(
        self, task_reward: float, cost: float, tokens: int, new_plan: bool, invalid: bool
    ) -> dict[str, Any]:
        reached = int(self.current == self.target)
        return {
            "task_reward": float(task_reward),
            "plan_cost": float(cost),
            "plan_tokens": tokens,
            "new_plan": new_plan,
            "num_plans": self._num_plans,
            "total_plan_tokens": self._plan_tokens,
            "step": self._steps,
            "achievements": {"reach_target": reached},
            "unlocked": ["reach_target"] if reached and task_reward > 0 else [],
            "player_pos": self.current,
            "start": self.start,
            "target": self.target,
            "invalid_move": invalid,
            "backtrack_runs": self.backtrack_runs,
            "view_hops": self.k_nearest,
        }

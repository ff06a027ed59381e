"""`DynPlanCrafter-v0`: Crafter with text observations and a plan-cost action space.

Each step the agent hands in an action and, optionally, a new plan (text). A non-empty plan
replaces the plan in force and is charged `per_plan + per_token * tokens(plan)`, which is taken
off the reward; the plan in force and its age (steps taken since it was handed in: 1 in the
observation that step returns) stay in the observation. See docs/architecture.md
and docs/environments/crafter.md for the contract and `dynplan_gym.plan_cost` for the default costs.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from dynplan_gym.crafter_actions import ACTION_NAMES, NUM_ACTIONS, parse_action
from dynplan_gym.crafter_core import ITEMS, SEMANTIC_NAMES, CrafterCore
from dynplan_gym.plan_cost import DEFAULT_PER_PLAN, DEFAULT_PER_TOKEN, PlanCost
from dynplan_gym.spaces import FreeText
from dynplan_gym.text_observation import CrafterTextDescriber, TextOptions

MAX_TEXT_CHARS = 16384
MAX_SEED = 2**31 - 1


class DynPlanCrafterEnv(gym.Env):
    """Crafter (the real `crafter` package) with text observations and charged plans.

    Args:
        image: also return a 64x64x3 `image` observation (drawn every step, as crafter does).
        text: describe the view in `text`; False leaves it empty (for agents that read only the
            arrays: ~20 % faster steps).
        render_mode: None or "rgb_array" (`render()` then draws the current view on demand).
        length: steps before the episode is truncated (crafter's default 10,000).
        area, view, size: crafter's world size, view size and image size.
        plan_cost_per_plan, plan_cost_per_token: the charges for handing in a plan.
        plan_tokenizer: None (a fixed, model-independent count), a callable `str -> int`, or a
            local Hugging Face tokenizer directory.
        max_plan_chars: the longest plan accepted.
        unique_items, precise_location, skip_items, edge_only_items, text_style: text options
            (`dynplan_gym.text_observation`; defaults: its `dynplan` preset).
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array"], "render_fps": 10}

    def __init__(
        self,
        *,
        image: bool = False,
        text: bool = True,
        render_mode: str | None = None,
        length: int = 10000,
        area: Sequence[int] = (64, 64),
        view: Sequence[int] = (9, 9),
        size: Sequence[int] = (64, 64),
        plan_cost_per_plan: float = DEFAULT_PER_PLAN,
        plan_cost_per_token: float = DEFAULT_PER_TOKEN,
        plan_tokenizer: str | Callable[[str], int] | None = None,
        max_plan_chars: int = 2048,
        unique_items: bool = TextOptions.unique_items,
        precise_location: bool = TextOptions.precise_location,
        skip_items: Sequence[str] = TextOptions.skip_items,
        edge_only_items: Sequence[str] = TextOptions.edge_only_items,
        text_style: str = TextOptions.style,
    ) -> None:
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        if not isinstance(length, int) or length < 1:
            raise ValueError(f"length must be a positive int, got {length!r}")
        if not isinstance(max_plan_chars, int) or max_plan_chars < 1:
            raise ValueError(f"max_plan_chars must be a positive int, got {max_plan_chars!r}")
        area, view, size = _pair("area", area, 2), _pair("view", view, 1), _pair("size", size, 1)
        item_rows = -(-len(ITEMS) // view[0])  # the inventory rows crafter draws below the map
        if view[1] <= item_rows:
            raise ValueError(
                f"view {view} leaves no room for the map: crafter draws {item_rows} inventory "
                f"rows below it at width {view[0]}, so the height must be > {item_rows} "
                "(default (9, 9))"
            )
        self.render_mode = render_mode
        self.image = bool(image)
        self.text = bool(text)
        self.max_plan_chars = max_plan_chars
        self.plan_cost = PlanCost.from_settings(
            plan_cost_per_plan, plan_cost_per_token, plan_tokenizer
        )
        self._core = CrafterCore(
            draw_images=self.image,
            area=area,
            view=view,
            size=size,
            length=length,
        )
        self._describer = CrafterTextDescriber(
            self._core.view_grid,
            TextOptions(
                unique_items,
                precise_location,
                skip_items,
                edge_only_items,
                text_style,
            ),
        )
        self.action_space = spaces.Dict(
            {"action": spaces.Discrete(NUM_ACTIONS), "plan": FreeText(max_plan_chars)}
        )
        obs_spaces: dict[str, spaces.Space] = {
            "text": FreeText(MAX_TEXT_CHARS),
            "plan": FreeText(max_plan_chars),
            "plan_age": spaces.Discrete(length + 1),
            "inventory": spaces.Box(0, 9, (len(ITEMS),), np.int32),
            "local_view": spaces.Box(0, len(SEMANTIC_NAMES) - 1, self._core.view_grid, np.uint8),
        }
        if self.image:
            obs_spaces["image"] = spaces.Box(0, 255, (size[1], size[0], 3), np.uint8)
        self.observation_space = spaces.Dict(obs_spaces)
        self._seeded = False
        self._episode_over = True
        self._last_image: np.ndarray | None = None
        self._plan = ""
        self._plan_age = 0
        self._num_plans = 0
        self._total_plan_tokens = 0

    # -- public read-only views ---------------------------------------------------------------
    @property
    def action_names(self) -> tuple[str, ...]:
        """Display names of the 17 actions ("Noop", "Move West", ...), by index."""
        return ACTION_NAMES

    @property
    def core(self) -> CrafterCore:
        """The underlying crafter world (for experts, tests and analysis; do not step it)."""
        return self._core

    @property
    def plan(self) -> str:
        return self._plan

    # -- gymnasium API ------------------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Start an episode; `reset(seed=s)` builds the world `crafter.Env(seed=s)` builds."""
        if options:
            raise ValueError(f"reset takes no options, got {sorted(options)}")
        if seed is not None:
            if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
                raise TypeError(f"seed must be an int in [0, {MAX_SEED}] or None, got {seed!r}")
            if not 0 <= seed <= MAX_SEED:
                raise ValueError(f"seed must be in [0, {MAX_SEED}], got {seed}")
            seed = int(seed)
        super().reset(seed=seed)
        if seed is not None:
            self._core.seed_episodes(seed)
        elif not self._seeded:
            self._core.seed_episodes(int(self.np_random.integers(0, MAX_SEED)))
        self._seeded = True
        self._last_image = self._core.reset()
        self._episode_over = False
        self._plan, self._plan_age = "", 0
        self._num_plans = self._total_plan_tokens = 0
        info = self._info(
            self._core.state_info(), task_reward=0.0, cost=0.0, tokens=0, new_plan=False
        )
        info.update(unlocked=[], discount=1.0)
        return self._observation(dead=False), info

    def step(self, action: Any) -> tuple[dict[str, Any], float, bool, bool, dict[str, Any]]:
        if self._episode_over:
            raise RuntimeError("the episode is over (or never started): call reset() before step()")
        index, plan = parse_action(action, self.max_plan_chars)
        cost, tokens = self.plan_cost.charge(plan)
        if plan:
            self._plan, self._plan_age = plan, 0  # one step old once this step is taken
            self._num_plans += 1
            self._total_plan_tokens += tokens
        self._last_image, task_reward, done, core_info = self._core.step(index)
        terminated = core_info["dead"]
        truncated = core_info["over"] and not terminated
        self._episode_over = done
        if self._plan:
            self._plan_age += 1
        info = self._info(
            core_info, task_reward=task_reward, cost=cost, tokens=tokens, new_plan=bool(plan)
        )
        for internal in ("reward", "dead", "over"):
            del info[internal]
        return self._observation(dead=terminated), task_reward - cost, terminated, truncated, info

    def render(self) -> np.ndarray | None:
        """The current view as an RGB array (`render_mode="rgb_array"`); drawing it changes
        nothing in the world, so rendering never alters a trajectory."""
        if self.render_mode is None:
            gym.logger.warn("render() needs render_mode='rgb_array' at construction")
            return None
        if self._last_image is not None:
            return self._last_image.copy()
        return self._core.render_preserving_rng()

    # -- helpers ------------------------------------------------------------------------------
    def _observation(self, dead: bool) -> dict[str, Any]:
        core = self._core
        player = core.player
        padded = core.semantic_window(pad=1)
        text = ""
        if self.text:
            text = self._describer.describe(
                padded,
                player.facing,
                player.inventory,
                night=core.is_night,
                sleeping=player.sleeping,
                dead=dead,
            )
        inventory = player.inventory
        obs = {
            "text": text,
            "plan": self._plan,
            "plan_age": self._plan_age,
            "inventory": np.array([inventory[name] for name in ITEMS], np.int32),
            "local_view": padded[1:-1, 1:-1].copy(),
        }
        if self.image:
            obs["image"] = self._last_image
        return obs

    def _info(
        self,
        state: dict[str, Any],
        *,
        task_reward: float,
        cost: float,
        tokens: int,
        new_plan: bool,
    ) -> dict[str, Any]:
        """`state` (inventory, achievements, player_pos, ...) plus plan and time fields."""
        state.update(
            task_reward=float(task_reward),
            plan_cost=float(cost),
            plan_tokens=tokens,
            new_plan=new_plan,
            num_plans=self._num_plans,
            total_plan_tokens=self._total_plan_tokens,
            step=self._core.step_count,
            daylight=self._core.daylight,
            sleeping=bool(self._core.player.sleeping),
        )
        return state


def _pair(name: str, value, least: int) -> tuple[int, int]:
    """`value` as a (width, height) pair of ints >= `least`, else a ValueError naming `name`."""
    try:
        pair = tuple(value)
    except TypeError:
        pair = ()
    if len(pair) != 2 or not all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= least for v in pair
    ):
        raise ValueError(f"{name} must be two ints >= {least} (width, height), got {value!r}")
    return int(pair[0]), int(pair[1])

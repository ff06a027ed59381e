"""The real Crafter world, stepped without drawing images.

`CrafterCore` is a `crafter.Env` (same world generation, objects, rules, achievements and
reward) with changes that leave every state identical:

* Images are drawn only when asked for. Crafter draws one in every `reset`/`step`, and at night
  that drawing takes random numbers from the world's RNG for its noise. When no image is wanted
  we take exactly the same random numbers, so trajectories stay identical to `crafter.Env`.
* Crafter keeps each map chunk's objects in a `set` and, when it despawns a creature, picks
  one by index from that set's iteration order, which follows memory addresses: two
  `crafter.Env(seed=s)` in one process diverge within tens of steps. We keep chunk members in
  insertion order instead, so the same seed and actions give the same trajectory.
* `reset` builds crafter's world with `crafter_worldgen.generate_world`: the same tiles,
  objects and random numbers, several times faster.
* `step` updates the same objects in the same order with the same calls as `crafter.Env.step`,
  but decides "is this object near the player" with plain integers instead of a numpy
  reduction per object, and skips the full-map semantic image crafter puts in `info`.

`tests/dynplan_gym/test_crafter_equivalence.py` steps both side by side to prove the states
are identical.
"""

from __future__ import annotations

import collections

import crafter
import numpy as np
from crafter import constants, engine, objects

# Semantic ids of crafter's `SemanticView`: 0 is "nothing" (also used for outside the map),
# then the materials in crafter's order, then these object classes.
SEMANTIC_OBJECT_CLASSES = (
    objects.Player,
    objects.Cow,
    objects.Zombie,
    objects.Skeleton,
    objects.Arrow,
    objects.Plant,
)
SEMANTIC_NAMES: tuple[str, ...] = (
    "unknown",
    *constants.materials,
    *(cls.__name__.lower() for cls in SEMANTIC_OBJECT_CLASSES),
)
ITEMS: tuple[str, ...] = tuple(constants.items)  # inventory order: vitals, then items
OBJECT_SEMANTIC_ID = {
    cls: len(constants.materials) + 1 + i for i, cls in enumerate(SEMANTIC_OBJECT_CLASSES)
}
# crafter's image noise kicks in below this daylight level; we call it night.
NIGHT_DAYLIGHT = 0.5


class InsertionOrderedSet(dict):
    """The part of `set` crafter's `World` uses, iterating in insertion order."""

    def add(self, item) -> None:
        self[item] = None

    def remove(self, item) -> None:
        del self[item]


class DeterministicWorld(engine.World):
    """crafter's `World` whose chunks list their objects in insertion order."""

    def reset(self, seed=None) -> None:
        super().reset(seed)
        self._chunks = collections.defaultdict(InsertionOrderedSet)


def make_deterministic(env: crafter.Env) -> crafter.Env:
    """Give a `crafter.Env` reproducible creature despawning (see module docstring)."""
    env._world.__class__ = DeterministicWorld
    env._world.reset()
    return env


class CrafterCore(crafter.Env):
    """`crafter.Env` that draws an image only when `draw_images` is set."""

    def __init__(self, *, draw_images: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        make_deterministic(self)
        self.draw_images = draw_images
        self._near_radius = 2 * int(max(self._view))
        unit = np.array(self._size) // np.array(self._view)
        self._noise_shape = tuple(int(n) for n in self._local_view._grid * unit)

    # -- seeding -----------------------------------------------------------------------------
    def seed_episodes(self, seed: int) -> None:
        """Make the next `reset()` build the world `crafter.Env(seed=seed)` builds first."""
        self._seed = int(seed)
        self._episode = 0

    def reset(self):
        """`crafter.Env.reset`, with the same world built by `crafter_worldgen` (faster)."""
        from dynplan_gym.crafter_worldgen import generate_world

        center = (self._world.area[0] // 2, self._world.area[1] // 2)
        self._episode += 1
        self._step = 0
        self._world.reset(seed=hash((self._seed, self._episode)) % (2**31 - 1))
        self._update_time()
        self._player = objects.Player(self._world, center)
        self._last_health = self._player.health
        self._world.add(self._player)
        self._unlocked = set()
        generate_world(self._world, self._player)
        return self._obs()

    # -- drawing -----------------------------------------------------------------------------
    def _obs(self):
        if self.draw_images:
            return self.render()
        if self._world.daylight < NIGHT_DAYLIGHT:
            # crafter's LocalView._noise draws this many uniforms at night; take the same ones.
            self._world.random.uniform(32, 127, self._noise_shape)
        return None

    def render_preserving_rng(self, size=None) -> np.ndarray:
        """Draw the current view without disturbing the world's random numbers."""
        state = self._world.random.get_state()
        try:
            return self.render(size)
        finally:
            self._world.random.set_state(state)

    # -- stepping ----------------------------------------------------------------------------
    def step(self, action: int):
        """Same transition as `crafter.Env.step`; `info` lacks the full-map `semantic` image."""
        self._step += 1
        self._update_time()
        player = self._player
        player.action = constants.actions[action]
        radius = self._near_radius
        px, py = player.pos.tolist()
        for obj in self._world.objects:
            ox, oy = obj.pos.tolist()
            if abs(ox - px) + abs(oy - py) < radius:
                obj.update()
                px, py = player.pos.tolist()
        if self._step % 10 == 0:
            for chunk, objs in self._world.chunks.items():
                self._balance_chunk(chunk, objs)
        obs = self._obs()
        reward = (player.health - self._last_health) / 10
        self._last_health = player.health
        unlocked = {
            name
            for name, count in player.achievements.items()
            if count > 0 and name not in self._unlocked
        }
        if unlocked:
            self._unlocked |= unlocked
            reward += 1.0
        dead = player.health <= 0
        over = bool(self._length) and self._step >= self._length
        info = self.state_info()
        info.update(
            discount=1 - float(dead), reward=reward, unlocked=sorted(unlocked), dead=dead, over=over
        )
        if not self._reward:
            reward = 0.0
        return obs, reward, dead or over, info

    def state_info(self) -> dict:
        """Copies of the player's inventory, achievements and position (crafter's `info`), and
        the direction it faces (dx, dy)."""
        player = self._player
        return {
            "inventory": player.inventory.copy(),
            "achievements": player.achievements.copy(),
            "player_pos": player.pos.copy(),
            "player_facing": tuple(int(d) for d in player.facing),
        }

    # -- views -------------------------------------------------------------------------------
    @property
    def player(self) -> objects.Player:
        return self._player

    @property
    def daylight(self) -> float:
        return float(self._world.daylight)

    @property
    def is_night(self) -> bool:
        return self._world.daylight < NIGHT_DAYLIGHT

    @property
    def step_count(self) -> int:
        return int(self._step)

    @property
    def view_grid(self) -> tuple[int, int]:
        """Width and height of the local window crafter shows (9x7 by default)."""
        return tuple(int(n) for n in self._local_view._grid)

    def semantic_window(self, pad: int = 0) -> np.ndarray:
        """Semantic ids of the local window (+`pad` cells each side), 0 outside the map.

        Indexed `[x, y]` like crafter's maps: x grows east, y grows south.
        """
        world = self._world
        grid_w, grid_h = self.view_grid
        px, py = self._player.pos.tolist()
        x0, y0 = px - grid_w // 2 - pad, py - grid_h // 2 - pad
        w, h = grid_w + 2 * pad, grid_h + 2 * pad
        area_w, area_h = world.area
        cx0, cy0 = max(x0, 0), max(y0, 0)
        cx1, cy1 = min(x0 + w, area_w), min(y0 + h, area_h)
        window = np.zeros((w, h), np.uint8)
        window[cx0 - x0 : cx1 - x0, cy0 - y0 : cy1 - y0] = world._mat_map[cx0:cx1, cy0:cy1]
        obj_ids = world._obj_map[cx0:cx1, cy0:cy1]
        for ix, iy in zip(*np.nonzero(obj_ids), strict=True):
            obj = world._objects[obj_ids[ix, iy]]
            window[cx0 - x0 + ix, cy0 - y0 + iy] = OBJECT_SEMANTIC_ID[type(obj)]
        return window

    def semantic_map(self) -> np.ndarray:
        """The whole map's semantic ids, as crafter's `info["semantic"]` gives them."""
        world = self._world
        canvas = world._mat_map.copy()
        for obj in world.objects:
            canvas[tuple(obj.pos)] = OBJECT_SEMANTIC_ID[type(obj)]
        return canvas

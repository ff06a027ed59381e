"""Crafter's world generation, fast: the same worlds as `crafter.worldgen.generate_world`.

Crafter decides each tile in a Python loop that evaluates up to ten simplex noises per tile
and draws from the world's RNG only on some branches. Here every noise field is computed for
the whole map at once (`opensimplex`'s array noise, compiled by numba), every branch that needs
no random number is decided with numpy, and only the tiles that draw walk a short loop, in
crafter's order (x, then y), over uniforms drawn in one block. The world's RNG ends exactly
where crafter's leaves it (the unused tail of the block is given back), so the objects and every
later step are identical. `tests/dynplan_gym/test_crafter_worldgen.py` compares materials,
objects and the RNG state with crafter's over 200 seeds; `make bench` times both.

Crafter's rules, as it applies them per tile (with `start` the closeness to the spawn):
materials: grass near the spawn; in the mountains caves and tunnels (paths), then coal, iron,
diamond by chance where their noise allows, lava, else stone; sand at the water's edge; water;
else grassland with trees by chance. Objects: cows on grass (not next to the spawn), zombies
away from it, skeletons in tunnels, each by chance.
"""

from __future__ import annotations

import numpy as np
import opensimplex
from crafter import objects
from numba import njit
from opensimplex.internals import _noise3  # opensimplex 0.4's compiled noise (pinned)

# Chance thresholds: the tile gets the thing when a uniform draw exceeds them.
COAL, IRON, DIAMOND, TREE = 0.85, 0.75, 0.994, 0.8
COW, ZOMBIE, SKELETON = 0.985, 0.993, 0.95


@njit(cache=True)
def _noise_at(xs, ys, z, perm, grad_index):  # pragma: no cover (compiled)
    """opensimplex's 3-D noise at each (x, y, z); its own `noise3`, in a compiled loop."""
    out = np.empty(xs.size)
    for i in range(xs.size):
        out[i] = _noise3(xs[i], ys[i], z, perm, grad_index)
    return out


class _Noise:
    """crafter's `_simplex(x, y, z, size)` over chosen tiles of the map (flattened, x-major)."""

    def __init__(self, seed: int, area: tuple[int, int]) -> None:
        simplex = opensimplex.OpenSimplex(seed=seed)
        self._tables = (simplex._perm, simplex._perm_grad_index3)
        x, y = np.meshgrid(np.arange(area[0]), np.arange(area[1]), indexing="ij")
        self.x, self.y = x.ravel().astype(float), y.ravel().astype(float)

    def __call__(self, z: float, size: float, where=None, x=None, y=None) -> np.ndarray:
        """The noise on the tiles `where` (all by default), -inf elsewhere, at the tiles'
        coordinates or at `x`, `y` (crafter's tunnels: `simplex(2 * x, y / 5, ...)`)."""
        x = self.x if x is None else x
        y = self.y if y is None else y
        out = np.full(x.size, -np.inf)
        chosen = slice(None) if where is None else where
        out[chosen] = _noise_at(x[chosen] / size, y[chosen] / size, float(z), *self._tables)
        return out


def generate_world(world, player) -> None:
    """Fill `world` (a reset `crafter.engine.World` holding only `player`) exactly as
    `crafter.worldgen.generate_world` does, and leave its RNG where crafter's would be."""
    rng = world.random
    noise = _Noise(rng.randint(0, 2**31 - 1), tuple(world.area))
    area, spawn = tuple(world.area), tuple(int(v) for v in player.pos)
    ids = world._mat_ids
    start = 4 - np.sqrt((noise.x - spawn[0]) ** 2 + (noise.y - spawn[1]) ** 2)
    start = start + 2 * noise(8, 3)
    start = 1 / (1 + np.exp(-start))
    water = (0 + 1 * noise(3, 15)) + 0.15 * noise(3, 5) + 0.1  # sizes {15: 1, 5: 0.15}
    water = water - 2 * start
    mountain = ((0 + 1 * noise(0, 15)) + 0.3 * noise(0, 5)) / 1.3  # {15: 1, 5: 0.3}, normed
    mountain = mountain - (4 * start + 0.3 * water)

    grass = start > 0.5
    hills = ~grass & (mountain > 0.15)
    cave = hills & (mountain > 0.3)
    cave &= noise(6, 7, cave) > 0.15
    h_tunnel = hills & ~cave
    h_tunnel &= noise(7, 3, h_tunnel, x=2 * noise.x, y=noise.y / 5) > 0.4
    v_tunnel = hills & ~cave & ~h_tunnel
    v_tunnel &= noise(7, 3, v_tunnel, x=noise.x / 5, y=2 * noise.y) > 0.4
    rocks = hills & ~cave & ~h_tunnel & ~v_tunnel  # coal, iron, diamond, lava or stone
    low = ~grass & ~hills
    sand = low & (water > 0.25) & (water <= 0.35)
    sand &= noise(4, 9, sand) > -0.2
    lake = low & ~sand & (water > 0.3)
    land = low & ~sand & ~lake

    materials = np.full(area[0] * area[1], ids["grass"], np.uint8)
    materials[cave | h_tunnel | v_tunnel] = ids["path"]
    materials[sand] = ids["sand"]
    materials[lake] = ids["water"]
    lava = rocks & (mountain > 0.3)
    lava &= noise(6, 5, lava) > 0.35
    materials[rocks] = np.where(lava[rocks], ids["lava"], ids["stone"])
    tunnels = h_tunnel | v_tunnel

    # The tiles that draw, in crafter's order, with what each of their draws may give.
    may_coal, may_iron = noise(1, 8, rocks) > 0, noise(2, 6, rocks) > 0.4
    may_diamond, may_tree = rocks & (mountain > 0.18), noise(5, 7, land) > 0
    drawing = np.flatnonzero(may_coal | may_iron | may_diamond | may_tree)
    state = rng.get_state()
    block = rng.uniform(size=3 * drawing.size + 1)
    used = 0
    chances = (
        (may_coal, COAL, ids["coal"]),
        (may_iron, IRON, ids["iron"]),
        (may_diamond, DIAMOND, ids["diamond"]),
        (may_tree, TREE, ids["tree"]),
    )
    for tile in drawing.tolist():
        for allowed, threshold, material in chances:
            if allowed[tile]:
                used += 1
                if block[used - 1] > threshold:
                    materials[tile] = material
                    break
    world._mat_map[:] = materials.reshape(area)
    objects_from = (noise.x, noise.y, materials, tunnels)
    used = _place_objects(world, player, objects_from, block, used, spawn, state)
    rng.set_state(state)  # give back the block's unused tail: crafter drew only `used`
    if used:
        rng.uniform(size=used)


def _place_objects(world, player, tiles, block, used, spawn, state) -> int:
    """Crafter's `_set_object` over every tile; returns how many uniforms were used in all."""
    x, y, materials, tunnels = tiles
    ids = world._mat_ids
    dist = np.sqrt((x - spawn[0]) ** 2 + (y - spawn[1]) ** 2)
    grass, path = materials == ids["grass"], materials == ids["path"]
    walkable = grass | path | (materials == ids["sand"])
    may_cow = walkable & grass & (dist > 3)
    may_zombie = walkable & (dist > 10)
    may_skeleton = walkable & path & tunnels
    drawing = np.flatnonzero(may_cow | may_zombie | may_skeleton)
    needed = used + 3 * drawing.size
    if needed > block.size:  # more draws than the first block holds: draw them after it
        rng = world.random
        rng.set_state(state)
        block = rng.uniform(size=needed)
    height = world.area[1]
    for tile in drawing.tolist():
        pos = (tile // height, tile % height)
        if may_cow[tile]:
            used += 1
            if block[used - 1] > COW:
                world.add(objects.Cow(world, pos))
                continue
        if may_zombie[tile]:
            used += 1
            if block[used - 1] > ZOMBIE:
                world.add(objects.Zombie(world, pos, player))
                continue
        if may_skeleton[tile]:
            used += 1
            if block[used - 1] > SKELETON:
                world.add(objects.Skeleton(world, pos, player))
    return used

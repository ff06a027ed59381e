"""A map the agent keeps of what it has seen: the prompt's "You remember" lines.

The text observation names only what is in view now. A player remembers more: the lake it
passed, the table it placed. `MapMemory` writes each local view into a map of the world at the
player's position (what any player knows: `info["player_pos"]`) and names, for a few kinds of
terrain out of view, the nearest remembered cell. Creatures are not remembered (they move);
the ground under them keeps what was last seen there.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import numpy as np

UNSEEN = -1
WORLD = (64, 64)  # crafter's default area


@cache
def _semantic_ids() -> tuple[dict[str, int], np.ndarray]:
    """Semantic id by name, and which ids are not terrain (creatures, padding, the player).
    Imported on first use: building the CLI's parser must not import crafter."""
    from dynplan_gym.crafter_core import SEMANTIC_NAMES

    ids = {name: i for i, name in enumerate(SEMANTIC_NAMES)}
    not_terrain = np.zeros(len(SEMANTIC_NAMES), bool)
    for name in ("unknown", "player", "cow", "zombie", "skeleton", "arrow", "plant"):
        not_terrain[ids[name]] = True
    return ids, not_terrain


class MapMemory:
    """The remembered terrain of one episode."""

    def __init__(self, world: tuple[int, int] = WORLD) -> None:
        self.terrain = np.full(world, UNSEEN, np.int16)
        self.pos: tuple[int, int] | None = None
        self._in_view: set[int] = set()

    def observe(self, pos: Iterable[int], view: np.ndarray) -> None:
        """Write the local view (semantic ids, [x, y], centred on the player) into the map."""
        x, y = (int(v) for v in pos)
        width, height = view.shape
        x0, y0 = x - width // 2, y - height // 2
        xs = slice(max(x0, 0), min(x0 + width, self.terrain.shape[0]))
        ys = slice(max(y0, 0), min(y0 + height, self.terrain.shape[1]))
        seen = np.asarray(view)[xs.start - x0 : xs.stop - x0, ys.start - y0 : ys.stop - y0]
        region = self.terrain[xs, ys]
        keep = _semantic_ids()[1][seen]
        region[~keep] = seen[~keep]
        self.pos = (x, y)
        self._in_view = {int(k) for k in np.unique(view)}

    def nearest_out_of_view(self, kinds: Iterable[str]) -> list[tuple[str, str]]:
        """(kind, location) of the nearest remembered cell of each kind not in view now,
        nearest first (ties: the first cell in x-major order); kinds never seen are left out."""
        from dynplan_gym.text_observation import describe_offset

        return [
            (name, describe_offset(x - self.pos[0], y - self.pos[1], False))
            for name, (x, y) in self.nearest_cells_out_of_view(kinds)
        ]

    def nearest_cells_out_of_view(self, kinds: Iterable[str]) -> list[tuple[str, tuple[int, int]]]:
        """(kind, cell) behind `nearest_out_of_view`: the cells the prompt's lines name."""
        if self.pos is None:
            return []
        ids = _semantic_ids()[0]
        wanted = [(name, ids[name]) for name in kinds if ids[name] not in self._in_view]
        if not wanted:
            return []
        # One pass over the map: the cells of any wanted kind, then the nearest of each.
        lookup = np.zeros(len(ids) + 1, bool)
        lookup[[kind + 1 for _, kind in wanted]] = True  # +1: UNSEEN (-1) indexes 0
        cells = np.flatnonzero(lookup[self.terrain.ravel() + 1])
        xs, ys = np.divmod(cells, self.terrain.shape[1])
        found_kinds = self.terrain.ravel()[cells]
        distances = np.abs(xs - self.pos[0]) + np.abs(ys - self.pos[1])
        found = []
        for name, kind in wanted:
            mine = np.flatnonzero(found_kinds == kind)
            if not len(mine):
                continue
            best = mine[np.argmin(distances[mine])]
            found.append((int(distances[best]), name, (int(xs[best]), int(ys[best]))))
        return [(name, cell) for _, name, cell in sorted(found)]

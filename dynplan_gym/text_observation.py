"""BALROG-style text descriptions of what the Crafter player sees.

The description covers the local window crafter shows (9x7 cells by default): the nearest cell
of each kind with its distance and compass direction, what the player faces, whether it is night
or the player sleeps or died, then its status and inventory. Cells outside the map are padding:
they are never listed, and facing one says so. The sentences live in `data/crafter_text.toml`.

Options (as in BALROG's Crafter wrapper):
  unique_items      list only the nearest cell of each kind (else every cell)
  precise_location  "2 steps north and 1 step west" instead of "3 steps to your north-west"
  skip_items        kinds never listed under "You see" (open ground by default)
  edge_only_items   kinds listed only where they border another kind (the shore of a lake,
                    not its middle)
Distances are Manhattan distances in cells; ties are listed north/south-first in a fixed order.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np

from dynplan_gym.crafter_core import SEMANTIC_NAMES

TEXT = tomllib.loads(resources.files("dynplan_gym").joinpath("data/crafter_text.toml").read_text())
VITALS = ("health", "food", "drink", "energy")
VITAL_MAX = 9
OUTSIDE_ID = 0  # semantic id of "nothing": cells outside the map carry it
PLAYER_ID = SEMANTIC_NAMES.index("player")


@dataclass(frozen=True)
class TextOptions:
    """How the observation text is written (BALROG's options; defaults match BALROG's)."""

    unique_items: bool = True
    precise_location: bool = False
    skip_items: tuple[str, ...] = ("grass", "sand", "path")
    edge_only_items: tuple[str, ...] = ("water",)

    def __post_init__(self) -> None:
        for field in ("skip_items", "edge_only_items"):
            names = tuple(getattr(self, field))
            unknown = [n for n in names if n not in SEMANTIC_NAMES[1:]]
            if unknown:
                raise ValueError(
                    f"{field} has unknown kinds {unknown}; expected names from "
                    f"{list(SEMANTIC_NAMES[1:])}"
                )
            object.__setattr__(self, field, names)


def describe_offset(dx: int, dy: int, precise: bool) -> str:
    """Where a cell `dx` east and `dy` south of the player is, in words."""
    loc = TEXT["location"]

    def steps(n: int) -> str:
        return loc["step"] if n == 1 else loc["steps"]

    vertical = "north" if dy < 0 else "south" if dy > 0 else ""
    horizontal = "west" if dx < 0 else "east" if dx > 0 else ""
    if precise:
        parts = [
            loc["precise_axis"].format(distance=abs(d), steps=steps(abs(d)), direction=name)
            for d, name in ((dy, vertical), (dx, horizontal))
            if d
        ]
        return loc["precise_join"].join(parts)
    distance = abs(dx) + abs(dy)
    direction = "-".join(name for name in (vertical, horizontal) if name)
    return loc["compass"].format(distance=distance, steps=steps(distance), direction=direction)


class CrafterTextDescriber:
    """Turns a padded semantic window and the player's state into observation text."""

    def __init__(self, view_grid: tuple[int, int], options: TextOptions = TextOptions()):
        self.options = options
        width, height = view_grid
        self._center = (width // 2, height // 2)
        cx, cy = self._center
        # Every visible cell but the player's, nearest first (Manhattan, then Euclidean, then
        # north-first, west-first), with its description precomputed.
        cells = [(x, y) for x in range(width) for y in range(height) if (x, y) != self._center]
        cells.sort(
            key=lambda c: (
                abs(c[0] - cx) + abs(c[1] - cy),
                (c[0] - cx) ** 2 + (c[1] - cy) ** 2,
                c[1],
                c[0],
            )
        )
        self._order = np.array([x * height + y for x, y in cells])  # flat [x, y] indices
        self._locations = [
            describe_offset(x - cx, y - cy, options.precise_location) for x, y in cells
        ]
        self._skip = np.zeros(len(SEMANTIC_NAMES), bool)
        self._skip[[SEMANTIC_NAMES.index(n) for n in options.skip_items]] = True
        self._skip[[OUTSIDE_ID, PLAYER_ID]] = True
        self._edge_only = np.zeros(len(SEMANTIC_NAMES), bool)
        self._edge_only[[SEMANTIC_NAMES.index(n) for n in options.edge_only_items]] = True

    def visible_items(self, padded_window: np.ndarray) -> list[tuple[str, str]]:
        """(kind, location) pairs for the listed cells, nearest first.

        `padded_window` is the semantic window with one extra cell on each side, so that
        edge-only kinds can look at their neighbours beyond the window.
        """
        window = padded_window[1:-1, 1:-1]
        listed = ~self._skip[window]
        edge_only = self._edge_only[window]
        if edge_only.any():
            # A neighbour of another kind makes an edge; the outside of the map does not.
            border = np.zeros(window.shape, bool)
            for nb in (
                padded_window[:-2, 1:-1],
                padded_window[2:, 1:-1],
                padded_window[1:-1, :-2],
                padded_window[1:-1, 2:],
            ):
                border |= (nb != window) & (nb != OUTSIDE_ID)
            listed &= ~edge_only | border
        kinds = window.ravel()[self._order].tolist()
        shown = listed.ravel()[self._order].tolist()
        unique = self.options.unique_items
        seen: set[int] = set()
        items = []
        for kind, show, location in zip(kinds, shown, self._locations, strict=True):
            if not show or (unique and kind in seen):
                continue
            seen.add(kind)
            items.append((SEMANTIC_NAMES[kind], location))
        return items

    def describe(
        self,
        padded_window: np.ndarray,
        facing: Sequence[int],
        inventory: Mapping[str, int],
        *,
        night: bool = False,
        sleeping: bool = False,
        dead: bool = False,
    ) -> str:
        """The whole observation text."""
        lines: list[str] = []
        if dead:
            lines += [TEXT["dead"], ""]
        elif sleeping:
            lines += [TEXT["sleeping"], ""]
        if night:
            lines += [TEXT["night"], ""]
        items = self.visible_items(padded_window)
        if items:
            lines.append(TEXT["see_header"])
            lines += [TEXT["see_item"].format(name=n, location=loc) for n, loc in items]
        else:
            lines.append(TEXT["see_nothing"])
        lines.append("")
        cx, cy = self._center
        front = int(padded_window[cx + 1 + facing[0], cy + 1 + facing[1]])
        if front == OUTSIDE_ID:
            lines.append(TEXT["facing_border"])
        else:
            lines.append(TEXT["facing"].format(name=SEMANTIC_NAMES[front]))
        lines += ["", TEXT["status_header"]]
        lines += [
            TEXT["status_item"].format(name=v, value=inventory[v], max=VITAL_MAX) for v in VITALS
        ]
        lines.append("")
        held = [(k, n) for k, n in inventory.items() if k not in VITALS and n > 0]
        if held:
            lines.append(TEXT["inventory_header"])
            lines += [TEXT["inventory_item"].format(name=k, value=n) for k, n in held]
        else:
            lines.append(TEXT["inventory_empty"])
        return "\n".join(lines)

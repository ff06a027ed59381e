"""BALROG-style text descriptions of what the Crafter player sees.

The description covers the local window crafter shows (9x7 cells by default): the nearest cell
of each kind with its distance and compass direction, what the player faces, whether the player
sleeps or died, then its status and inventory. Cells outside the map are padding: they are never
listed, and facing one says so (BALROG's style: "nothing"). The sentences live in
`data/crafter_text.toml`.

Options (as in BALROG's Crafter wrapper, plus the style):
  unique_items      list only the nearest cell of each kind (else every cell)
  precise_location  "2 steps north and 1 step west" instead of "3 steps to your north-west"
  skip_items        kinds never listed under "You see" (open ground by default)
  edge_only_items   kinds listed only where they border another kind (the shore of a lake,
                    not its middle)
  style             "dynplan" (the default): kinds nearest first (ties: Euclidean, then north,
                    then west), edges seen across the window's rim, a night sentence, vitals
                    after the view. "balrog": BALROG's text exactly: kinds in its scan order
                    (columns west to east, each north to south; the first of equally near cells
                    wins), edges only within the window, its sentences and layout (vitals and
                    inventory first, as after its "Current Observation:" line), no night
                    sentence. One departure, kept on purpose: near the west and north borders
                    BALROG's window comes back empty (a negative slice); here it shows the cells
                    inside the map, as at the other two borders.
Distances are Manhattan distances in cells. `TEXT_PRESETS` names whole option sets: protocols
pin one (`dynplan`, the env's defaults; `balrog`, BALROG's published Crafter configuration).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any

import numpy as np

from dynplan_gym.crafter_core import SEMANTIC_NAMES

TEXT = tomllib.loads(resources.files("dynplan_gym").joinpath("data/crafter_text.toml").read_text())
TEXT_STYLES = ("dynplan", "balrog")
VITALS = ("health", "food", "drink", "energy")
VITAL_MAX = 9
OUTSIDE_ID = 0  # semantic id of "nothing": cells outside the map carry it
PLAYER_ID = SEMANTIC_NAMES.index("player")


@dataclass(frozen=True)
class TextOptions:
    """How the observation text is written (module docstring). Defaults: the `dynplan` preset."""

    unique_items: bool = True
    precise_location: bool = False
    skip_items: tuple[str, ...] = ("grass", "sand", "path")
    edge_only_items: tuple[str, ...] = ("water",)
    style: str = "dynplan"

    def __post_init__(self) -> None:
        if self.style not in TEXT_STYLES:
            raise ValueError(f"text style must be one of {list(TEXT_STYLES)}, got {self.style!r}")
        for field in ("skip_items", "edge_only_items"):
            if isinstance(getattr(self, field), str):
                raise ValueError(
                    f"{field} must be a list of kind names (e.g. ['grass']), got the string "
                    f"{getattr(self, field)!r}"
                )
            names = tuple(getattr(self, field))
            unknown = [n for n in names if n not in SEMANTIC_NAMES[1:]]
            if unknown:
                raise ValueError(
                    f"{field} has unknown kinds {unknown}; expected names from "
                    f"{list(SEMANTIC_NAMES[1:])}"
                )
            object.__setattr__(self, field, names)

    def env_kwargs(self) -> dict[str, Any]:
        """These options as `DynPlanCrafter-v0` kwargs, in JSON's types (a result records them)."""
        return {
            "text_style": self.style,
            "unique_items": self.unique_items,
            "precise_location": self.precise_location,
            "skip_items": list(self.skip_items),
            "edge_only_items": list(self.edge_only_items),
        }


# Named option sets; a protocol pins one by name. `balrog` is BALROG's published Crafter config
# (`skip_items: []`, `edge_only_items: []`, `unique_items: True`, `precise_location: False`).
TEXT_PRESETS: Mapping[str, TextOptions] = MappingProxyType(
    {
        "dynplan": TextOptions(),
        "balrog": TextOptions(skip_items=(), edge_only_items=(), style="balrog"),
    }
)


def text_preset(name: str) -> TextOptions:
    """The options of preset `name`; a ValueError naming the presets otherwise."""
    try:
        return TEXT_PRESETS[name]
    except KeyError:
        raise ValueError(
            f"unknown text options {name!r}; expected one of {sorted(TEXT_PRESETS)}"
        ) from None


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
        self._balrog_style = options.style == "balrog"
        self.wording = {**TEXT, **TEXT["styles"].get(options.style, {})}
        width, height = view_grid
        self._center = (width // 2, height // 2)
        cx, cy = self._center
        cells = [(x, y) for x in range(width) for y in range(height) if (x, y) != self._center]
        if not self._balrog_style:
            # Nearest first (Manhattan, then Euclidean, then north-first, west-first).
            cells.sort(
                key=lambda c: (
                    abs(c[0] - cx) + abs(c[1] - cy),
                    (c[0] - cx) ** 2 + (c[1] - cy) ** 2,
                    c[1],
                    c[0],
                )
            )
        # else BALROG's scan order: columns west to east, each north to south (as built).
        self._order = np.array([x * height + y for x, y in cells])  # flat [x, y] indices
        self._distances = [abs(x - cx) + abs(y - cy) for x, y in cells]
        self._locations = [
            describe_offset(x - cx, y - cy, options.precise_location) for x, y in cells
        ]
        self._skip = np.zeros(len(SEMANTIC_NAMES), bool)
        self._skip[[SEMANTIC_NAMES.index(n) for n in options.skip_items]] = True
        self._skip[[OUTSIDE_ID, PLAYER_ID]] = True
        self._edge_only = np.zeros(len(SEMANTIC_NAMES), bool)
        self._edge_only[[SEMANTIC_NAMES.index(n) for n in options.edge_only_items]] = True

    def _edges(self, padded_window: np.ndarray) -> np.ndarray:
        """Cells with a 4-neighbour of another kind inside the map (BALROG: inside the window)."""
        window = padded_window[1:-1, 1:-1]
        if self._balrog_style:
            # Neighbours beyond the window's rim do not count: pad with the cell's own kind.
            padded_window = np.pad(window, 1, mode="edge")
        border = np.zeros(window.shape, bool)
        for nb in (
            padded_window[:-2, 1:-1],
            padded_window[2:, 1:-1],
            padded_window[1:-1, :-2],
            padded_window[1:-1, 2:],
        ):
            border |= (nb != window) & (nb != OUTSIDE_ID)
        return border

    def visible_items(self, padded_window: np.ndarray) -> list[tuple[str, str]]:
        """(kind, location) pairs for the listed cells, in the style's order.

        `padded_window` is the semantic window with one extra cell on each side, so that
        edge-only kinds can look at their neighbours beyond the window.
        """
        window = padded_window[1:-1, 1:-1]
        listed = ~self._skip[window]
        if self._edge_only[window].any():
            listed &= ~self._edge_only[window] | self._edges(padded_window)
        kinds = window.ravel()[self._order].tolist()
        shown = listed.ravel()[self._order].tolist()
        cells = [
            (kind, distance, location)
            for kind, show, distance, location in zip(
                kinds, shown, self._distances, self._locations, strict=True
            )
            if show
        ]
        if not self.options.unique_items:
            return [(SEMANTIC_NAMES[kind], location) for kind, _, location in cells]
        # The first cell of each kind in the order, replaced only by a strictly nearer one
        # (nearest-first order: the first is the nearest); kinds keep their first place.
        nearest: dict[int, tuple[int, str]] = {}
        for kind, distance, location in cells:
            if kind not in nearest or distance < nearest[kind][0]:
                nearest[kind] = (distance, location)
        return [(SEMANTIC_NAMES[kind], location) for kind, (_, location) in nearest.items()]

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
        words = self.wording
        items = self.visible_items(padded_window)
        if items:
            see = [words["see_header"]]
            see += [words["see_item"].format(name=n, location=loc) for n, loc in items]
        else:
            see = [words["see_nothing"]]
        cx, cy = self._center
        front = int(padded_window[cx + 1 + facing[0], cy + 1 + facing[1]])
        if self._balrog_style and self._skip[front]:  # skipped kinds and the map's outside
            facing_line = words["facing"].format(name=words["nothing"])
        elif front == OUTSIDE_ID:
            facing_line = words["facing_border"]
        else:
            facing_line = words["facing"].format(name=SEMANTIC_NAMES[front])
        status = [words["status_header"]]
        status += [
            words["status_item"].format(name=v, value=inventory[v], max=VITAL_MAX) for v in VITALS
        ]
        held = [(k, n) for k, n in inventory.items() if k not in VITALS and n > 0]
        if held:
            owned = [words["inventory_header"]]
            owned += [words["inventory_item"].format(name=k, value=n) for k, n in held]
        else:
            owned = [words["inventory_empty"]]
        if self._balrog_style:
            # BALROG's layout: vitals and inventory, then the condition (sleeping first) set off
            # by three blank lines, the view and the facing sentence.
            condition = words["sleeping"] if sleeping else words["dead"] if dead else ""
            lines = [*status, "", *owned]
            if condition:
                lines += [condition, "", "", ""]
            return "\n".join([*lines, *see, "", facing_line])
        lines = []
        if dead:
            lines += [words["dead"], ""]
        elif sleeping:
            lines += [words["sleeping"], ""]
        if night:
            lines += [words["night"], ""]
        return "\n".join([*lines, *see, "", facing_line, "", *status, "", *owned])

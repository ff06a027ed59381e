"""Gymnasium spaces for text that may hold any Unicode character."""

from __future__ import annotations

import string
from typing import Any

from gymnasium.spaces import Text

PRINTABLE = string.printable


class FreeText(Text):
    """A string of `min_length`..`max_length` characters of any kind.

    Plans come from language models and may hold any Unicode character, so `contains` checks
    only type and length; `sample` draws printable ASCII.
    """

    def __init__(self, max_length: int, *, min_length: int = 0, seed: Any = None) -> None:
        super().__init__(max_length, min_length=min_length, charset=PRINTABLE, seed=seed)

    def contains(self, x: Any) -> bool:
        return isinstance(x, str) and self.min_length <= len(x) <= self.max_length

    def __repr__(self) -> str:
        return f"FreeText({self.min_length}, {self.max_length})"

    def __eq__(self, other: Any) -> bool:
        return (
            isinstance(other, FreeText)
            and self.min_length == other.min_length
            and self.max_length == other.max_length
        )

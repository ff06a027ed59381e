"""Planning strategies: at each step a plan is required, forbidden, or the model's choice."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass


class PlanMode(enum.Enum):
    REQUIRED = "required"  # the answer starts with <plan> (an assistant prefix)
    FORBIDDEN = "forbidden"  # <plan> is kept out of the answer
    OPTIONAL = "optional"  # the model decides (dynamic planning)


@dataclass(frozen=True)
class Strategy:
    """`never`, `always` (ReAct), `every:K` (plan at steps t % K == 0) or `dynamic`."""

    kind: str
    interval: int = 0

    @classmethod
    def parse(cls, spec: str | Strategy) -> Strategy:
        if isinstance(spec, Strategy):
            return spec
        text = str(spec).strip().lower()
        if text in ("never", "always", "dynamic"):
            return cls(text)
        match = re.fullmatch(r"every:(\d+)", text)
        if match and int(match.group(1)) >= 1:
            return cls("every", int(match.group(1)))
        raise ValueError(
            f"unknown planning strategy {spec!r}; expected never, always, every:K (K >= 1) "
            f"or dynamic"
        )

    def mode(self, step: int) -> PlanMode:
        """The plan mode at episode step `step` (0 before the first action)."""
        if self.kind == "always":
            return PlanMode.REQUIRED
        if self.kind == "never":
            return PlanMode.FORBIDDEN
        if self.kind == "every":
            return PlanMode.REQUIRED if step % self.interval == 0 else PlanMode.FORBIDDEN
        return PlanMode.OPTIONAL

    def __str__(self) -> str:
        return f"every:{self.interval}" if self.kind == "every" else self.kind

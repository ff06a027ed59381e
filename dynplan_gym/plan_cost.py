"""What handing in a plan costs: `cost = per_plan + per_token * tokens(plan)`.

Tokens are counted by a fixed, model-independent rule by default, so that costs compare across
models: every run of word characters is one token and every other non-space character is one
token ("Mine 3 stone, then craft." is 6 tokens). Pass `tokenizer=` a callable `str -> int`, or
the path of a local Hugging Face tokenizer directory (needs `transformers`), to count with a
real tokenizer instead.

The defaults charge 0.01 per plan and 0.0005 per token: a 40-token plan costs 0.03, three
hundredths of the reward for unlocking an achievement (+1). Replanning at every one of
10,000 steps then costs about 300, so how often to plan is a real trade-off.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

DEFAULT_PER_PLAN = 0.01
DEFAULT_PER_TOKEN = 0.0005
_TOKEN = re.compile(r"\w+|[^\w\s]")

TokenCounter = Callable[[str], int]


def count_plan_tokens(plan: str) -> int:
    """The default, model-independent token count of a plan."""
    return len(_TOKEN.findall(plan))


def hf_token_counter(path: str) -> TokenCounter:
    """Count tokens with the Hugging Face tokenizer stored in a local directory."""
    try:
        from transformers import AutoTokenizer
    except ImportError as err:  # pragma: no cover - depends on the install
        raise ImportError(
            "counting plan tokens with a named tokenizer needs `transformers` "
            "(pip install 'dynplan-gym[llm]'); or pass a callable str -> int"
        ) from err
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    return lambda plan: len(tokenizer(plan, add_special_tokens=False)["input_ids"])


@dataclass(frozen=True)
class PlanCost:
    """Per-plan and per-token charges, and how tokens are counted."""

    per_plan: float = DEFAULT_PER_PLAN
    per_token: float = DEFAULT_PER_TOKEN
    count_tokens: TokenCounter = field(default=count_plan_tokens, compare=False)

    def __post_init__(self) -> None:
        for name in ("per_plan", "per_token"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not value >= 0:
                raise ValueError(f"plan cost {name} must be a number >= 0, got {value!r}")

    @classmethod
    def from_settings(
        cls,
        per_plan: float = DEFAULT_PER_PLAN,
        per_token: float = DEFAULT_PER_TOKEN,
        tokenizer: str | TokenCounter | None = None,
    ) -> PlanCost:
        """Build from env kwargs: `tokenizer` is None (default rule), a callable or a path."""
        if tokenizer is None:
            counter = count_plan_tokens
        elif callable(tokenizer):
            counter = tokenizer
        elif isinstance(tokenizer, str):
            counter = hf_token_counter(tokenizer)
        else:
            raise TypeError(
                f"tokenizer must be None, a callable str -> int or a local tokenizer path; "
                f"got {type(tokenizer).__name__}"
            )
        return cls(float(per_plan), float(per_token), counter)

    def charge(self, plan: str) -> tuple[float, int]:
        """(cost, tokens) of handing in `plan`; an empty plan keeps the old one and is free."""
        if not plan:
            return 0.0, 0
        tokens = int(self.count_tokens(plan))
        return self.per_plan + self.per_token * tokens, tokens

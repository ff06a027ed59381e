"""Agent specs, parsed in one place: the words `--agent`, `--planner`, `--actor`,
`dynplan demo --agents` and the experiments take.

    random | random-walk | expert       baselines (random-walk: POGS) and the scripted expert
    gate:never | gate:every:K           the expert's halves behind a replanning schedule,
    gate:DIR | gate:NAME                 or behind a `dynplan train gate` policy
    sb3:DIR | sb3:NAME                  a `dynplan train sb3` policy
    llm:STRATEGY[@MODEL]                an LLM agent (MODEL: a shipped name, a directory, or the
                                        backend's --model, by default the embedded model)
    NAME                                a shipped LLM (`agents.models.CHECKPOINTS`) under a
                                        default strategy (`dynamic`; an actor's is `never`)
    py:MODULE:CALLABLE                  your own agent (`agents.user_agent.load_python_agent`)
"""

from __future__ import annotations

from dataclasses import dataclass, field

SIMPLE = ("random", "random-walk", "expert")
EXPECTED = (
    "random, random-walk, expert, gate:never|every:K|<gate>, sb3:<policy>, "
    "llm:<strategy>[@<model>], a shipped LLM name or py:<module>:<callable>"
)


@dataclass(frozen=True)
class Spec:
    """A parsed agent spec."""

    kind: str  # random, random-walk, expert, gate, sb3, llm or py
    target: str | None = None  # gate: schedule or policy; sb3: policy; llm: strategy; py: where
    model: str | None = None  # llm: the model the spec names, if any
    text: str = field(default="", compare=False)  # the words parsed

    @property
    def scheduled_gate(self) -> bool:
        """A gate behind a fixed schedule (`never`, `every:K`), not a trained policy."""
        return self.kind == "gate" and (self.target == "never" or self.target.startswith("every:"))


def parse_spec(text: str, default_strategy: str = "dynamic") -> Spec:
    """The `Spec` of `text`; ValueError naming what was expected for anything else (an LLM's
    strategy is checked here, before any model loads)."""
    from agents.models import CHECKPOINTS
    from agents.strategy import Strategy

    if text in SIMPLE:
        return Spec(text, text=text)
    kind, colon, rest = text.partition(":")
    if colon and kind in ("gate", "sb3", "py"):
        if not rest:
            raise ValueError(f"{kind}: needs what follows it; expected {EXPECTED}")
        return Spec(kind, rest, text=text)
    if colon and kind == "llm":
        strategy, at, model = rest.partition("@")
        Strategy.parse(strategy)
        if at and not model:
            raise ValueError(f"llm:{strategy}@ needs a model after the @; expected {EXPECTED}")
        return Spec("llm", strategy, model or None, text=text)
    if text in CHECKPOINTS:
        from agents.models import trained_never_to_plan

        strategy = "never" if trained_never_to_plan(text) else default_strategy
        Strategy.parse(strategy)
        return Spec("llm", strategy, text, text=text)
    raise ValueError(f"unknown agent {text!r}; expected {EXPECTED}")

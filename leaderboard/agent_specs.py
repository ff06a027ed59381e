"""What a result file records about an agent, derived in one place from its parsed spec.

`dynplan eval`, the experiments and the demo each play agents named by the words of
`agents.specs`; `describe` turns those words (parsed once, `agents.specs.parse_spec`) and the
options the agent plays with into the result's `AgentSpec`: its kind, strategy, model, decoding
and its default board name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agents.specs import Spec, parse_spec
from leaderboard.schema import AgentSpec


def describe(
    spec: str | Spec,
    *,
    name: str | None = None,
    backend: str | None = None,
    model: str | None = None,
    adapter: str | None = None,
    temperature: float = 0.0,
    prompt: dict[str, Any] | None = None,
    gate: dict[str, Any] | None = None,
    weights_sha256: str | None = None,
) -> AgentSpec:
    """The `AgentSpec` of one agent: `spec` (words or already parsed) played with an LLM's
    `backend`, `model` (when the spec names none) and `adapter`, sampled at `temperature`,
    with an LLM's `prompt` config or a gate's latency and noise (`gate`); `name` replaces the
    default board name."""
    parsed = parse_spec(spec) if isinstance(spec, str) else spec
    fields: dict[str, Any] = {"name": parsed.text or parsed.kind}
    if parsed.kind == "gate":
        which = parsed.target
        scheduled = parsed.scheduled_gate
        fields = {
            "name": f"gate:{which if scheduled else Path(which).name}",
            "kind": "gate",
            "strategy": which if scheduled else "learned",
            "model": None if scheduled else which,
            "decoding": {**(gate or {}), **({} if scheduled else {"sampled": temperature != 0})},
        }
    elif parsed.kind == "sb3":
        fields = {
            "name": f"sb3:{Path(parsed.target).name}",
            "kind": "sb3",
            "model": parsed.target,
            "decoding": {"sampled": temperature != 0},
        }
    elif parsed.kind == "llm":
        from agents.models import DEFAULT_MODEL

        played = parsed.model or model or DEFAULT_MODEL
        fields = {
            "name": f"{Path(played).name}/{parsed.target}",
            "kind": "llm",
            "strategy": parsed.target,
            "backend": backend,
            "model": played,
            "adapter": adapter,
            "decoding": {"temperature": temperature, "prompt": prompt},
        }
    else:
        fields["kind"] = parsed.kind
    if name:
        fields["name"] = name
    return AgentSpec(**fields, weights_sha256=weights_sha256)


def describe_pair(
    planner: str,
    actor: str,
    *,
    backend: str | None = None,
    model: str | None = None,
    adapter: str | None = None,
    temperature: float = 0.0,
    prompt: dict[str, Any] | None = None,
    weights_sha256: str | None = None,
) -> AgentSpec:
    """The `AgentSpec` of a planner/actor pair (`agents.pair`); a plan file as planner is
    recorded as the pair's plans."""
    from agents.pair import pair_name

    plans_file = planner if planner.startswith("plans:") or Path(planner).is_file() else None
    return AgentSpec(
        name=pair_name(planner, actor),
        kind="pair",
        backend=backend,
        model=model,
        adapter=adapter,
        decoding={"planner": planner, "actor": actor, "temperature": temperature, "prompt": prompt},
        plans_file=plans_file,
        weights_sha256=weights_sha256,
    )

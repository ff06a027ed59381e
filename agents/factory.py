"""Agents from specs (`agents.specs`), optionally steered by plans."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from agents.protocol import Agent
from agents.specs import Spec, parse_spec

if TYPE_CHECKING:
    from agents.prompts import PromptConfig


def model_prompt_config(
    kind: str,
    model: str | None,
    history_length: int | None = None,
    adapter: str | None = None,
    env: str | None = None,
) -> PromptConfig:
    """The prompt a model is played with: the one its SFT card records (an SFT adapter's
    card first, then the model's), else the default; `history_length` overrides the history
    shown in full. A model whose card records another game than `env` is refused."""
    import dataclasses

    from agents.prompts import PromptConfig

    config = PromptConfig()
    if kind == "transformers":
        from agents.models import DEFAULT_MODEL, card_prompt, resolve_checkpoint

        path, shipped_adapter = resolve_checkpoint(model or DEFAULT_MODEL)
        recorded = card_prompt(adapter or shipped_adapter, fallback=path)
        if recorded:
            config = PromptConfig.from_dict(recorded)
            if env is not None and config.env != env:
                raise ValueError(
                    f"{model or DEFAULT_MODEL} was trained to play {config.env}; "
                    f"pick a {config.env} protocol (it cannot play {env})"
                )
    if history_length is not None:
        config = dataclasses.replace(config, history_length=history_length)
    return config


def make_agent(
    spec: str | Spec,
    *,
    backend_options: dict[str, Any] | None = None,
    temperature: float = 0.0,
    history_length: int | None = None,
    plans: str | Path | None = None,
    seed: int = 0,
    env: str = "crafter",
    env_kwargs: dict[str, Any] | None = None,
    default_strategy: str = "dynamic",
) -> Agent:
    """The agent `spec` names (`agents.specs`: `random`, `expert`, `gate:...`, `sb3:...`
    sampled unless `temperature` is 0, `llm:STRATEGY[@MODEL]` with the backend from
    `backend_options`, a shipped LLM's name under `default_strategy`; or a `Spec` already
    parsed), for the game `env` (`dynplan_gym.env_family`) made with `env_kwargs`. On POGS:
    `random` (any node), `random-walk` (a random neighbour), `expert` (the memory-based
    search) and LLMs."""
    parsed = spec if isinstance(spec, Spec) else parse_spec(spec, default_strategy)
    spec = parsed.text
    if parsed.kind == "py":
        from agents.user_agent import load_python_agent

        if plans:
            raise ValueError("plan files steer the project's Crafter agents, not py: agents")
        return load_python_agent(parsed.target)
    if env == "pogs":
        if plans:
            raise ValueError("plan files steer Crafter agents; POGS takes none")
        return _pogs_agent(
            parsed, spec, backend_options, temperature, history_length, seed, env_kwargs or {}
        )
    if parsed.kind == "random":
        from agents.random_agent import RandomAgent

        agent: Agent = RandomAgent(seed=seed)
    elif parsed.kind == "expert":
        from agents.expert import ExpertAgent

        agent = ExpertAgent()
    elif parsed.kind == "gate":
        from agents.gate import GateAgent

        if parsed.scheduled_gate:
            agent = GateAgent(schedule=parsed.target)
        else:
            agent = GateAgent(policy_dir=parsed.target, seed=seed, deterministic=temperature == 0)
    elif parsed.kind == "sb3":
        from agents.sb3_agent import SB3Agent

        agent = SB3Agent(parsed.target, seed=seed, deterministic=temperature == 0)
    elif parsed.kind == "llm":
        agent = _llm_agent(parsed, backend_options, temperature, history_length, seed, "crafter")
    else:
        raise ValueError(f"{spec} plays POGS, not Crafter")
    if plans:
        from agents.human_plan import HumanPlanAgent, PlanFileSource, TerminalSource

        source = TerminalSource() if str(plans) == "-" else PlanFileSource(plans)
        agent = HumanPlanAgent(agent, source)
    return agent


def _llm_agent(
    parsed: Spec,
    backend_options: dict[str, Any] | None,
    temperature: float,
    history_length: int | None,
    seed: int,
    env: str,
) -> Agent:
    """An LLM agent on the game `env`, prompted as its model was trained (the spec's model
    before the backend's)."""
    import dataclasses

    from agents.backends import make_backend
    from agents.llm_agent import LLMAgent
    from agents.strategy import Strategy

    options = dict(backend_options or {"kind": "transformers"})
    if parsed.model:
        options["model"] = parsed.model
    kind = options.pop("kind")
    prompt = model_prompt_config(
        kind, options.get("model"), history_length, options.get("adapter"), env
    )
    prompt = dataclasses.replace(prompt, env=env)
    backend = make_backend(kind, seed=seed, **options)
    return LLMAgent(backend, Strategy.parse(parsed.target), prompt, temperature)


def _pogs_agent(
    parsed: Spec,
    spec: str,
    backend_options: dict[str, Any] | None,
    temperature: float,
    history_length: int | None,
    seed: int,
    env_kwargs: dict[str, Any],
) -> Agent:
    """The agents that play POGS."""
    if parsed.kind == "random":
        from agents.random_agent import RandomAgent

        return RandomAgent(num_actions=env_kwargs.get("num_nodes", 20), seed=seed)
    if parsed.kind == "random-walk":
        from agents.random_agent import RandomWalkAgent

        return RandomWalkAgent(seed=seed)
    if parsed.kind == "expert":
        from agents.pogs_expert import POGSExpertAgent

        return POGSExpertAgent(k_nearest=env_kwargs.get("k_nearest", 3))
    if parsed.kind == "llm":
        return _llm_agent(parsed, backend_options, temperature, history_length, seed, "pogs")
    raise ValueError(
        f"agent {spec!r} does not play POGS; expected random, random-walk, expert or "
        "llm:<strategy>[@<model>]"
    )

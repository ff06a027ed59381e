"""Agents from command-line specs: `random`, `llm:<strategy>`, optionally steered by plans."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from agents.protocol import Agent

if TYPE_CHECKING:
    from agents.prompts import PromptConfig


def model_prompt_config(
    kind: str,
    model: str | None,
    history_length: int | None = None,
    adapter: str | None = None,
) -> PromptConfig:
    """The prompt a model is played with: the one its SFT card records (an SFT adapter's
    card first, then the model's), else the default; `history_length` overrides the history
    shown in full."""
    import dataclasses

    from agents.prompts import PromptConfig

    config = PromptConfig()
    if kind == "transformers":
        from agents.models import DEFAULT_MODEL, checkpoint_prompt_config, resolve_checkpoint

        path, shipped_adapter = resolve_checkpoint(model or DEFAULT_MODEL)
        config = checkpoint_prompt_config(adapter or shipped_adapter, fallback=path)
    if history_length is not None:
        config = dataclasses.replace(config, history_length=history_length)
    return config


def make_agent(
    spec: str,
    *,
    backend_options: dict[str, Any] | None = None,
    temperature: float = 0.0,
    history_length: int | None = None,
    plans: str | Path | None = None,
    seed: int = 0,
    env: str = "crafter",
    env_kwargs: dict[str, Any] | None = None,
) -> Agent:
    """`random`, `expert`, `sb3:DIR|NAME` (a `dynplan train sb3` policy; sampled unless
    `temperature` is 0), `gate:never|every:K|DIR|NAME` (the expert's halves behind a schedule
    or a `dynplan train gate` policy) or `llm:never|always|every:K|dynamic` (backend from
    `backend_options`), for the game `env` (`dynplan_gym.env_family`) made with `env_kwargs`.
    On POGS: `random` (any node), `random-walk` (a random neighbour), `expert` (the
    memory-based search) and `llm:...`."""
    if env == "pogs":
        return _pogs_agent(
            spec, backend_options, temperature, history_length, plans, seed, env_kwargs or {}
        )
    if spec == "random":
        from agents.random_agent import RandomAgent

        agent: Agent = RandomAgent(seed=seed)
    elif spec == "expert":
        from agents.expert import ExpertAgent

        agent = ExpertAgent()
    elif spec.startswith("gate:"):
        from agents.gate import GateAgent

        gate = spec[len("gate:") :]
        if gate == "never" or gate.startswith("every:"):
            agent = GateAgent(schedule=gate)
        else:
            agent = GateAgent(policy_dir=gate, seed=seed, deterministic=temperature == 0)
    elif spec.startswith("sb3:"):
        from agents.sb3_agent import SB3Agent

        agent = SB3Agent(spec[len("sb3:") :], seed=seed, deterministic=temperature == 0)
    elif spec.startswith("llm:"):
        agent = _llm_agent(spec, backend_options, temperature, history_length, seed, "crafter")
    else:
        raise ValueError(
            f"unknown agent {spec!r}; expected random, expert, sb3:<policy>, gate:<gate> or "
            "llm:<strategy>"
        )
    if plans:
        from agents.human_plan import HumanPlanAgent, PlanFileSource, TerminalSource

        source = TerminalSource() if str(plans) == "-" else PlanFileSource(plans)
        agent = HumanPlanAgent(agent, source)
    return agent


def _llm_agent(
    spec: str,
    backend_options: dict[str, Any] | None,
    temperature: float,
    history_length: int | None,
    seed: int,
    env: str,
) -> Agent:
    """`llm:STRATEGY` on the game `env`, prompted as its model was trained."""
    import dataclasses

    from agents.backends import make_backend
    from agents.llm_agent import LLMAgent
    from agents.strategy import Strategy

    strategy = Strategy.parse(spec[len("llm:") :])  # fail before loading a model
    options = dict(backend_options or {"kind": "transformers"})
    kind = options.pop("kind")
    prompt = model_prompt_config(kind, options.get("model"), history_length, options.get("adapter"))
    prompt = dataclasses.replace(prompt, env=env)
    backend = make_backend(kind, seed=seed, **options)
    return LLMAgent(backend, strategy, prompt, temperature)


def _pogs_agent(
    spec: str,
    backend_options: dict[str, Any] | None,
    temperature: float,
    history_length: int | None,
    plans: str | Path | None,
    seed: int,
    env_kwargs: dict[str, Any],
) -> Agent:
    """The agents that play POGS."""
    if plans:
        raise ValueError("plan files steer Crafter agents; POGS takes none")
    if spec == "random":
        from agents.random_agent import RandomAgent

        return RandomAgent(num_actions=env_kwargs.get("num_nodes", 20), seed=seed)
    if spec == "random-walk":
        from agents.random_agent import RandomWalkAgent

        return RandomWalkAgent(seed=seed)
    if spec == "expert":
        from agents.pogs_expert import POGSExpertAgent

        return POGSExpertAgent(k_nearest=env_kwargs.get("k_nearest", 3))
    if spec.startswith("llm:"):
        return _llm_agent(spec, backend_options, temperature, history_length, seed, "pogs")
    raise ValueError(
        f"agent {spec!r} does not play POGS; expected random, expert or llm:<strategy>"
    )

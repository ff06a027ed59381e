"""`LLMAgent`: a language model that plans never, always, every K steps, or when it decides.

Strategies are enforced in decoding, not hoped for from the prompt:
  * a required plan: the answer is started with `<plan>` (an assistant prefix) and generated up
    to `</plan>`;
  * a forbidden plan: `<plan>` is banned from the answer (backends that cannot ban a string stop
    before it), and a block that slips through anyway is dropped and counted;
  * the model's choice (dynamic): the answer is generated freely up to `</plan>`.
Whenever a plan block was closed, the action is generated in a second, batched call that
continues after `</plan>` with `<plan>` banned. All episodes of a step share these calls.

Episodes are slots: `reset(n)` starts n of them. `act` may get any subset of them: each info's
`slot` says which (default: its position). An info with `step == 0` starts a new episode in its
slot, so a runner can replace a finished episode by the next seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from agents.backends.base import Backend, Completion, Prompt
from agents.parser import PLAN_CLOSE, PLAN_OPEN, parse_output
from agents.prompts import EpisodeMemory, PromptBuilder, PromptConfig
from agents.protocol import Decision, episode_slots
from agents.strategy import PlanMode, Strategy


@dataclass
class AgentCounters:
    """What the agent noticed across all episodes since it was made."""

    decisions: int = 0
    invalid_outputs: int = 0
    plans: int = 0
    dropped_plans: int = 0  # plan blocks written where the strategy forbids them
    missing_plans: int = 0  # required plans the model left empty or unfinished


class LLMAgent:
    """Batched LLM agent over any `Backend`."""

    def __init__(
        self,
        backend: Backend,
        strategy: str | Strategy = "dynamic",
        prompt_config: PromptConfig | None = None,
        temperature: float = 0.0,
    ) -> None:
        self.backend = backend
        self.strategy = Strategy.parse(strategy)
        self.prompts = PromptBuilder(prompt_config)
        self.config = self.prompts.config
        self.temperature = temperature
        self.counters = AgentCounters()
        self._memories: list[EpisodeMemory] = []

    @property
    def name(self) -> str:
        return f"llm:{self.strategy}"

    def reset(self, n: int) -> None:
        if n < 1:
            raise ValueError(f"LLMAgent.reset needs n >= 1 episodes, got {n}")
        self._memories = [EpisodeMemory() for _ in range(n)]

    def act(self, observations: list[dict], infos: list[dict]) -> list[Decision]:
        slots = episode_slots(infos, len(observations), len(self._memories))
        steps = [int(info.get("step", 0)) for info in infos]
        for slot, step in zip(slots, steps, strict=True):
            if step == 0:
                self._memories[slot] = EpisodeMemory()
        modes = [self.strategy.mode(step) for step in steps]
        prompts = [
            self.prompts.build(obs, step, self._memories[slot], mode)
            for obs, step, slot, mode in zip(observations, steps, slots, modes, strict=True)
        ]
        answers = self._answer(prompts, modes)
        decisions = []
        for i, ((raw, prompt_tokens, completion_tokens), mode) in enumerate(
            zip(answers, modes, strict=True)
        ):
            decision, problem = self._decide(raw, mode, prompt_tokens, completion_tokens)
            memory = self._memories[slots[i]]
            memory.feedback = problem
            memory.record(
                steps[i],
                observations[i]["text"],
                decision.action,
                self.config.history_length,
            )
            decisions.append(decision)
        return decisions

    # -- decoding ----------------------------------------------------------------------------
    def _answer(self, prompts: list[Prompt], modes: list[PlanMode]) -> list[tuple[str, int, int]]:
        """(raw answer, prompt tokens, completion tokens) per prompt, in batched calls."""
        cfg = self.config
        answers: list[tuple[str, int, int]] = [("", 0, 0)] * len(prompts)
        planned: list[tuple[int, str]] = []  # (index, answer so far ending in </plan>)
        for mode in PlanMode:
            group = [i for i, m in enumerate(modes) if m is mode]
            if not group:
                continue
            if mode is PlanMode.FORBIDDEN:
                outs = self._generate(
                    [prompts[i] for i in group], cfg.max_action_tokens, banned=(PLAN_OPEN,)
                )
                prefix = ""
            else:
                prefix = PLAN_OPEN if mode is PlanMode.REQUIRED else ""
                batch = [_with_prefix(prompts[i], prefix) for i in group]
                budget = cfg.max_plan_tokens + (cfg.max_action_tokens if not prefix else 0)
                outs = self._generate(batch, budget, stop=(PLAN_CLOSE,))
            for i, out in zip(group, outs, strict=True):
                text = prefix + out.text
                answers[i] = (text, out.prompt_tokens, out.completion_tokens)
                closed = out.finish_reason == "stop" and text.lstrip().startswith(PLAN_OPEN)
                if mode is not PlanMode.FORBIDDEN and closed:
                    planned.append((i, text + PLAN_CLOSE + "\n"))
        if planned:
            outs = self._generate(
                [_with_prefix(prompts[i], text) for i, text in planned],
                cfg.max_action_tokens,
                banned=(PLAN_OPEN,),
            )
            for (i, text), out in zip(planned, outs, strict=True):
                _, prompt_tokens, completion_tokens = answers[i]
                answers[i] = (
                    text + out.text,
                    prompt_tokens,
                    completion_tokens + out.completion_tokens,
                )
        return answers

    def _generate(
        self,
        prompts: list[Prompt],
        max_new_tokens: int,
        stop: Sequence[str] = (),
        banned: Sequence[str] = (),
    ) -> list[Completion]:
        return self.backend.generate(
            prompts, max_new_tokens, temperature=self.temperature, stop=stop, banned=banned
        )

    def _decide(
        self, raw: str, mode: PlanMode, prompt_tokens: int, completion_tokens: int
    ) -> tuple[Decision, str]:
        """The decision for one answer, and the problem to report next time ("" if none)."""
        parsed = parse_output(raw)
        problem = parsed.problem
        plan = parsed.plan or ""
        if mode is PlanMode.FORBIDDEN and parsed.plan is not None:
            self.counters.dropped_plans += 1
            plan = ""
        elif mode is PlanMode.REQUIRED and not plan:
            self.counters.missing_plans += 1
            problem = problem or "the plan was empty"
        valid = not problem
        self.counters.decisions += 1
        self.counters.plans += bool(plan)
        self.counters.invalid_outputs += not valid
        decision = Decision(parsed.action, plan, raw, prompt_tokens, completion_tokens, valid)
        return decision, problem


def _with_prefix(prompt: Prompt, prefix: str) -> Prompt:
    """The prompt with the assistant's answer started by `prefix` (unchanged if empty)."""
    return [*prompt, {"role": "assistant", "content": prefix}] if prefix else prompt

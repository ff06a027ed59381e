"""`LLMAgent`: a language model that plans never, always, every K steps, or when it decides.

Strategies are enforced in decoding, not hoped for from the prompt. An answer is built in up
to three batched calls shared by all episodes of a step, mirroring the paper's three policies:
  1. decide (dynamic only): a few tokens are generated; an answer that opens `<plan>` plans;
  2. plan: answers that must (`always`, `every:K` at its steps) or chose to plan are started
     with `<plan>` (an assistant prefix) and generated up to `</plan>`;
  3. act: every open answer continues with the action, `<plan>` banned (backends that cannot
     ban a string stop before it; a block that slips through is dropped and counted).
So a step without a plan costs a few tokens, not a plan's budget.

Episodes are slots: `reset(n)` starts n of them. `act` may get any subset of them: each info's
`slot` says which (default: its position). An info with `step == 0` starts a new episode in its
slot, so a runner can replace a finished episode by the next seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from agents.backends.base import Backend, Completion, Prompt
from agents.parser import PLAN_CLOSE, PLAN_OPEN, parse_output
from agents.prompts import EpisodeMemory, PromptBuilder, PromptConfig
from agents.protocol import Decision, episode_slots
from agents.strategy import PlanMode, Strategy

PROBE_TOKENS = 4  # enough to spell "<plan>" in common tokenizers


class Segment(NamedTuple):
    """One decoding call of an answer, what RL scores: the answer so far the model was given
    after the prompt (`_with_prefix`), the ids it drew, the strings it was forbidden to write,
    and the drawn ids' log-probability (tempered, bans applied; None where unknown)."""

    prefix: str
    token_ids: tuple[int, ...]
    banned: tuple[str, ...] = ()
    logprob: float | None = None


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
        self.last_prompts: list[Prompt] = []  # what the last `act` answered

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
        modes = [self.strategy.mode(step) for step in steps]
        prompts = self.build_prompts(observations, infos)
        self.last_prompts = prompts
        answers = self._answer(prompts, modes)
        decisions = []
        for i, ((raw, prompt_tokens, completion_tokens, segments), mode) in enumerate(
            zip(answers, modes, strict=True)
        ):
            decision, problem = self._decide(
                raw, mode, prompt_tokens, completion_tokens, observations[i]
            )
            decision.meta["segments"] = segments
            memory = self._memories[slots[i]]
            memory.feedback = problem
            memory.record(
                steps[i],
                observations[i]["text"],
                decision.action,
                self.config.memory_length,
            )
            decisions.append(decision)
        return decisions

    def episode_memory(self, slot: int) -> EpisodeMemory:
        """What the prompt of episode slot `slot` remembers (its map, history, facing)."""
        return self._memories[slot]

    def follow(self, actions: list[int], infos: list[dict]) -> None:
        """The actions the players took after the last `act` on these infos, where another
        party chose them (DAgger's expert mix): each episode's history records them instead."""
        slots = episode_slots(infos, len(actions), len(self._memories))
        for slot, action in zip(slots, actions, strict=True):
            step, observation, _ = self._memories[slot].history.pop()
            self._memories[slot].history.append((step, observation, int(action)))

    def build_prompts(self, observations: list[dict], infos: list[dict]) -> list[Prompt]:
        """The prompts `act` would answer now (episodes whose step is 0 start afresh); the
        terrain in view goes into each episode's map memory."""
        slots = episode_slots(infos, len(observations), len(self._memories))
        prompts = []
        for obs, info, slot in zip(observations, infos, slots, strict=True):
            step = int(info.get("step", 0))
            if step == 0:
                self._memories[slot] = EpisodeMemory()
            memory = self._memories[slot]
            memory.observe(obs, info)
            prompts.append(self.prompts.build(obs, step, memory, self.strategy.mode(step)))
        return prompts

    # -- decoding ----------------------------------------------------------------------------
    def _answer(self, prompts: list[Prompt], modes: list[PlanMode]) -> list[tuple]:
        """(raw answer, prompt tokens, completion tokens, segments) per prompt, in up to three
        batched calls: a short probe where the model decides whether to plan (dynamic), the
        plans, then the actions. A `Segment` is one call: what the model was given after the
        prompt and what it drew, which is what RL scores; text the agent writes itself
        (`<plan>`, `</plan>`) is in no draw."""
        cfg = self.config
        texts = [""] * len(prompts)
        prompt_tokens = [0] * len(prompts)
        completion_tokens = [0] * len(prompts)
        segments: list[list[Segment]] = [[] for _ in prompts]
        finished = [False] * len(prompts)

        def run(rows: list[int], max_tokens: int, stop=(), banned=()) -> list[Completion]:
            outs = self._generate(
                [_with_prefix(prompts[i], texts[i]) for i in rows], max_tokens, stop, banned
            )
            for i, out in zip(rows, outs, strict=True):
                prompt_tokens[i] = prompt_tokens[i] or out.prompt_tokens
                completion_tokens[i] += out.completion_tokens
                segments[i].append(Segment(texts[i], out.token_ids, tuple(banned), out.logprob))
            return outs

        # Decision (dynamic): the first tokens say whether the answer opens a plan.
        optional = [i for i, m in enumerate(modes) if m is PlanMode.OPTIONAL]
        planning = [i for i, m in enumerate(modes) if m is PlanMode.REQUIRED]
        for i in planning:
            texts[i] = PLAN_OPEN
        if optional:
            for i, out in zip(optional, run(optional, PROBE_TOKENS), strict=True):
                head = out.text.lstrip()
                if head.startswith(PLAN_OPEN) or (head and PLAN_OPEN.startswith(head)):
                    texts[i] = out.text if head.startswith(PLAN_OPEN) else PLAN_OPEN
                    planning.append(i)
                else:
                    texts[i] = out.text
                    finished[i] = out.finish_reason == "stop"  # a complete short answer
        # Plans: written up to </plan>; an unfinished plan ends the answer.
        writing = [i for i in planning if PLAN_CLOSE not in texts[i]]
        if writing:
            outs = run(writing, cfg.max_plan_tokens, stop=(PLAN_CLOSE,))
            for i, out in zip(writing, outs, strict=True):
                texts[i] += out.text + (PLAN_CLOSE if out.finish_reason == "stop" else "")
                finished[i] = out.finish_reason != "stop"
        for i in planning:
            if not finished[i]:
                texts[i] = texts[i][: texts[i].index(PLAN_CLOSE)] + PLAN_CLOSE + "\n"
        # Actions: every answer still open, in one call, with no new plan allowed.
        acting = [i for i in range(len(prompts)) if not finished[i]]
        if acting:
            for i, out in zip(
                acting, run(acting, cfg.max_action_tokens, banned=(PLAN_OPEN,)), strict=True
            ):
                texts[i] += out.text
        return list(zip(texts, prompt_tokens, completion_tokens, segments, strict=True))

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
        self, raw: str, mode: PlanMode, prompt_tokens: int, completion_tokens: int, observation
    ) -> tuple[Decision, str]:
        """The decision for one answer, and the problem to report next time ("" if none)."""
        parsed = parse_output(raw, self.config.env)
        problem, action = parsed.problem, parsed.action
        if self.config.env == "pogs":  # a number that is no node: stay (an invalid move)
            nodes = len(observation["visible"])
            if action is not None and not 0 <= action < nodes:
                problem = problem or f"there is no node {action} (nodes are 0 to {nodes - 1})"
                action = None
            if action is None:
                action = int(observation["current"])
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
        decision = Decision(action, plan, raw, prompt_tokens, completion_tokens, valid)
        return decision, problem


def _with_prefix(prompt: Prompt, prefix: str) -> Prompt:
    """The prompt with the assistant's answer started by `prefix` (unchanged if empty)."""
    return [*prompt, {"role": "assistant", "content": prefix}] if prefix else prompt

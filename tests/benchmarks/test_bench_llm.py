"""The LLM hot paths on the embedded SmolLM2-135M (fp32, this machine's threads).

* batched generation of 8 agent prompts in one call vs the same 8 prompts one call at a time
  (both reuse the shared-prefix KV cache);
* prefill and decode speed in tokens/s;
* building a prompt and parsing an answer, against one env step.
"""

from __future__ import annotations

import time

import pytest

from agents.backends.transformers_backend import TransformersBackend
from agents.parser import parse_output
from agents.prompts import EpisodeMemory, PromptBuilder
from agents.strategy import PlanMode
from dynplan_gym.crafter_env import DynPlanCrafterEnv

NEW_TOKENS = 16


@pytest.fixture(scope="module")
def backend(smollm2_dir):
    return TransformersBackend(smollm2_dir)


@pytest.fixture(scope="module")
def prompts():
    builder = PromptBuilder()
    out = []
    for seed in range(8):
        obs, _ = DynPlanCrafterEnv().reset(seed=seed)
        out.append(builder.build(obs, 0, EpisodeMemory(), PlanMode.FORBIDDEN))
    return out


def test_generate_sequential_8(benchmark, compare, backend, prompts):
    benchmark.group = "generate 8 prompts x 16 tokens"
    backend.generate(prompts[:1], 2)  # build the shared-prefix cache outside the timing
    played = prompts[:2] if benchmark.disabled else prompts  # `make test`: a smoke run
    benchmark.pedantic(
        lambda: [backend.generate([p], NEW_TOKENS, banned=("<plan>",)) for p in played],
        rounds=3,
        iterations=1,
    )
    compare(benchmark, "generate 8 prompts", reference=True)


def test_generate_batched_8(benchmark, compare, backend, prompts):
    benchmark.group = "generate 8 prompts x 16 tokens"
    backend.generate(prompts[:1], 2)
    benchmark.pedantic(
        lambda: backend.generate(prompts, NEW_TOKENS, banned=("<plan>",)), rounds=3, iterations=1
    )
    compare(benchmark, "generate 8 prompts")


def test_prefill_and_decode_speed(benchmark, backend, prompts, measure, smollm2_dir):
    """Tokens/s with no cache reuse: prefill of a whole prompt, then decoding one at a time."""
    benchmark.group = "tokens per second"
    fresh = TransformersBackend(smollm2_dir, prefix_cache=False)
    prompt = prompts[0]
    prompt_tokens = len(fresh.encode(prompt))

    def run():
        start = time.perf_counter()
        fresh.generate([prompt], 1)
        prefill = time.perf_counter() - start
        start = time.perf_counter()
        out = fresh.generate([prompt], 33, banned=("<|im_end|>",))
        decode = time.perf_counter() - start - prefill
        return prefill, decode / (out[0].completion_tokens - 1)

    prefill, per_token = benchmark.pedantic(run, rounds=2, iterations=1)
    measure(
        "prefill (no cache)",
        f"{prompt_tokens / prefill:.0f} tokens/s "
        f"({prompt_tokens} prompt tokens in {prefill:.2f} s)",
    )
    measure("decode (batch of 1)", f"{1 / per_token:.1f} tokens/s")


def test_env_step_reference(benchmark, compare):
    benchmark.group = "per step: prompt + parse vs env step"
    env = DynPlanCrafterEnv()
    env.reset(seed=0)

    def step():
        if any(env.step(3)[2:4]):
            env.reset(seed=0)

    benchmark(step)
    compare(benchmark, "prompt + parse per step", reference=True)


def test_prompt_and_parse(benchmark, compare):
    benchmark.group = "per step: prompt + parse vs env step"
    env = DynPlanCrafterEnv()
    obs, info = env.reset(seed=0)
    memory = EpisodeMemory()
    builder = PromptBuilder()
    for step, action in enumerate([4] * 25 + [1] * 25):  # a map memory with 50 views in it
        memory.observe(obs, info)
        memory.record(step, obs["text"], action, limit=builder.config.memory_length)
        obs, _, _, _, info = env.step(action)
    answer = "<plan>Collect wood from the tree to the north, then place a table.</plan>\nMove North"

    def build_and_parse():  # what the agent does per step: remember the view, prompt, parse
        memory.observe(obs, info)
        builder.build(obs, 50, memory, PlanMode.OPTIONAL)
        return parse_output(answer)

    benchmark(build_and_parse)
    compare(benchmark, "prompt + parse per step")

"""The batched runner on the embedded SmolLM2: 8 episodes in lockstep vs one at a time.

Both play the same 8 seeds x 6 steps (`crafter-bench`) with `llm:never`; the ratio of the
medians is the ratio of env steps per second.
"""

from __future__ import annotations

import itertools

import pytest

from agents.backends.transformers_backend import TransformersBackend
from agents.llm_agent import LLMAgent
from leaderboard.protocols import get_protocol
from leaderboard.runner import EvaluationRun
from leaderboard.schema import AgentSpec

SPEC = AgentSpec(name="smollm2-135m/never", kind="llm", strategy="never")


@pytest.fixture(scope="module")
def backend(smollm2_dir):
    return TransformersBackend(smollm2_dir)


def _rounds(benchmark, backend, tmp_path, num_envs):
    # `make test` (benchmarks disabled): one smoke run on 2 seeds x 2 steps, not a measurement
    protocol = get_protocol("crafter-smoke" if benchmark.disabled else "crafter-bench")
    counter = itertools.count()

    def play():
        agent = LLMAgent(backend, "never")
        out = tmp_path / f"run-{next(counter)}"
        EvaluationRun(agent, SPEC, protocol, out, num_envs=num_envs).run(progress=False)

    benchmark.pedantic(play, rounds=2, iterations=1)


def test_runner_sequential(benchmark, compare, backend, tmp_path):
    benchmark.group = "runner: 8 episodes x 6 steps, llm:never"
    _rounds(benchmark, backend, tmp_path, num_envs=1)
    compare(benchmark, "runner 8 envs", reference=True)


def test_runner_batched_8(benchmark, compare, backend, tmp_path):
    benchmark.group = "runner: 8 episodes x 6 steps, llm:never"
    _rounds(benchmark, backend, tmp_path, num_envs=8)
    compare(benchmark, "runner 8 envs")

"""The embedded SmolLM2-135M: converted from the PyPI package's GGUF, then played for 5 steps."""

from __future__ import annotations

import pytest

from agents.backends.transformers_backend import TransformersBackend
from agents.llm_agent import LLMAgent
from agents.models import EMBEDDED, gguf_path, prepare_embedded, resolve_model
from tests.scripted import play


def test_the_gguf_ships_with_the_package():
    path = gguf_path("smollm2-135m")
    assert path.name == EMBEDDED["smollm2-135m"].gguf_file and path.stat().st_size > 90e6


def test_unknown_models_are_refused():
    with pytest.raises(ValueError, match=r"embedded model .*smollm2-135m.* or a local"):
        resolve_model("gpt-17")


@pytest.mark.slow
def test_conversion_is_done_once(smollm2_dir):
    assert (smollm2_dir / "config.json").is_file()
    assert (smollm2_dir / "model.safetensors").stat().st_size > 400e6
    weights = smollm2_dir / "model.safetensors"
    written = weights.stat().st_mtime_ns
    assert prepare_embedded("smollm2-135m", home=smollm2_dir.parents[1]) == smollm2_dir
    assert weights.stat().st_mtime_ns == written  # found, not converted again


@pytest.mark.slow
def test_smollm2_plays_five_steps(smollm2_dir, capsys):
    backend = TransformersBackend(smollm2_dir)
    agent = LLMAgent(backend, "every:2")
    infos, decisions = play(agent, steps=5, episodes=2)
    assert [info["num_plans"] for info in infos] == [3, 3]
    assert all(d.completion_tokens > 0 for row in decisions for d in row)
    # A 135M model rarely keeps the format zero-shot: report, do not tune the parser to it.
    rate = agent.counters.invalid_outputs / agent.counters.decisions
    with capsys.disabled():
        print(
            f"\nSmolLM2-135M every:2, 5 steps x 2 episodes: invalid-output rate {rate:.0%}; "
            f"first answer {decisions[0][0].raw[:120]!r}"
        )

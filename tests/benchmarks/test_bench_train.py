"""The SFT/RL training step: the shared instruction prefix run once per batch (with gradients)
vs every sample run whole, on the same batch of real planning-data samples (scratch:tiny-sized
model, this machine's threads)."""

from __future__ import annotations

import pytest
import torch

from baselines.planning_data import DataConfig, generate
from baselines.sft import (
    IGNORE,
    SuffixCollator,
    answer_loss,
    encode_dataset,
    load_samples,
    prefix_hidden,
)

BATCH = 8


@pytest.fixture(scope="module")
def batch(tmp_path_factory, tiny_model_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out = tmp_path_factory.mktemp("bench-data")
    generate(DataConfig(trajectories=1, max_steps=BATCH), out, progress=False)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    data = encode_dataset(tokenizer, load_samples(out)[:BATCH], [], 4096)
    shared = SuffixCollator(0)(data.train)
    whole = SuffixCollator(0)(
        [
            {
                "input_ids": data.prefix + r["input_ids"],
                "labels": [IGNORE] * len(data.prefix) + r["labels"],
            }
            for r in data.train
        ]
    )
    return model, data.prefix, shared, whole


def _step(model, prefix, batch):
    hidden = prefix_hidden(model, prefix, batch["input_ids"], batch["attention_mask"])
    answer_loss(model, hidden, batch["labels"]).backward()
    model.zero_grad()


def test_train_step_whole_sequences(benchmark, compare, batch):
    benchmark.group = "SFT step, 8 samples"
    model, _, _, whole = batch
    benchmark.pedantic(lambda: _step(model, [], whole), rounds=5, iterations=1, warmup_rounds=1)
    compare(benchmark, "SFT step", reference=True)


def test_train_step_shared_prefix(benchmark, compare, batch):
    benchmark.group = "SFT step, 8 samples"
    model, prefix, shared, whole = batch
    with torch.no_grad():  # the same loss either way
        a = answer_loss(
            model,
            prefix_hidden(model, prefix, shared["input_ids"], shared["attention_mask"]),
            shared["labels"],
        )
        b = answer_loss(
            model,
            prefix_hidden(model, [], whole["input_ids"], whole["attention_mask"]),
            whole["labels"],
        )
    assert a.item() == pytest.approx(b.item(), rel=1e-4)
    benchmark.pedantic(
        lambda: _step(model, prefix, shared), rounds=5, iterations=1, warmup_rounds=1
    )
    compare(benchmark, "SFT step")


@pytest.fixture(scope="module")
def short_prefix_batch(tmp_path_factory, tiny_model_dir):
    """The recipes' prompts (no system message): the rows share only the chat template's
    opening, as `encode_dataset` keeps it (in every row) and as a cache would hold it."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from baselines.sft import encode_chat, shared_prompt_prefix

    out = tmp_path_factory.mktemp("bench-data-short")
    generate(DataConfig(trajectories=1, max_steps=BATCH, instruction=False), out, progress=False)
    samples = load_samples(out)[:BATCH]
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    data = encode_dataset(tokenizer, samples, [], 4096)
    shared = shared_prompt_prefix([encode_chat(tokenizer, s["messages"]) for s in samples])
    opening = data.train[0]["input_ids"][:shared]
    cut = [{k: v[shared:] for k, v in row.items()} for row in data.train]
    return model, opening, SuffixCollator(0)(cut), SuffixCollator(0)(data.train)


def test_train_step_opening_cached(benchmark, compare, short_prefix_batch):
    benchmark.group = "SFT step, 8 samples, no system message"
    model, opening, cut, _ = short_prefix_batch
    benchmark.pedantic(lambda: _step(model, opening, cut), rounds=5, iterations=1, warmup_rounds=1)
    compare(benchmark, "SFT step, no system message", reference=True)


def test_train_step_opening_in_each_row(benchmark, compare, short_prefix_batch):
    """What `encode_dataset` does below `MIN_SHARED_PREFIX`: rows whole, no cache."""
    benchmark.group = "SFT step, 8 samples, no system message"
    model, _, _, whole = short_prefix_batch
    benchmark.pedantic(lambda: _step(model, [], whole), rounds=5, iterations=1, warmup_rounds=1)
    compare(benchmark, "SFT step, no system message")

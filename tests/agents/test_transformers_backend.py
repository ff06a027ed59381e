"""The transformers backend on a tiny random Llama: exact, batched, prefix-cached."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from agents.backends.transformers_backend import TransformersBackend, common_prefix_length

SYSTEM = {"role": "system", "content": "You play Crafter. Choose one action each turn. " * 8}


def _prompts():
    prompts = [
        [SYSTEM, {"role": "user", "content": f"Observation {i}: tree " * (i + 1)}] for i in range(4)
    ]
    prompts.append(
        [
            SYSTEM,
            {"role": "user", "content": "Plan now."},
            {"role": "assistant", "content": "<plan>"},
        ]
    )
    return prompts


def _reference(backend: TransformersBackend, prompt, max_new_tokens: int) -> str:
    """Plain `model.generate` on one prompt, no cache reuse."""
    ids = torch.tensor([backend.encode(prompt)])
    out = backend.model.generate(
        ids,
        max_new_tokens=max_new_tokens,
        do_sample=False,
        eos_token_id=list(backend.eos_ids),
        pad_token_id=backend.pad_id,
    )
    new = [t for t in out[0, ids.shape[1] :].tolist() if t not in backend.eos_ids]
    return backend.tokenizer.decode(new, skip_special_tokens=True)


def test_batched_cached_generation_equals_one_at_a_time(tiny_model_dir):
    cached = TransformersBackend(tiny_model_dir)
    uncached = TransformersBackend(tiny_model_dir, prefix_cache=False)
    prompts = _prompts()
    first = cached.generate(prompts, 16)
    assert [c.text for c in first] == [c.text for c in uncached.generate(prompts, 16)]
    assert [c.text for c in first] == [_reference(cached, p, 16) for p in prompts]
    again = cached.generate(prompts[::-1], 16)  # reuses the cache, other order
    assert [c.text for c in again] == [c.text for c in first][::-1]
    # The shared system prefix was computed once and reused.
    assert uncached.stats.prefill_tokens == uncached.stats.prompt_tokens
    assert cached.stats.prefill_tokens < 0.3 * cached.stats.prompt_tokens


def test_token_counts_are_exact(tiny_backend):
    prompts = _prompts()
    for prompt, out in zip(prompts, tiny_backend.generate(prompts, 8), strict=True):
        assert out.prompt_tokens == len(tiny_backend.encode(prompt))
        assert 1 <= out.completion_tokens <= 8
        assert out.finish_reason in ("stop", "length")
        if out.finish_reason == "length":
            assert out.completion_tokens == 8


def test_stop_strings_end_the_answer(tiny_backend):
    prompts = _prompts()
    free = tiny_backend.generate(prompts, 24)
    for prompt, out in zip(prompts, free, strict=True):
        if len(out.text) < 4:
            continue
        stop = out.text[2:4]
        cut = tiny_backend.generate([prompt], 24, stop=[stop])[0]
        assert stop not in cut.text and out.text.startswith(cut.text)
        assert cut.finish_reason == "stop" and cut.completion_tokens <= out.completion_tokens


def test_banned_strings_are_kept_out(tiny_backend):
    prompts = _prompts()
    free = tiny_backend.generate(prompts, 24)
    for prompt, out in zip(prompts, free, strict=True):
        word = out.text.strip()[:3]
        if len(word) < 2:
            continue
        banned = tiny_backend.generate([prompt], 24, banned=[word])[0]
        assert word not in banned.text


def test_sampling_is_seeded(tiny_model_dir):
    prompts = _prompts()
    a = TransformersBackend(tiny_model_dir, seed=3).generate(prompts, 12, temperature=1.0)
    b = TransformersBackend(tiny_model_dir, seed=3).generate(prompts, 12, temperature=1.0)
    c = TransformersBackend(tiny_model_dir, seed=4).generate(prompts, 12, temperature=1.0)
    assert [x.text for x in a] == [x.text for x in b] != [x.text for x in c]


def test_peft_adapter_is_applied(tiny_model_dir, tmp_path):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    lora = get_peft_model(base, LoraConfig(r=4, target_modules=["q_proj", "v_proj"]))
    torch.manual_seed(0)
    for name, param in lora.named_parameters():
        if "lora_B" in name:
            torch.nn.init.normal_(param, std=0.5)  # a trained-looking adapter
    lora.save_pretrained(tmp_path / "adapter")
    plain = TransformersBackend(tiny_model_dir).generate(_prompts(), 12)
    adapted = TransformersBackend(tiny_model_dir, adapter=tmp_path / "adapter")
    assert [x.text for x in adapted.generate(_prompts(), 12)] != [x.text for x in plain]


def test_bad_input_is_refused(tiny_backend, tmp_path):
    with pytest.raises(ValueError, match="malformed message"):
        tiny_backend.generate([[{"role": "robot", "content": "hi"}]], 4)
    with pytest.raises(ValueError, match="non-empty list"):
        tiny_backend.generate([[]], 4)
    with pytest.raises(ValueError, match="max_new_tokens"):
        tiny_backend.generate(_prompts(), 0)
    with pytest.raises(FileNotFoundError, match=r"config\.json"):
        TransformersBackend(tmp_path)
    assert tiny_backend.generate([], 4) == []


def test_common_prefix_length():
    assert common_prefix_length([[1, 2, 3], [1, 2, 4], [1, 2]]) == 2
    assert common_prefix_length([[5], [6]]) == 0
    assert common_prefix_length([]) == 0


def _same_answers(got, expected) -> None:
    """The same completions: text, tokens and ids exactly, the sampled log-probs to float error."""
    assert [replace(c, logprob=None) for c in got] == [replace(c, logprob=None) for c in expected]
    for a, b in zip(got, expected, strict=True):
        assert (a.logprob is None) == (b.logprob is None)
        assert a.logprob is None or a.logprob == pytest.approx(b.logprob, abs=1e-3)


@pytest.mark.parametrize("decode", ["static", "graph"])
def test_static_decoding_writes_what_dynamic_decoding_writes(tiny_model_dir, decode):
    """Fixed cache buffers (and, on a GPU, each step a CUDA graph replay) change nothing:
    greedy, stopped, banned and sampled answers equal the dynamic path's, batch sizes that are
    not a power of two and the prefix cache included."""
    device = "cuda" if decode == "graph" else "cpu"
    if decode == "graph" and not torch.cuda.is_available():
        pytest.skip("CUDA graphs need a GPU")
    dtype = "float32"
    dynamic = TransformersBackend(tiny_model_dir, decode="dynamic", device=device, dtype=dtype)
    static = TransformersBackend(tiny_model_dir, decode=decode, device=device, dtype=dtype)
    assert static.decode == decode
    prompts = _prompts()  # 5 rows: rounded up to 8
    for kwargs in (
        {"max_new_tokens": 12},
        {"max_new_tokens": 20, "stop": ("e",)},
        {"max_new_tokens": 8, "banned": ("tree",)},
        {"max_new_tokens": 10, "temperature": 1.0},
    ):
        expected = dynamic.generate(prompts, **kwargs)
        _same_answers(static.generate(prompts, **kwargs), expected)
        _same_answers(
            static.generate(prompts[:3], **kwargs), dynamic.generate(prompts[:3], **kwargs)
        )
    assert static.stats.prefill_tokens < 0.5 * static.stats.prompt_tokens
    assert len(static._decoders) <= 3 and all(d.rows == 8 for d in static._decoders.values())


def test_decode_modes_are_checked(tiny_model_dir):
    from agents.backends.static_decode import round_up_length, round_up_rows

    assert [round_up_rows(n) for n in (1, 2, 3, 5, 64, 65)] == [1, 2, 4, 8, 64, 128]
    assert [round_up_length(n) for n in (1, 256, 257)] == [256, 256, 512]
    assert TransformersBackend(tiny_model_dir, device="cpu").decode == "dynamic"  # auto
    with pytest.raises(ValueError, match="decode must be one of"):
        TransformersBackend(tiny_model_dir, decode="fast")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="needs a CUDA device"):
            TransformersBackend(tiny_model_dir, decode="graph")

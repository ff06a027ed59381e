"""Batched tokenisation with the shared instruction cached: the same ids as the plain
tokenizer, for real prompts of the agent, and a safe fallback."""

from __future__ import annotations

import pytest

from agents.backends.segment_tokenizer import SegmentTokenizer
from agents.llm_agent import LLMAgent
from dynplan_gym.crafter_env import DynPlanCrafterEnv


def _prompts(backend, strategy: str = "always", n: int = 3) -> list:
    """Agent prompts of `n` episodes at their first and second steps, some with an assistant
    answer begun (as the planning and acting calls send them)."""
    agent = LLMAgent(backend, strategy)
    agent.reset(n)
    envs = [DynPlanCrafterEnv() for _ in range(n)]
    first = [env.reset(seed=seed) for seed, env in enumerate(envs)]
    observations, infos = (
        [o for o, _ in first],
        [{**i, "slot": s} for s, (_, i) in enumerate(first)],
    )
    prompts = agent.build_prompts(observations, infos)
    decisions = agent.act(observations, infos)
    steps = [env.step(d.env_action()) for env, d in zip(envs, decisions, strict=True)]
    later = agent.build_prompts(
        [s[0] for s in steps], [{**s[4], "slot": k} for k, s in enumerate(steps)]
    )
    started = [[*p, {"role": "assistant", "content": "<plan>"}] for p in later]
    return prompts + later + started


@pytest.fixture(scope="module", params=["tiny", "smollm2"])
def backend(request, tiny_backend, smollm2_dir):
    if request.param == "tiny":
        return tiny_backend
    from agents.backends.transformers_backend import TransformersBackend

    return TransformersBackend(smollm2_dir)


def test_ids_equal_the_plain_tokenizer_and_the_instruction_is_tokenized_once(backend):
    prompts = _prompts(backend)
    texts = [
        backend.tokenizer.apply_chat_template(
            p,
            tokenize=False,
            add_generation_prompt=p[-1]["role"] != "assistant",
            continue_final_message=p[-1]["role"] == "assistant",
        )
        for p in prompts
    ]
    plain = backend.tokenizer(texts, add_special_tokens=False)["input_ids"]
    segments = SegmentTokenizer(backend.tokenizer)
    assert segments.segmenting
    assert segments(texts) == plain
    assert segments(texts[::-1]) == plain[::-1]  # again, now from the cache
    system = prompts[0][0]["content"]
    assert any(system in piece for piece in segments._cache)
    assert backend.encode_many(prompts) == plain
    assert [backend.encode(p) for p in prompts] == plain


def test_tokenizers_it_cannot_cut_safely_are_tokenized_whole(tiny_backend):
    from tokenizers import AddedToken

    tokenizer = tiny_backend.tokenizer.__class__.from_pretrained(tiny_backend.model_path)
    tokenizer.add_tokens([AddedToken("<sep>", lstrip=True)])
    segments = SegmentTokenizer(tokenizer)
    assert not segments.segmenting
    texts = ["a <sep> b", "<|im_start|>user\nhello<|im_end|>"]
    assert segments(texts) == tokenizer(texts, add_special_tokens=False)["input_ids"]
    assert segments([]) == []


def test_a_small_cache_that_churns_within_a_call_still_gives_the_plain_ids(tiny_backend):
    """Pieces known at the start of a call stay usable while the cache evicts during it (a
    runner's next call repeats the last call's observations after new ones), and only
    repeating pieces are kept."""
    tokenizer = tiny_backend.tokenizer
    shared = "<|im_start|>system\n" + "Rules of the game. " * 30 + "<|im_end|>\n"

    def text(name: str) -> str:
        return shared + f"<|im_start|>user\n{name}: " + "tree stone " * 20 + "<|im_end|>\n"

    segments = SegmentTokenizer(tokenizer, cache_size=2, min_cached_chars=64)
    calls = [["a", "b"], ["a", "b"], ["c", "d", "e", "a", "b"], ["f", "a", "g", "g"]]
    for names in calls:
        texts = [text(n) for n in names]
        assert segments(texts) == tokenizer(texts, add_special_tokens=False)["input_ids"]
        assert len(segments._cache) <= 2
    assert any("Rules of the game" in piece for piece in segments._cache)

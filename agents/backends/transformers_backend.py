"""Local Hugging Face causal LMs: batched generation that reuses the shared prompt prefix.

Every prompt of a run starts with the same instruction. The backend keeps the KV cache of the
longest token prefix shared by a batch and reuses it in the next call, cropped to what that
call still shares, so a step pays only for its new tokens (as vLLM and llama.cpp do). The
batch then continues as `[shared prefix][left padding][prompt's own tokens]`, with attention
masks and position ids that make the padding invisible, and finished rows leave the batch.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, DynamicCache

from agents.backends.base import (
    DECODE_MODES,
    Completion,
    Prompt,
    check_prompts,
    continues_assistant,
)
from agents.backends.segment_tokenizer import SegmentTokenizer
from agents.backends.static_decode import StaticDecoder, round_up_length, round_up_rows
from agents.devices import cpu_threads, resolve_device, resolve_dtype


@dataclass
class GenerationStats:
    """Token counts since the backend was made (to measure what the prefix cache saves)."""

    calls: int = 0
    prompt_tokens: int = 0
    prefill_tokens: int = 0  # prompt tokens actually run through the model
    completion_tokens: int = 0


def common_prefix_length(sequences: Sequence[Sequence[int]]) -> int:
    """Length of the longest prefix all sequences share."""
    if not sequences:
        return 0
    first, n = sequences[0], min(len(s) for s in sequences)
    for i in range(n):
        token = first[i]
        if any(s[i] != token for s in sequences):
            return i
    return n


class TransformersBackend:
    """A local causal LM directory (optionally with a peft adapter) on CPU or GPU."""

    name = "transformers"

    def __init__(
        self,
        model_path: str | Path,
        *,
        adapter: str | Path | None = None,
        dtype: str = "auto",
        device: str = "auto",
        seed: int = 0,
        prefix_cache: bool = True,
        min_prefix_tokens: int = 16,
        decode: str = "auto",
    ) -> None:
        device = resolve_device(device)
        dtype = resolve_dtype(dtype, device)
        if device == "cpu":
            torch.set_num_threads(cpu_threads())
        model_path = Path(model_path)
        if not (model_path / "config.json").is_file():
            raise FileNotFoundError(
                f"{model_path} is not a Hugging Face model directory (no config.json)"
            )
        self.model_path = str(model_path)
        self.adapter = str(adapter) if adapter else None
        self.tokenizer = AutoTokenizer.from_pretrained(model_path, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(
            model_path, dtype=getattr(torch, dtype), local_files_only=True
        )
        if adapter:
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
        self._attach(model.to(device).eval(), seed, prefix_cache, min_prefix_tokens, decode)

    @classmethod
    def from_model(
        cls,
        model,
        tokenizer,
        *,
        seed: int = 0,
        prefix_cache: bool = True,
        name: str = "in-memory",
        decode: str = "auto",
    ) -> TransformersBackend:
        """Generate with a model already in memory (e.g. the policy being trained by RL).

        Call `reset_cache()` whenever its weights change."""
        backend = cls.__new__(cls)
        backend.model_path, backend.adapter, backend.tokenizer = name, None, tokenizer
        backend._attach(model, seed, prefix_cache, 16, decode)
        return backend

    def _attach(
        self, model, seed: int, prefix_cache: bool, min_prefix_tokens: int, decode: str
    ) -> None:
        if decode not in DECODE_MODES:
            raise ValueError(f"decode must be one of {', '.join(DECODE_MODES)}, not {decode!r}")
        self.model = model
        self.segments = SegmentTokenizer(self.tokenizer)
        self.device = next(model.parameters()).device
        self.prefix_cache = prefix_cache
        self.min_prefix_tokens = min_prefix_tokens
        self.reset_cache()
        self._generator = torch.Generator(device=self.device).manual_seed(seed)
        self.stats = GenerationStats()
        on_gpu = self.device.type == "cuda"
        if decode == "graph" and not on_gpu:
            raise ValueError("decode='graph' needs a CUDA device")
        self.decode = ("graph" if on_gpu else "dynamic") if decode == "auto" else decode
        self._decoders: dict[int, StaticDecoder] = {}
        eos = self.model.generation_config.eos_token_id
        eos = eos if isinstance(eos, list) else [eos]
        self.eos_ids = {i for i in [*eos, self.tokenizer.eos_token_id] if i is not None}
        pad = self.tokenizer.pad_token_id
        self.pad_id = pad if pad is not None else min(self.eos_ids)

    def reset_cache(self) -> None:
        """Forget the cached prefix (its keys and values belong to the current weights)."""
        self._prefix_ids: list[int] = []
        self._prefix_kv: DynamicCache | None = None
        self._decoders = {}  # recorded steps read the weights in place; their caches do not

    # -- prompts -----------------------------------------------------------------------------
    def encode(self, prompt: Prompt) -> list[int]:
        """Token ids of a chat prompt, ready for the assistant's (continued) answer."""
        return self.encode_many([prompt])[0]

    def encode_many(self, prompts: Sequence[Prompt]) -> list[list[int]]:
        """`encode` of each prompt, tokenized in one batch (the shared instruction once)."""
        texts = []
        for prompt in prompts:
            cont = continues_assistant(prompt)
            texts.append(
                self.tokenizer.apply_chat_template(
                    prompt,
                    tokenize=False,
                    add_generation_prompt=not cont,
                    continue_final_message=cont,
                )
            )
        return self.segments(texts)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    # -- generation --------------------------------------------------------------------------
    def generate(
        self,
        prompts: Sequence[Prompt],
        max_new_tokens: int,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
        banned: Sequence[str] = (),
    ) -> list[Completion]:
        check_prompts(prompts)
        if not prompts:
            return []
        return self._generate_ids(
            self.encode_many(prompts), max_new_tokens, temperature, stop, banned
        )

    def complete(
        self,
        texts: Sequence[str],
        max_new_tokens: int,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
        banned: Sequence[str] = (),
    ) -> list[Completion]:
        """`generate` for raw texts (no chat template): the legacy completions API's."""
        if not all(isinstance(text, str) and text for text in texts):
            raise ValueError("each prompt must be a non-empty string")
        if not texts:
            return []
        return self._generate_ids(
            self.segments(list(texts)), max_new_tokens, temperature, stop, banned
        )

    @torch.inference_mode()
    def _generate_ids(
        self,
        ids: list[list[int]],
        max_new_tokens: int,
        temperature: float,
        stop: Sequence[str],
        banned: Sequence[str],
    ) -> list[Completion]:
        """The completions of prompts given as token ids, decoded in one batch."""
        if max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be >= 1, got {max_new_tokens}")
        prefix_len, prefix_kv = self._shared_prefix(ids)
        rows = len(ids)
        suffixes = [x[prefix_len:] for x in ids]
        width = max(len(s) for s in suffixes)
        tokens = torch.full((rows, width), self.pad_id, dtype=torch.long)
        suffix_mask = torch.zeros((rows, width), dtype=torch.long)
        for i, suffix in enumerate(suffixes):
            tokens[i, width - len(suffix) :] = torch.tensor(suffix)
            suffix_mask[i, width - len(suffix) :] = 1
        positions = prefix_len + (suffix_mask.cumsum(1) - 1).clamp(min=0)
        self.stats.calls += 1
        self.stats.prompt_tokens += sum(len(x) for x in ids)
        self.stats.prefill_tokens += sum(len(s) for s in suffixes)
        decoding = None
        if self.decode != "dynamic":
            decoding = self._static_decoder(rows, prefix_len + width + max_new_tokens)
        decoding = decoding or _DynamicDecoding(self.model, prefix_kv, rows)
        logits = decoding.prefill(prefix_kv, prefix_len, tokens, suffix_mask, positions).float()
        next_position = torch.tensor([prefix_len + len(s) for s in suffixes])
        ban_rules = self.ban_rules(banned)
        generated: list[list[int]] = [[] for _ in range(rows)]
        logprobs = [0.0] * rows
        reasons: list[str] = ["length"] * rows
        active = list(range(rows))  # rows still writing
        for _ in range(max_new_tokens):
            live = logits if len(logits) == len(active) else logits[torch.tensor(active)]
            for slot, row in enumerate(active):
                for token in banned_tokens(generated[row], ban_rules):
                    live[slot, token] = float("-inf")
            chosen, chosen_logprobs = self._choose(live, temperature)
            still = []
            for row, token, logprob in zip(active, chosen, chosen_logprobs, strict=True):
                generated[row].append(token)
                logprobs[row] += logprob
                if token in self.eos_ids or (stop and self._hits_stop(generated[row], stop)):
                    reasons[row] = "stop"
                else:
                    still.append(row)
            if not still or len(generated[still[0]]) >= max_new_tokens:
                break
            going = set(still)
            last = [generated[r][-1] if r in going else self.pad_id for r in range(rows)]
            logits = decoding.step(last, still, next_position).float()
            next_position = next_position + 1
            active = still

        completions = []
        for row, tokens_out in enumerate(generated):
            text = self.tokenizer.decode(
                [t for t in tokens_out if t not in self.eos_ids], skip_special_tokens=True
            )
            text = _cut_at_stop(text, stop)
            completions.append(
                Completion(
                    text,
                    len(ids[row]),
                    len(tokens_out),
                    reasons[row],
                    tuple(tokens_out),
                    logprobs[row] if temperature > 0 else None,
                )
            )
            self.stats.completion_tokens += len(tokens_out)
        return completions

    # -- helpers -----------------------------------------------------------------------------
    def _static_decoder(self, rows: int, tokens: int) -> StaticDecoder | None:
        """A static decoder with room for `rows` x `tokens`: one per cache length (rounded up
        to 256; the three last used are kept), made for the most rows asked of that length so
        far (rounded up to a power of two; rows past a call's own are padding). None, and
        dynamic decoding from then on, if a graph cannot be recorded."""
        length = round_up_length(tokens)
        decoder = self._decoders.pop(length, None)
        if decoder is None or decoder.rows < rows:
            decoder = None  # free its buffers before making the larger one
            while len(self._decoders) >= 3:
                self._decoders.pop(next(iter(self._decoders)))
            try:
                decoder = StaticDecoder(
                    self.model, round_up_rows(rows), length, self.decode == "graph"
                )
            except RuntimeError as error:
                if self.decode != "graph":
                    raise
                message = f"CUDA graph decoding failed ({error}); decoding dynamically"
                warnings.warn(message, stacklevel=2)
                self.decode = "dynamic"
                return None
        self._decoders[length] = decoder  # most recently used last
        return decoder

    def _shared_prefix(self, ids: list[list[int]]) -> tuple[int, DynamicCache | None]:
        """(length, 1-row KV cache) of the prefix every prompt shares, reusing the last one."""
        if not self.prefix_cache:
            return 0, None
        # Leave each prompt at least one token of its own to run.
        common = min(common_prefix_length(ids), min(len(x) for x in ids) - 1)
        if common < self.min_prefix_tokens:
            return 0, None
        shared = common_prefix_length([self._prefix_ids, ids[0][:common]])
        if self._prefix_kv is None or shared < self.min_prefix_tokens:
            self._prefix_kv, shared = DynamicCache(), 0
        else:
            self._prefix_kv.crop(shared - self._prefix_kv.get_seq_length())
        if common > shared:
            self.model(
                input_ids=torch.tensor([ids[0][shared:common]], device=self.device),
                position_ids=torch.arange(shared, common, device=self.device)[None],
                cache=self._prefix_kv,
                use_cache=True,
            )
            self.stats.prefill_tokens += common - shared
        self._prefix_ids = ids[0][:common]
        return common, self._prefix_kv

    def _choose(self, logits: torch.Tensor, temperature: float) -> tuple[list[int], list[float]]:
        """(tokens, their log-probs): greedy at temperature 0 (log-probs 0), else a sample from
        the tempered distribution."""
        if temperature <= 0:
            return logits.argmax(-1).tolist(), [0.0] * len(logits)
        logp = torch.log_softmax(logits / temperature, -1)
        chosen = torch.multinomial(logp.exp(), 1, generator=self._generator)
        return chosen.squeeze(-1).tolist(), logp.gather(-1, chosen).squeeze(-1).tolist()

    def ban_rules(self, banned: Sequence[str]) -> list[tuple[tuple[int, ...], int]]:
        """(tokens that must precede, token to forbid) for each way of writing a banned string."""
        rules = set()
        for text in banned:
            for variant in (text, " " + text, "\n" + text):
                seq = self.tokenizer(variant, add_special_tokens=False)["input_ids"]
                if seq:
                    rules.add((tuple(seq[:-1]), seq[-1]))
        return sorted(rules)

    def _hits_stop(self, tokens: list[int], stop: Sequence[str]) -> bool:
        text = self.tokenizer.decode(tokens[-32:], skip_special_tokens=True)
        return any(s in text for s in stop)


def banned_tokens(history: Sequence[int], rules) -> list[int]:
    """The tokens `rules` (`TransformersBackend.ban_rules`) forbid after the drawn `history`."""
    return [
        token for before, token in rules if not before or tuple(history[-len(before) :]) == before
    ]


class _DynamicDecoding:
    """Decode steps on a growing `DynamicCache`; finished rows leave the batch."""

    def __init__(self, model, prefix_kv: DynamicCache | None, rows: int) -> None:
        self.model = model
        self.device = next(model.parameters()).device
        self.cache = DynamicCache()
        if prefix_kv is not None:
            self.cache = copy.deepcopy(prefix_kv)
            self.cache.batch_repeat_interleave(rows)
        self.rows = list(range(rows))  # the original row of each row in the cache

    def prefill(self, prefix_kv, prefix_len, tokens, suffix_mask, positions) -> torch.Tensor:
        rows = len(tokens)
        self.attention = torch.cat(
            [torch.ones((rows, prefix_len), dtype=torch.long), suffix_mask], 1
        )
        out = self.model(
            input_ids=tokens.to(self.device),
            attention_mask=self.attention.to(self.device),
            position_ids=positions.to(self.device),
            cache=self.cache,
            use_cache=True,
        )
        return out.logits[:, -1, :]

    def step(self, last: list[int], still: list[int], next_position: torch.Tensor):
        """Feed each continuing row its last token; their logits, in `still`'s order."""
        if still != self.rows:
            keep = torch.tensor([self.rows.index(r) for r in still])
            self.cache.batch_select_indices(keep.to(self.device))
            self.attention = self.attention[keep]
            self.rows = list(still)
        self.attention = torch.cat(
            [self.attention, torch.ones((len(still), 1), dtype=torch.long)], 1
        )
        out = self.model(
            input_ids=torch.tensor([last[r] for r in still], device=self.device)[:, None],
            attention_mask=self.attention.to(self.device),
            position_ids=next_position[still][:, None].to(self.device),
            cache=self.cache,
            use_cache=True,
        )
        return out.logits[:, -1, :]


def _cut_at_stop(text: str, stop: Sequence[str]) -> str:
    cuts = [text.index(s) for s in stop if s in text]
    return text[: min(cuts)] if cuts else text

"""Decoding from a static KV cache, each step one replay of a recorded CUDA graph.

A decode step of a small model on a GPU is hundreds of tiny kernels, each launched from
Python: the GPU waits on the launches. Here the batch's keys and values live in fixed buffers
(transformers' `StaticCache`), the step's inputs are fixed tensors filled in place, and the
step is recorded once as a CUDA graph and replayed per token. On a CPU (or with
`use_graph=False`) the same steps run eagerly, which is how the tests check it against the
dynamic-cache path.

Layout of every row in the cache: [shared prefix][left padding][prompt's own tokens][new
tokens]. A 4-D boolean mask (True: may attend) hides the padding; rows past the call's batch
(a decoder serves every batch up to its size, so few graphs serve a run) attend only to
position 0 and are never read.
"""

from __future__ import annotations

import torch
from transformers import StaticCache


def round_up_rows(rows: int) -> int:
    """The batch size a decoder is made for: the next power of two."""
    return 1 << max(0, rows - 1).bit_length()


def round_up_length(tokens: int, block: int = 256) -> int:
    """The cache length a decoder is made for: a multiple of `block`."""
    return -(-tokens // block) * block


class StaticDecoder:
    """One model's decode steps for `rows` rows of up to `max_len` tokens."""

    def __init__(self, model, rows: int, max_len: int, use_graph: bool) -> None:
        config = model.config
        parameter = next(model.parameters())
        self.model, self.rows, self.max_len = model, rows, max_len
        self.device = parameter.device
        head_dim = getattr(config, "head_dim", None) or (
            config.hidden_size // config.num_attention_heads
        )
        kv_heads = getattr(config, "num_key_value_heads", None) or config.num_attention_heads
        self.cache = StaticCache(config=config, max_cache_len=max_len)
        self.cache.early_initialization(rows, kv_heads, head_dim, parameter.dtype, self.device)
        self.ids = torch.zeros((rows, 1), dtype=torch.long, device=self.device)
        self.positions = torch.zeros((rows, 1), dtype=torch.long, device=self.device)
        self.mask = torch.zeros((rows, 1, 1, max_len), dtype=torch.bool, device=self.device)
        self.length = 0
        self.graph = None
        self.logits = None
        if use_graph:
            self._record()

    def _forward(self) -> torch.Tensor:
        out = self.model(
            input_ids=self.ids,
            attention_mask=self.mask,
            position_ids=self.positions,
            cache=self.cache,
            use_cache=True,
        )
        return out.logits[:, -1]

    def _set_length(self, length: int) -> None:
        for layer in self.cache.layers:
            layer.cumulative_length.fill_(length)
        self.length = length

    def _record(self) -> None:
        """Warm up on a side stream, then record one step as a CUDA graph."""
        self.mask[:, 0, 0, 0] = True
        stream = torch.cuda.Stream(self.device)
        stream.wait_stream(torch.cuda.current_stream(self.device))
        with torch.cuda.stream(stream):
            for _ in range(2):
                self._set_length(1)
                self._forward()
        torch.cuda.current_stream(self.device).wait_stream(stream)
        self._set_length(1)
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            self.logits = self._forward()
        self._set_length(0)

    def prefill(
        self,
        prefix_kv,
        prefix_len: int,
        tokens: torch.Tensor,
        suffix_mask: torch.Tensor,
        positions: torch.Tensor,
    ) -> torch.Tensor:
        """Run the rows' own tokens after the shared prefix; the last position's logits.

        `prefix_kv`: a 1-row `DynamicCache` of the prefix (or None); `tokens`, `suffix_mask`,
        `positions`: [n, width] with n <= rows, left-padded."""
        n, width = tokens.shape
        if prefix_len + width >= self.max_len:
            raise ValueError(f"{prefix_len + width} tokens do not fit a cache of {self.max_len}")
        device = self.device
        for layer, source in zip(
            self.cache.layers, prefix_kv.layers if prefix_kv is not None else [], strict=False
        ):
            layer.keys[:, :, :prefix_len] = source.keys[:1, :, :prefix_len]
            layer.values[:, :, :prefix_len] = source.values[:1, :, :prefix_len]
        self._set_length(prefix_len)
        own = torch.zeros((self.rows, width), dtype=torch.bool, device=device)
        own[:n] = suffix_mask.to(device).bool()
        full = torch.zeros((self.rows, 1, width, self.max_len), dtype=torch.bool, device=device)
        full[..., :prefix_len] = True
        causal = torch.ones((width, width), dtype=torch.bool, device=device).tril()
        full[:, 0, :, prefix_len : prefix_len + width] = causal & own[:, None, :]
        diagonal = torch.arange(width, device=device)
        full[:, 0, diagonal, prefix_len + diagonal] = True  # a padding query sees itself
        ids = torch.zeros((self.rows, width), dtype=torch.long, device=device)
        ids[:n] = tokens.to(device)
        where = torch.zeros((self.rows, width), dtype=torch.long, device=device)
        where[:n] = positions.to(device)
        out = self.model(
            input_ids=ids, attention_mask=full, position_ids=where, cache=self.cache, use_cache=True
        )
        self.mask.zero_()
        self.mask[:, 0, 0, :prefix_len] = True
        self.mask[:, 0, 0, prefix_len : prefix_len + width] = own
        self.mask[n:, 0, 0, 0] = True
        self.length = prefix_len + width
        return out.logits[:n, -1]

    def step(self, last: list[int], still: list[int], next_position: torch.Tensor) -> torch.Tensor:
        """Feed every row its last token (`last`, `next_position`: one per row; rows not in
        `still` are finished and ignored); the next logits of every row, [n, vocab]."""
        if self.length >= self.max_len:
            raise ValueError(f"the cache of {self.max_len} tokens is full")
        n = len(last)
        self.ids[:n, 0] = torch.tensor(last, device=self.device)
        self.positions[:n, 0] = next_position.to(self.device)
        self.mask[:n, 0, 0, self.length] = True
        self.length += 1
        if self.graph is None:
            return self._forward()[:n]
        self.graph.replay()
        return self.logits[:n]

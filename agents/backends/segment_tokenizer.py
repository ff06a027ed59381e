"""Batched tokenisation that remembers the long text every prompt repeats.

A fast tokenizer cuts its input at added tokens (`<|im_start|>`, `<|im_end|>`) before anything
else and tokenizes the pieces between them on their own. So a chat prompt's ids are the ids of
its pieces, joined: the instruction shared by every prompt (~600 tokens) is tokenized once and
looked up after that, and the pieces left are tokenized in one batched call. Tokenizers whose
added tokens strip spaces or are normalized are tokenized whole; the first call checks one
text against the plain tokenizer and falls back to it for good if they ever differ.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Sequence


class SegmentTokenizer:
    """`tokenizer(texts, add_special_tokens=False)["input_ids"]`, with long pieces cached."""

    def __init__(self, tokenizer, cache_size: int = 32, min_cached_chars: int = 256) -> None:
        self.tokenizer = tokenizer
        self.cache_size = cache_size
        self.min_cached_chars = min_cached_chars
        self._cache: OrderedDict[str, list[int]] = OrderedDict()
        self._checked = False
        added = list(getattr(tokenizer, "added_tokens_decoder", {}).values())
        plain = all(not (t.lstrip or t.rstrip or t.single_word or t.normalized) for t in added)
        self._special_ids = {t.content: tokenizer.convert_tokens_to_ids(t.content) for t in added}
        self._splitter = None
        if plain and added:
            names = sorted(self._special_ids, key=len, reverse=True)
            self._splitter = re.compile("(" + "|".join(map(re.escape, names)) + ")")

    @property
    def segmenting(self) -> bool:
        """Whether texts are cut at added tokens (False: tokenized whole)."""
        return self._splitter is not None

    def __call__(self, texts: Sequence[str]) -> list[list[int]]:
        if not texts:
            return []
        if self._splitter is None:
            return self._whole(texts)
        pieces = [self._splitter.split(text) for text in texts]
        fresh = {p for parts in pieces for p in parts[0::2] if p and p not in self._cache}
        fresh_list = sorted(fresh)
        encoded = dict(zip(fresh_list, self._whole(fresh_list), strict=True))
        out = []
        for parts in pieces:
            ids: list[int] = []
            for k, part in enumerate(parts):
                if k % 2:
                    ids.append(self._special_ids[part])
                elif part:
                    ids += self._lookup(part, encoded)
            out.append(ids)
        if not self._checked:
            self._checked = True
            if out[0] != self._whole(texts[:1])[0]:
                self._splitter = None
                return self._whole(texts)
        return out

    def _lookup(self, piece: str, encoded: dict[str, list[int]]) -> list[int]:
        if piece in self._cache:
            self._cache.move_to_end(piece)
            return self._cache[piece]
        ids = encoded[piece]
        if len(piece) >= self.min_cached_chars:
            self._cache[piece] = ids
            if len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return ids

    def _whole(self, texts: Sequence[str]) -> list[list[int]]:
        return self.tokenizer(list(texts), add_special_tokens=False)["input_ids"]

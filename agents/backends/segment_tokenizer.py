"""Batched tokenisation that remembers the long text every prompt repeats.

A fast tokenizer cuts its input at added tokens (`<|im_start|>`, `<|im_end|>`) before anything
else and tokenizes the pieces between them on their own. So a chat prompt's ids are the ids of
its pieces, joined: the instruction shared by every prompt (~600 tokens) is tokenized once and
looked up after that (a long piece is kept once it repeats), and the pieces left are tokenized
in one batched call. Tokenizers whose
added tokens strip spaces or are normalized are tokenized whole; the first call checks one
text against the plain tokenizer and falls back to it for good if they ever differ.
"""

from __future__ import annotations

import re
from collections import Counter, OrderedDict
from collections.abc import Sequence


class SegmentTokenizer:
    """`tokenizer(texts, add_special_tokens=False)["input_ids"]`, with long pieces cached."""

    def __init__(self, tokenizer, cache_size: int = 32, min_cached_chars: int = 256) -> None:
        self.tokenizer = tokenizer
        self.cache_size = cache_size
        self.min_cached_chars = min_cached_chars
        self._cache: OrderedDict[str, list[int]] = OrderedDict()
        self._last_long: set[str] = set()  # the long pieces of the last call
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
        plain = [p for parts in pieces for p in parts[0::2] if p]
        known = {p: self._cache[p] for p in set(plain) if p in self._cache}
        fresh = sorted(set(plain) - set(known))
        known.update(zip(fresh, self._whole(fresh), strict=True))
        out = []
        for parts in pieces:
            ids: list[int] = []
            for k, part in enumerate(parts):
                if k % 2:
                    ids.append(self._special_ids[part])
                elif part:
                    ids += known[part]
            out.append(ids)
        if not self._checked:
            self._checked = True
            if out[0] != self._whole(texts[:1])[0]:
                self._splitter = None
                return self._whole(texts)
        self._remember(plain, known)
        return out

    def _remember(self, plain: list[str], known: dict[str, list[int]]) -> None:
        """Keep the long pieces that repeat (within this call, or since the last one): the
        shared instruction, not each prompt's own text."""
        counts = Counter(p for p in plain if len(p) >= self.min_cached_chars)
        for piece, n in sorted(counts.items(), key=lambda item: item[1]):  # most repeated last
            if n > 1 or piece in self._last_long or piece in self._cache:
                self._cache[piece] = known[piece]
                self._cache.move_to_end(piece)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        self._last_long = set(counts)

    def _whole(self, texts: Sequence[str]) -> list[list[int]]:
        return self.tokenizer(list(texts), add_special_tokens=False)["input_ids"]

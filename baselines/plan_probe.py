"""How much a dataset's plans say about its actions, measured before any LLM is trained.

A small classifier (fastText's recipe: hashed word uni- and bigrams, and the window's grid
cells where the prompt draws it, averaged embeddings, one hidden layer) learns each sample's
action from its prompt twice: with the plan in force (and the plan the answer writes at this
step) embedded apart from the rest of the prompt, and with every plan and the plan-mode
instruction removed. Both are trained on the same
trajectories and scored on other, held-out trajectories; the difference is the plan's
information about the action. It is a cheap screen of data designs; `dynplan diagnose` asks
the same question of trained LLM students.
"""

from __future__ import annotations

import itertools
import re
import zlib
from dataclasses import dataclass

import numpy as np

from agents.parser import PLAN_CLOSE
from agents.prompts import TEXT

WORD = re.compile(r"[a-z]+|\d+|[^\s\w]")
BUCKETS = 1 << 18
GRID_HEADER = TEXT["view_grid_header"].split("(")[0]
PLAN_HEADER = TEXT["plan_in_force"].split("(")[0]
FORMATS = tuple(TEXT["format"].values())


@dataclass(frozen=True)
class ProbeConfig:
    """Sizes of the probe (defaults: about a minute on 2 cores for 50,000 samples)."""

    held_out: float = 0.2  # the share of trajectories (the last seeds) scored, not trained on
    epochs: int = 4
    dim: int = 64
    hidden: int = 128
    batch_size: int = 256
    lr: float = 3e-3
    seed: int = 0


def without_plans(prompt: str) -> str:
    """The prompt with the plan in force and the plan-mode instruction taken out."""
    parts = prompt.split("\n\n")
    kept = [p for p in parts if not p.startswith(PLAN_HEADER) and p not in FORMATS]
    return "\n\n".join(kept)


def features(text: str) -> list[int]:
    """Hashed ids: word unigrams and bigrams, and each grid cell with its row and column."""
    tokens: list[str] = []
    for block in text.split("\n\n"):
        if block.startswith(GRID_HEADER):
            rows = block.split("\n")[1:]
            tokens += [f"cell{y},{x}={c}" for y, row in enumerate(rows) for x, c in enumerate(row)]
            continue
        words = WORD.findall(block.lower())
        tokens += words + [f"{a} {b}" for a, b in itertools.pairwise(words)]
    return [zlib.crc32(t.encode()) % BUCKETS for t in tokens] or [0]


def plan_text(prompt: str, answer: str) -> str:
    """The plan the action follows: the one the answer writes, else the one in force."""
    if PLAN_CLOSE in answer:
        return answer[: answer.index(PLAN_CLOSE)]
    return "\n\n".join(p for p in prompt.split("\n\n") if p.startswith(PLAN_HEADER))


def probe_inputs(sample: dict, with_plans: bool) -> tuple[list[int], list[int]]:
    """A sample's features: the prompt without plans, and the plan (none without plans)."""
    prompt = "\n\n".join(m["content"] for m in sample["messages"][:-1])
    context = features(without_plans(prompt))
    if not with_plans:
        return context, [0]
    return context, features(plan_text(prompt, sample["messages"][-1]["content"]))


def _accuracy(train: list, test: list, config: ProbeConfig, classes: int) -> float:
    import torch
    from torch import nn

    torch.manual_seed(config.seed)
    model = nn.ModuleDict(
        {
            "context": nn.EmbeddingBag(BUCKETS, config.dim, mode="mean", sparse=True),
            "plan": nn.EmbeddingBag(BUCKETS, config.dim, mode="mean", sparse=True),
            "head": nn.Sequential(
                nn.Linear(2 * config.dim, config.hidden),
                nn.ReLU(),
                nn.Linear(config.hidden, classes),
            ),
        }
    )
    embeddings = [*model["context"].parameters(), *model["plan"].parameters()]
    optimizers = [
        torch.optim.SparseAdam(embeddings, lr=config.lr),
        torch.optim.Adam(model["head"].parameters(), lr=config.lr),
    ]

    def bag(name: str, rows: list[list[int]]) -> torch.Tensor:
        ids = torch.tensor([i for row in rows for i in row])
        offsets = torch.tensor(np.cumsum([0] + [len(row) for row in rows[:-1]]))
        return model[name](ids, offsets)

    def logits(batch: list) -> torch.Tensor:
        context = bag("context", [c for (c, _), _ in batch])
        plan = bag("plan", [p for (_, p), _ in batch])
        return model["head"](torch.cat([context, plan], -1))

    draws = np.random.default_rng(config.seed)
    for _ in range(config.epochs):
        order = draws.permutation(len(train))
        for start in range(0, len(train), config.batch_size):
            batch = [train[j] for j in order[start : start + config.batch_size]]
            loss = nn.functional.cross_entropy(logits(batch), torch.tensor([a for _, a in batch]))
            for optimizer in optimizers:
                optimizer.zero_grad()
            loss.backward()
            for optimizer in optimizers:
                optimizer.step()
    with torch.no_grad():
        hits = 0
        for start in range(0, len(test), 1024):
            batch = test[start : start + 1024]
            predicted = logits(batch).argmax(-1)
            hits += int((predicted == torch.tensor([a for _, a in batch])).sum())
    return hits / max(len(test), 1)


def probe(samples: list[dict], config: ProbeConfig | None = None) -> dict:
    """Held-out next-action accuracy with and without plans, and their difference."""
    config = config or ProbeConfig()
    seeds = sorted({s["meta"]["seed"] for s in samples})
    cut = seeds[round(len(seeds) * (1 - config.held_out))] if len(seeds) > 1 else None
    if cut is None or cut == seeds[0]:
        raise ValueError("the probe needs at least two trajectories to hold one out")
    classes = 1 + max(int(s["meta"]["action"]) for s in samples)
    report: dict = {"trajectories": len(seeds), "held_out_from_seed": cut}
    for with_plans in (True, False):
        rows = [(probe_inputs(s, with_plans), int(s["meta"]["action"])) for s in samples]
        train = [r for r, s in zip(rows, samples, strict=True) if s["meta"]["seed"] < cut]
        test = [r for r, s in zip(rows, samples, strict=True) if s["meta"]["seed"] >= cut]
        key = "with_plans" if with_plans else "without_plans"
        report[key] = _accuracy(train, test, config, classes)
    test_actions = [int(s["meta"]["action"]) for s in samples if s["meta"]["seed"] >= cut]
    report["held_out_samples"] = len(test_actions)
    report["majority"] = float(np.bincount(test_actions).max() / len(test_actions))
    report["information"] = report["with_plans"] - report["without_plans"]
    return report

"""POGS reset: our world generation (Prüfer decoding, BFS views, the text) against the same
work done with networkx (its random labelled tree, shortest-path lengths and subgraph)."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np

from dynplan_gym.pogs_env import DynPlanPOGSEnv

SEEDS = itertools.count()


def _networkx_reset(n: int = 20, k: int = 3) -> str:
    """A POGS reset with networkx: a random labelled tree, start and target, the k-hop view
    and its text (what `DynPlanPOGSEnv.reset` does without the search)."""
    rng = np.random.default_rng(next(SEEDS))
    tree = nx.from_prufer_sequence(rng.integers(0, n, n - 2).tolist())
    start, target = (int(x) for x in rng.choice(n, 2, replace=False))
    near = nx.single_source_shortest_path_length(tree, start, cutoff=k)
    view = tree.subgraph(near)
    lines = [f"Node {v}: {', '.join(str(u) for u in sorted(view[v]))}" for v in sorted(view)]
    return "\n".join([*lines, f"You are at node {start}. The target is node {target}."])


def test_pogs_reset_networkx(benchmark, compare):
    benchmark.group = "POGS reset (20 nodes, k = 3)"
    benchmark(_networkx_reset)
    compare(benchmark, "POGS reset", reference=True)


def test_pogs_reset_ours(benchmark, compare):
    benchmark.group = "POGS reset (20 nodes, k = 3)"
    env = DynPlanPOGSEnv()
    benchmark(lambda: env.reset(seed=next(SEEDS)))
    compare(benchmark, "POGS reset")

"""POGS worlds: random labelled trees, what a node lets you see, and the memory-based search.

A world is a uniformly random labelled tree on `n` nodes (decoded from a random Prüfer
sequence), kept as a tuple of neighbour tuples. From node `v` the agent sees every node
within `k` hops and the edges among them. `MemorySearch` remembers every edge it has seen and
walks to the target along known edges once it has seen it, else to the nearest frontier node
(one it has seen but whose edges it may not all have seen; ties go to the lowest label), so it
backtracks along known paths when a branch ends. Its number of backtracks (moves back to a
node already visited) defines the hard variant, and it is the POGS expert. Plain Python and
numpy: no graph library needed (a benchmark compares with networkx).
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass, field

import numpy as np

Tree = tuple[tuple[int, ...], ...]  # node -> sorted neighbours


def random_tree(n: int, rng: np.random.Generator) -> Tree:
    """A uniformly random labelled tree on nodes 0..n-1 (Prüfer decoding, O(n log n))."""
    if n < 2:
        raise ValueError(f"a POGS tree needs at least 2 nodes, got {n}")
    if n == 2:
        return ((1,), (0,))
    sequence = rng.integers(0, n, size=n - 2).tolist()
    degree = [1] * n
    for node in sequence:
        degree[node] += 1
    leaves = [node for node in range(n) if degree[node] == 1]
    heapq.heapify(leaves)
    neighbours: list[list[int]] = [[] for _ in range(n)]
    for node in sequence:
        leaf = heapq.heappop(leaves)
        neighbours[leaf].append(node)
        neighbours[node].append(leaf)
        degree[node] -= 1
        if degree[node] == 1:
            heapq.heappush(leaves, node)
    u, v = heapq.heappop(leaves), heapq.heappop(leaves)
    neighbours[u].append(v)
    neighbours[v].append(u)
    return tuple(tuple(sorted(adjacent)) for adjacent in neighbours)


def hops_from(tree: Tree, source: int, limit: int | None = None) -> dict[int, int]:
    """Node -> hops from `source`, for the nodes within `limit` hops (all if None)."""
    seen = {source: 0}
    queue = deque([source])
    while queue:
        node = queue.popleft()
        if limit is not None and seen[node] == limit:
            continue
        for nxt in tree[node]:
            if nxt not in seen:
                seen[nxt] = seen[node] + 1
                queue.append(nxt)
    return seen


def visible_edges(tree: Tree, node: int, k: int) -> tuple[dict[int, int], list[tuple[int, int]]]:
    """What node `node` shows: node -> hops for the nodes within k hops, and the edges among
    them (each once, as (low, high))."""
    near = hops_from(tree, node, k)
    edges = [(a, b) for a in near for b in tree[a] if a < b and b in near]
    return near, sorted(edges)


@dataclass
class MemorySearch:
    """The memory-based search of one episode: what it has seen, where it has been."""

    target: int
    k: int
    known: dict[int, set[int]] = field(default_factory=dict)  # node -> neighbours seen
    complete: set[int] = field(default_factory=set)  # nodes whose every edge has been seen
    visited: set[int] = field(default_factory=set)
    backtracks: int = 0

    def observe(self, node: int, near: dict[int, int], edges: list[tuple[int, int]]) -> None:
        """Take in the view from `node` (as `visible_edges` gives it)."""
        for a, b in edges:
            self.known.setdefault(a, set()).add(b)
            self.known.setdefault(b, set()).add(a)
        for other, hops in near.items():
            self.known.setdefault(other, set())
            if hops < self.k:  # its neighbours are all within k hops, so all seen
                self.complete.add(other)
        self.visited.add(node)

    def goal(self, node: int) -> tuple[int, list[int]]:
        """Where to head from `node` (the target if seen, else the nearest frontier node) and
        the known path there (without `node`)."""
        paths = self._paths(node)
        if self.target in paths:
            return self.target, paths[self.target]
        frontier = [n for n in paths if n not in self.complete and n != node]
        if not frontier:  # everything reachable is known and the target is not: unreachable
            return node, []
        best = min(frontier, key=lambda n: (len(paths[n]), n))
        return best, paths[best]

    def move(self, node: int) -> int:
        """The next node to step to from `node` (counts a backtrack when it was visited)."""
        _, path = self.goal(node)
        nxt = path[0] if path else node
        self.backtracks += nxt in self.visited and nxt != node
        return nxt

    def _paths(self, node: int) -> dict[int, list[int]]:
        paths = {node: []}
        queue = deque([node])
        while queue:
            current = queue.popleft()
            for nxt in sorted(self.known.get(current, ())):
                if nxt not in paths:
                    paths[nxt] = [*paths[current], nxt]
                    queue.append(nxt)
        return paths


def search_backtracks(tree: Tree, start: int, target: int, k: int, max_moves: int) -> int | None:
    """The backtracks `MemorySearch` needs from start to target (None: not within max_moves)."""
    search = MemorySearch(target, k)
    node = start
    for _ in range(max_moves):
        search.observe(node, *visible_edges(tree, node, k))
        node = search.move(node)
        if node == target:
            return search.backtracks
    return None

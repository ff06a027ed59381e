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
        hops, parent = self._reach(node)
        if self.target in hops:
            best = self.target
        else:
            frontier = [n for n in hops if n not in self.complete and n != node]
            if not frontier:  # everything reachable is known and the target is not: unreachable
                return node, []
            best = min(frontier, key=lambda n: (hops[n], n))
        path, step = [], best
        while step != node:
            path.append(step)
            step = parent[step]
        return best, path[::-1]

    def move(self, node: int) -> int:
        """The next node to step to from `node` (counts a backtrack when it was visited)."""
        _, path = self.goal(node)
        nxt = path[0] if path else node
        self.backtracks += nxt in self.visited and nxt != node
        return nxt

    def _reach(self, node: int) -> tuple[dict[int, int], dict[int, int]]:
        """Hops from `node` along known edges, and each reached node's parent on its way
        (the known graph is part of a tree: each node's path is the only one)."""
        hops, parent = {node: 0}, {}
        queue = deque([node])
        while queue:
            current = queue.popleft()
            for nxt in self.known.get(current, ()):
                if nxt not in hops:
                    hops[nxt], parent[nxt] = hops[current] + 1, current
                    queue.append(nxt)
        return hops, parent


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


def _known_hops(known: dict[int, set[int]], source: int) -> dict[int, int]:
    """Node -> hops from `source` along known edges."""
    seen = {source: 0}
    queue = deque([source])
    while queue:
        node = queue.popleft()
        for nxt in sorted(known.get(node, ())):
            if nxt not in seen:
                seen[nxt] = seen[node] + 1
                queue.append(nxt)
    return seen


def _known_path(known: dict[int, set[int]], source: int, goal: int) -> list[int] | None:
    """The path from `source` to `goal` along known edges (without `source`); None if there is
    none (in a forest, the only one)."""
    parents: dict[int, int | None] = {source: None}
    queue = deque([source])
    while queue:
        node = queue.popleft()
        if node == goal:
            path = []
            while parents[node] is not None:
                path.append(node)
                node = parents[node]
            return path[::-1]
        for nxt in sorted(known.get(node, ())):
            if nxt not in parents:
                parents[nxt] = node
                queue.append(nxt)
    return None


@dataclass
class KnownGraph:
    """What an agent has seen of a world, as gym-pogs's agents keep it: every edge seen, and the
    nodes *explored* (within k - 1 hops, along known edges, of a node it stood on); a known
    node not explored is on the frontier."""

    k: int
    known: dict[int, set[int]] = field(default_factory=dict)  # in the order first seen
    explored: set[int] = field(default_factory=set)

    def observe(self, node: int, near: dict[int, int], edges: list[tuple[int, int]]) -> dict:
        """Take in the view from `node`; returns hops from `node` along known edges. Nodes are
        remembered in the order a row-by-row reading of the view's adjacency matrix meets
        them (what breaks ties in `first_nearest_frontier`)."""
        seen: dict[int, list[int]] = {}
        for a, b in edges:
            seen.setdefault(a, []).append(b)
            seen.setdefault(b, []).append(a)
        for a in sorted(seen):
            for b in sorted(seen[a]):
                self.known.setdefault(a, set()).add(b)
                self.known.setdefault(b, set()).add(a)
        hops = _known_hops(self.known, node)
        self.explored |= {other for other, n in hops.items() if n <= self.k - 1}
        return hops

    def nearest_frontier(self, hops: dict[int, int]) -> list[int]:
        """The frontier nodes nearest to where `hops` was measured (lowest label first)."""
        frontier = [n for n in self.known if n not in self.explored and n in hops]
        if not frontier:
            return []
        nearest = min(hops[n] for n in frontier)
        return sorted(n for n in frontier if hops[n] == nearest)

    def first_nearest_frontier(self, hops: dict[int, int]) -> int | None:
        """One nearest frontier node, the one gym-pogs's search takes: ties go as Python's
        `min` over a set of the frontier labels built in the order the nodes were first seen
        (its implementation's tie-break, which its rule for hard worlds depends on)."""
        frontier = {n for n in self.known if n not in self.explored}
        if not frontier:
            return None
        return min(frontier, key=lambda n: hops.get(n, len(self.known)))


@dataclass
class PathKeepingSearch:
    """The search whose backtracking defines gym-pogs's hard worlds (written from its rule, not
    its code). Unlike `MemorySearch` it keeps a path once chosen: to the target as soon as it
    sees it, else to the nearest frontier node, chosen again only once that node lies within
    k - 1 hops (ties as `KnownGraph.first_nearest_frontier`). A *run* of backtracking starts
    when it stands on a node it visited before while not already backtracking, and ends on a
    new node."""

    target: int
    k: int
    graph: KnownGraph = field(init=False)
    visited: set[int] = field(default_factory=set)
    to_target: list[int] | None = None
    to_explore: list[int] | None = None
    runs: int = 0
    backtracking: bool = False

    def __post_init__(self) -> None:
        self.graph = KnownGraph(self.k)

    def act(self, node: int, near: dict[int, int], edges: list[tuple[int, int]]) -> int:
        """The next node from `node`, given what `node` shows."""
        if node in self.visited and not self.backtracking:
            self.runs += 1
            self.backtracking = True
        elif node not in self.visited:
            self.backtracking = False
        self.visited.add(node)
        hops = self.graph.observe(node, near, edges)
        if self.to_target is None:
            self.to_target = _known_path(self.graph.known, node, self.target)
            if self.to_target:
                self.to_explore = None
        if self.to_target:
            return self.to_target.pop(0)
        end = self.to_explore[-1] if self.to_explore else None
        if self.to_explore is None or (end is not None and hops.get(end, self.k) <= self.k - 1):
            goal = self.graph.first_nearest_frontier(hops)
            self.to_explore = [] if goal is None else _known_path(self.graph.known, node, goal)
        return self.to_explore.pop(0) if self.to_explore else node


def backtrack_runs(tree: Tree, start: int, target: int, k: int, max_steps: int) -> int:
    """The runs of backtracking `PathKeepingSearch` makes in an episode of at most `max_steps`
    steps (the step that ends it included, the position it ends on not examined): gym-pogs's
    rule for its hard variant (`min_backtracks` runs)."""
    search = PathKeepingSearch(target, k)
    node = start
    for _ in range(max_steps):
        node = search.act(node, *visible_edges(tree, node, k))
        if node == target:
            break
    return search.runs


def expert_moves(graph: KnownGraph, node: int, target: int) -> set[int]:
    """The moves gym-pogs's expert-shaped reward calls the expert's, from what `graph` knows:
    the first step towards the target once it is known, else the first step towards each of
    the nearest frontier nodes."""
    path = _known_path(graph.known, node, target) if target in graph.known else None
    if path:
        return {path[0]}
    hops = _known_hops(graph.known, node)
    paths = (_known_path(graph.known, node, n) for n in graph.nearest_frontier(hops))
    return {p[0] for p in paths if p}

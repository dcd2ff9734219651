"""Hypothesis strategies for graph cases.

A case is a few numbers (kind, size, density, seed, source, whether to add self-loops and duplicate edges);
the graph is built from them by the generators in ``assignments/graph/common.py``. Hypothesis shrinks the
numbers, so a failure lands on the smallest, simplest graph that shows it (n = 1, a chain of 3, ...).

Kinds, each aimed at a way to get BFS or PageRank wrong:

* ``random``  uniform random edges: isolated vertices, sinks (dangling), several components, self-loops;
* ``rmat``    Graph500 R-MAT: hubs and skew, the graph the benchmark uses;
* ``grid``    a 2-D grid: long diameter, frontiers of moderate size;
* ``chain``   one vertex a level: thousands of levels, frontiers of one;
* ``broom``   a dense core with a long handle: a hybrid BFS goes bottom-up in the core and must switch back
              to top-down (rebuilding its queue from the bitmap) to walk the handle;
* ``pieces``  disjoint random blocks and isolated vertices: most vertices unreachable from any source;
* ``star``    a hub pointing at n-1 sinks, some pointing back: dangling mass dominates PageRank.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from assignments.graph.common import Graph, chain, from_edges, grid_2d, rmat, uniform_random
from grader.spec import Profile

KINDS = ("random", "rmat", "grid", "chain", "broom", "pieces", "star")


@dataclass(frozen=True)
class GraphCase:
    kind: str
    n: int  # about how many vertices (rmat rounds to a power of two, grid to rows x cols)
    density: int  # about how many edges a vertex
    messy: bool  # add self-loops and duplicate edges
    seed: int
    source: int  # the BFS source is source % (number of vertices)

    def graph(self) -> Graph:
        n, rng = max(self.n, 1), np.random.default_rng(self.seed)
        if self.kind == "rmat":
            g = rmat(max(n.bit_length() - 1, 0), edge_factor=max(self.density, 1), seed=self.seed % 1000)
        elif self.kind == "grid":
            rows = max(int(np.sqrt(n)), 1)
            g = grid_2d(rows, max(n // rows, 1))
        elif self.kind == "chain":
            g = chain(n)
        else:
            tails, heads = self._edges(n, rng)
            g = from_edges(n, tails, heads)
        if self.messy:
            g = _add_mess(g, rng)
        return g

    def _edges(self, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
        if self.kind == "random":
            g = uniform_random(n, self.density * n // 2, seed=self.seed)
            return g.edges()
        if self.kind == "broom":
            core = min(max(2, n // 4), 40, n)
            ids = np.arange(core)
            tails, heads = np.repeat(ids, core), np.tile(ids, core)
            handle = np.arange(core - 1, n - 1)  # core - 1 -> core -> ... -> n - 1
            return np.concatenate([tails, handle]), np.concatenate([heads, handle + 1])
        if self.kind == "pieces":
            block = max(2, n // 5)
            starts = np.arange(0, n, block)[:-1] if n > block else np.zeros(0, np.int64)  # last block: isolated
            tails = [start + rng.integers(0, block, self.density * block) for start in starts]
            heads = [start + rng.integers(0, block, self.density * block) for start in starts]
            return (np.concatenate(tails or [np.zeros(0, np.int64)]),
                    np.concatenate(heads or [np.zeros(0, np.int64)]))
        # star: 0 -> everyone else (sinks), and a few point back
        spokes = np.arange(1, n)
        back = spokes[rng.random(len(spokes)) < self.density / 10]
        return np.concatenate([np.zeros(len(spokes), np.int64), back]), np.concatenate([spokes, np.zeros_like(back)])

    def source_vertex(self, g: Graph) -> int:
        return self.source % g.num_vertices

    def __str__(self) -> str:
        mess = ", with self-loops and duplicate edges" if self.messy else ""
        return (f"kind={self.kind}, n~{self.n}, density={self.density}{mess} (data seed {self.seed}), "
                f"source index {self.source}")


def _add_mess(g: Graph, rng) -> Graph:
    """Self-loops on a few vertices and a second copy of a few edges."""
    tails, heads = g.edges()
    n = g.num_vertices
    loops = rng.integers(0, n, max(1, n // 8))
    copies = rng.integers(0, len(tails), len(tails) // 4) if len(tails) else np.zeros(0, np.int64)
    return from_edges(n, np.concatenate([tails, loops, tails[copies]]),
                      np.concatenate([heads, loops, heads[copies]]))


def max_vertices(profile: Profile) -> int:
    return 24 if profile.simulated else 3000


def cases(profile: Profile):
    largest = max_vertices(profile)
    return st.builds(GraphCase, kind=st.sampled_from(KINDS),
                     n=st.one_of(st.integers(1, 40), st.integers(1, largest)),
                     density=st.integers(0, 6), messy=st.booleans(), seed=st.integers(0, 2**32 - 1),
                     source=st.integers(0, 2**31 - 1))


def edge_cases(profile: Profile) -> list[GraphCase]:
    """Always checked first: the smallest graphs, every kind, sources at both ends."""
    small = [GraphCase("chain", 1, 0, False, 0, 0), GraphCase("chain", 1, 0, True, 1, 0),
             GraphCase("random", 2, 0, False, 2, 1), GraphCase("chain", 5, 0, False, 3, 0),
             GraphCase("chain", 5, 0, False, 3, 4), GraphCase("broom", 17, 0, False, 4, 0),
             GraphCase("star", 9, 3, False, 5, 0), GraphCase("pieces", 16, 2, True, 6, 3),
             GraphCase("grid", 12, 0, False, 7, 5), GraphCase("rmat", 16, 3, True, 8, 2)]
    if profile.simulated:
        return small
    return small + [GraphCase("chain", 1025, 0, False, 9, 0), GraphCase("broom", 257, 0, False, 10, 1),
                    GraphCase("grid", 1024, 0, True, 11, 0), GraphCase("rmat", 2048, 8, False, 12, 7),
                    GraphCase("random", 997, 3, True, 13, 996), GraphCase("pieces", 513, 4, False, 14, 0),
                    GraphCase("star", 1000, 5, True, 15, 3)]

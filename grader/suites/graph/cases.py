"""Hypothesis strategies for graph cases.

A case is a few numbers (kind, size, density, seed, source, whether to add self-loops and duplicate edges,
PageRank's damping and tolerance, a thread count); the graph is built from them by the generators in
``assignments/graph/common.py``. Hypothesis shrinks the numbers, so a failure lands on the smallest, simplest
graph that shows it (n = 0, 1, a chain of 3, ...) and the simplest parameters (the defaults).

Kinds, each aimed at a way to get BFS or PageRank wrong:

* ``random``  uniform random edges: isolated vertices, sinks (dangling), several components, self-loops;
* ``rmat``    Graph500 R-MAT: hubs and skew, the graph the benchmark uses;
* ``grid``    a 2-D grid: long diameter, frontiers of moderate size;
* ``chain``   one vertex a level: thousands of levels, frontiers of one;
* ``broom``   a dense core with a long handle: a hybrid BFS goes bottom-up in the core and must switch back
              to top-down (rebuilding its queue from the bitmap) to walk the handle;
* ``pieces``  disjoint random blocks and isolated vertices: most vertices unreachable from any source;
* ``star``    a hub pointing at n-1 sinks, some pointing back: dangling mass dominates PageRank.

Coverage: every documented parameter, its range, what is drawn and the edge values always checked
(DESIGN.md's assignment table; the handout, assignments/graph/README.md, "The graph" and "What to compute").
tests/test_coverage.py keeps the strategies to it.

* g: vertices -- documented: any n >= 0 (``from_edges`` takes 0 .. 2**31-1); BFS needs n >= 1 (a source). Drawn: BFS
  1..1200 (1..16 simulator); PageRank 0..1200 (0..16). Edge values: 0 (PageRank), 1, 2, 5, 9..17, 1025.
* g: edges -- documented: any multigraph: self-loops, duplicates, sinks, no edges at all. Drawn: 7 kinds x density 0..6,
  messy or not. Edge values: no edges (chain 1, random density 0), hubs, one component or many.
* source -- documented: a vertex, 0 <= source < n. Drawn: any (index mod n). Edge values: 0, n-1, a middle vertex.
* damping -- documented: 0 <= d < 1 (F is then a contraction, handout formula); default 0.85. Drawn: 0..0.99 (0..0.6
  simulator). Edge values: 0, 0.05, 0.5, 0.85, 0.99.
* tol -- documented: > 0; default 1e-7. Drawn: log-uniform from 1e-10 (1e-6 simulator) to where the check's bound
  d/(1-d) tol reaches 1e-4 (at most 1e-2). Edge values: 1e-10, 1e-7, 1e-2.
* num_threads (threaded) -- documented: None (one per core) or >= 1. Drawn: None, 1, 2, 3, 4, 7, 16, 33
  (grader/cases.py). Edge values: None, 1, 33 (above any core count).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from assignments.graph.common import Graph, chain, from_edges, grid_2d, rmat, uniform_random
from grader.cases import cycled_thread_count, thread_counts
from grader.spec import Profile

KINDS = ("random", "rmat", "grid", "chain", "broom", "pieces", "star")
DAMPING, TOL = 0.85, 1e-7  # pagerank's documented defaults


@dataclass(frozen=True)
class GraphCase:
    kind: str
    n: int  # about how many vertices (rmat rounds to a power of two, grid to rows x cols)
    density: int  # about how many edges a vertex
    messy: bool  # add self-loops and duplicate edges
    seed: int
    source: int  # the BFS source is source % (number of vertices)
    damping: float = DAMPING  # PageRank's arguments (BFS ignores them)
    tol: float = TOL
    num_threads: int | None = 3  # the threaded variant's

    def graph(self) -> Graph:
        n, rng = self.n, np.random.default_rng(self.seed)
        if n == 0:
            return from_edges(0, np.zeros(0, np.int32), np.zeros(0, np.int32), name="empty")
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
            tail_blocks = [start + rng.integers(0, block, self.density * block) for start in starts]
            head_blocks = [start + rng.integers(0, block, self.density * block) for start in starts]
            none = [np.zeros(0, np.int64)]
            return np.concatenate(tail_blocks or none), np.concatenate(head_blocks or none)
        # star: 0 -> everyone else (sinks), and a few point back
        spokes = np.arange(1, n)
        back = spokes[rng.random(len(spokes)) < self.density / 10]
        return np.concatenate([np.zeros(len(spokes), np.int64), back]), np.concatenate([spokes, np.zeros_like(back)])

    def source_vertex(self, g: Graph) -> int:
        return self.source % g.num_vertices

    @property
    def default_pagerank(self) -> bool:
        """Whether pagerank is called with its defaults (then the check passes no damping or tol at all)."""
        return (self.damping, self.tol) == (DAMPING, TOL)

    def __str__(self) -> str:
        mess = ", with self-loops and duplicate edges" if self.messy else ""
        return (
            f"kind={self.kind}, n~{self.n}, density={self.density}{mess} (data seed {self.seed}), "
            f"source index {self.source}; pagerank damping={self.damping!r}, tol={self.tol!r}; "
            f"[threaded: num_threads={self.num_threads}]"
        )


def _add_mess(g: Graph, rng) -> Graph:
    """Self-loops on a few vertices and a second copy of a few edges."""
    tails, heads = g.edges()
    n = g.num_vertices
    loops = rng.integers(0, n, max(1, n // 8))
    copies = rng.integers(0, len(tails), len(tails) // 4) if len(tails) else np.zeros(0, np.int64)
    return from_edges(n, np.concatenate([tails, loops, tails[copies]]), np.concatenate([heads, loops, heads[copies]]))


def max_vertices(profile: Profile) -> int:
    # The simulator runs every GPU thread in Python: a launch costs ~0.1 s, a BFS level a few launches and a
    # PageRank iteration two, so it gets graphs of a few blocks (16 vertices: 64 PageRank threads at 4 a vertex).
    # On a CPU 1,200: past 1,024 (bitmap words, chunks, a second rank's share), and a chain of 1,200 levels
    # costs a level-synchronous BFS ~1 s (a barrier a level, slower on a busy machine).
    return 16 if profile.simulated else 1200


def vertex_counts(profile: Profile, smallest: int):
    largest = max_vertices(profile)
    return st.one_of(st.integers(smallest, min(40, largest)), st.integers(smallest, largest))


def dampings(profile: Profile):
    """Damping in [0, 0.99]: 0 (the answer is uniform), small, the default, close to 1 (slow to converge:
    about ln(tol) / ln(d) iterations, 2,300 at d = 0.99, tol = 1e-10). On the simulator at most 0.6, where an
    iteration is two kernel launches (~0.1 s each): F is a d-contraction in L1, so the change in iteration k
    is at most 2 d^(k-1), and with tol >= 1e-6 no graph takes more than 30 iterations (27 the most among every
    kind, 0..16 vertices; the reference's slowest, a 15-vertex grid, 3.6 s at load 7 on 2 cores, against the
    60 s call limit); its edge cases hold 0.85 and 0.99 on graphs that converge fast."""
    top = 0.6 if profile.simulated else 0.99
    return st.one_of(st.sampled_from([d for d in (0.0, 0.05, 0.5, DAMPING, 0.99) if d <= top]), st.floats(0.0, top))


# The loosest check a PageRank case may come to: its tolerance (oracle.pagerank_tolerance, ~ d/(1-d) * tol) is
# kept at or below this, so that no drawn (damping, tol) pair makes the check accept nearly anything.
LOOSEST_CHECK = 1e-4


def tolerances(profile: Profile, damping: float):
    """tol, log-uniform from 1e-10 (1e-6 on the simulator) up to the largest value whose error bound
    d/(1-d) * tol stays within LOOSEST_CHECK, at most 1e-2: small enough that a learner who ignores tol
    (stopping at 1e-7 always) misses the tighter answer, large enough that float64 rounding (~n * 1e-16 in
    the L1 change) never keeps a correct iteration from stopping."""
    low = -6.0 if profile.simulated else -10.0
    high = -2.0 if damping == 0 else min(-2.0, math.log10(LOOSEST_CHECK * (1 - damping) / damping))
    special = [10.0**low] + [t for t in (TOL, 1e-2) if 10**low < t < 10**high] + [10.0**high]
    return st.one_of(st.sampled_from(special), st.floats(low, high).map(lambda exponent: float(10.0**exponent)))


def _cases(profile: Profile, smallest: int, damping: float = DAMPING, tol: st.SearchStrategy[float] | None = None):
    """Graph cases of at least ``smallest`` vertices; PageRank's tol drawn from ``tol`` (None: the default)."""
    return st.builds(
        GraphCase,
        kind=st.sampled_from(KINDS),
        n=vertex_counts(profile, smallest),
        density=st.integers(0, 6),
        messy=st.booleans(),
        seed=st.integers(0, 2**32 - 1),
        source=st.integers(0, 2**31 - 1),
        damping=st.just(damping),
        tol=st.just(TOL) if tol is None else tol,
        num_threads=thread_counts(),
    )


def cases(profile: Profile):
    """BFS cases: graphs of at least one vertex (the source is one of them)."""
    return _cases(profile, 1)


def pagerank_cases(profile: Profile):
    """PageRank cases: graphs from zero vertices up, damping drawn, then tol within its bound."""
    return dampings(profile).flatmap(lambda d: _cases(profile, 0, d, tolerances(profile, d)))


def edge_cases(profile: Profile) -> list[GraphCase]:
    """BFS: always checked first: the smallest graphs, every kind, no edges, sources at both ends."""
    small = [
        GraphCase("chain", 1, 0, False, 0, 0),
        GraphCase("chain", 1, 0, True, 1, 0),
        GraphCase("random", 2, 0, False, 2, 1),
        GraphCase("random", 7, 0, False, 2, 3),
        GraphCase("chain", 5, 0, False, 3, 0),
        GraphCase("chain", 5, 0, False, 3, 4),
        GraphCase("broom", 13, 0, False, 4, 0),
        GraphCase("star", 9, 3, False, 5, 0),
        GraphCase("pieces", 16, 2, True, 6, 3),
        GraphCase("grid", 12, 0, False, 7, 5),
        GraphCase("rmat", 16, 3, True, 8, 2),
    ]
    if not profile.simulated:
        small += [
            GraphCase("chain", 1025, 0, False, 9, 0),
            GraphCase("broom", 257, 0, False, 10, 1),
            GraphCase("grid", 1024, 0, True, 11, 0),
            GraphCase("rmat", 2048, 8, False, 12, 7),
            GraphCase("random", 997, 3, True, 13, 996),
            GraphCase("pieces", 513, 4, False, 14, 0),
            GraphCase("star", 1000, 5, True, 15, 3),
        ]
    return [dataclasses.replace(case, num_threads=cycled_thread_count(index)) for index, case in enumerate(small)]


def pagerank_edge_cases(profile: Profile) -> list[GraphCase]:
    """PageRank: always checked first: no vertex, one, no edges, each kind once, with damping at 0, small,
    the default, close to 1, and tol at both ends of its range, on graphs that converge in at most a few
    hundred iterations (MPI pays a collective for each; on the simulator, at most ~20: tests/test_coverage.py
    counts them)."""
    small = [
        GraphCase("chain", 0, 0, False, 0, 0, damping=0.99, tol=1e-10),  # no vertex at all
        GraphCase("chain", 1, 0, True, 1, 0, damping=0.99, tol=1e-10),  # one vertex, a self-loop
        GraphCase("random", 7, 0, False, 2, 0, damping=0.5),  # no edges: every vertex dangling
        GraphCase("star", 9, 3, False, 5, 0, damping=0.99),
        GraphCase("star", 12, 3, True, 5, 0),  # the defaults, passed by omission
        GraphCase("chain", 5, 0, False, 3, 0, damping=0.0, tol=1e-2),
        GraphCase("rmat", 16, 3, True, 8, 0, damping=0.3, tol=1e-10),
        GraphCase("pieces", 16, 2, True, 6, 0, damping=0.05, tol=1e-10),
        GraphCase("broom", 13, 0, False, 4, 0, damping=0.5, tol=1e-6),
    ]
    if not profile.simulated:
        small += [
            GraphCase("grid", 12, 0, False, 7, 0, damping=0.99, tol=1e-10),
            GraphCase("random", 997, 3, True, 13, 0, damping=0.99, tol=1e-10),
            GraphCase("chain", 1025, 0, False, 9, 0, damping=0.95, tol=1e-9),
            GraphCase("rmat", 2048, 8, False, 12, 0),
            GraphCase("random", 997, 3, True, 13, 0, tol=1e-10),
            GraphCase("pieces", 513, 4, False, 14, 0, damping=0.95, tol=1e-8),
            GraphCase("star", 1000, 5, True, 15, 0, damping=0.05),
        ]
    return [dataclasses.replace(case, num_threads=cycled_thread_count(index)) for index, case in enumerate(small)]

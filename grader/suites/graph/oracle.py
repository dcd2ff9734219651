"""The graph oracle: BFS distances and PageRank scores, written for clarity with plain numpy.

BFS. ``bfs(g, source)`` expands one level at a time along out-edges: the next frontier is every
out-neighbour of the frontier not yet reached. Distances are integers, so a correct BFS (top-down,
bottom-up or hybrid) matches exactly: the tolerance is 0.

PageRank. With d = damping, n vertices, out-degree deg(u) (duplicates counted) and D the set of vertices with
no out-edges (dangling), one iteration is the map

    F(x)[v] = (1 - d)/n + d * (sum over edges u->v of x[u]/deg(u)) + d * (sum over u in D of x[u]) / n,

started from x = 1/n everywhere; a learner stops at the first x_{k+1} = F(x_k) with ||x_{k+1} - x_k||_1 < tol
and returns x_{k+1}. F is a contraction with factor d in the L1 norm on vectors summing to 1 (it is a
column-stochastic matrix scaled by d plus a constant), so for the unique fixed point x*:

    ||x_{k+1} - x*||_1 <= d/(1-d) * ||x_{k+1} - x_k||_1 < d/(1-d) * tol = 5.67e-7 for d = 0.85, tol = 1e-7.

The oracle iterates to a fixed point within 1e-13 of x*, so a correct answer lies within d/(1-d) * tol of the
oracle in L1, hence also in max-abs (max-abs <= L1). :func:`pagerank_tolerance` is that bound, widened for
float64 rounding: the learner's L1 change is a sum of n rounded terms (under 1e-12 off for the graphs drawn,
n <= 3000), and the oracle's own 1e-13. It is 5.7e-7 for the defaults (d = 0.85, tol = 1e-7), ~1e-8 at
d = 0.99, tol = 1e-10, and 1e-12 at d = 0 (one iteration gives the exact 1/n). So it always passes a correct
implementation and fails one that drops the dangling mass (off by about d * (dangling mass) / n on every vertex
and more on their successors), the teleport term, the damping it was given or the tol it was given (when tol
is small and the answer converges slowly enough to show it).

For large graphs (the benchmark's timed output) recomputing x* costs ~150 iterations; :func:`pagerank_residual`
certifies an answer with one iteration instead: ||F(x) - x||_1 <= r implies ||x - x*||_1 <= r / (1 - d),
and a correct answer has r < d * tol (the last step contracted by d).
"""

from __future__ import annotations

import numpy as np

PAGERANK_TOLERANCE = 1e-6  # max-abs, for the defaults: pagerank_tolerance(0.85, 1e-7) = 5.7e-7, rounded up
FIXED_POINT_TOL = 1e-13
ROUNDING = 1e-12  # the float64 rounding allowed in a learner's L1 change and in its scores (derived above)
# 0.99**10000 ~ 2e-44: far past FIXED_POINT_TOL for every damping drawn (<= 0.99: about 3,000 iterations there);
# a guard against a rounding-noise floor.
MAX_ITERATIONS = 10_000


def _gather_neighbors(offsets: np.ndarray, neighbors: np.ndarray, vertices: np.ndarray) -> np.ndarray:
    """All neighbours of ``vertices`` (with repeats), by one vectorized gather."""
    starts = offsets[vertices]
    counts = offsets[vertices + 1] - starts
    total = int(counts.sum())
    if total == 0:
        return neighbors[:0]
    # position of each gathered edge = its row's start + its rank within the row
    row_of_edge = np.repeat(np.arange(len(vertices)), counts)
    first_edge_of_row = np.cumsum(counts) - counts
    return neighbors[starts[row_of_edge] + (np.arange(total) - first_edge_of_row[row_of_edge])]


def bfs(g, source: int) -> np.ndarray:
    """int32 distances along out-edges from ``source`` (number of edges on a shortest path), -1 if unreachable."""
    n = g.num_vertices
    distance = np.full(n, -1, dtype=np.int32)
    distance[source] = 0
    frontier = np.array([source], dtype=np.int64)
    level = 0
    while frontier.size:
        reached = _gather_neighbors(g.out_offsets, g.out_neighbors, frontier)
        frontier = np.unique(reached[distance[reached] == -1]).astype(np.int64)
        level += 1
        distance[frontier] = level
    return distance


def pagerank_step(g, x: np.ndarray, damping: float) -> np.ndarray:
    """One application of F (module docstring) in float64."""
    n = g.num_vertices
    out_degree = np.diff(g.out_offsets)
    dangling = out_degree == 0
    share = np.divide(x, out_degree, out=np.zeros(n), where=~dangling)
    tails = np.repeat(np.arange(n), out_degree)
    pulled = np.bincount(g.out_neighbors, weights=share[tails], minlength=n)
    return (1.0 - damping) / n + damping * (pulled + x[dangling].sum() / n)


def pagerank(g, damping: float = 0.85) -> np.ndarray:
    """The fixed point x* of F, to FIXED_POINT_TOL in L1 (see the module docstring)."""
    n = g.num_vertices
    x = np.full(n, 1.0 / n) if n else np.zeros(0)
    for _ in range(MAX_ITERATIONS if n else 0):
        new = pagerank_step(g, x, damping)
        change = np.abs(new - x).sum()
        x = new
        if change < FIXED_POINT_TOL * (1.0 - damping):
            break
    return x


def pagerank_tolerance(damping: float, tol: float) -> float:
    """Max-abs distance from x* allowed to an answer stopped at L1 change < ``tol`` (module docstring)."""
    return damping / (1.0 - damping) * (tol + ROUNDING) + ROUNDING


def pagerank_residual(g, x: np.ndarray, damping: float = 0.85) -> float:
    """||F(x) - x||_1: an answer with residual r lies within r / (1 - damping) of x* in L1."""
    return float(np.abs(pagerank_step(g, x.astype(np.float64), damping) - x).sum())

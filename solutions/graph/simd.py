"""Assignment 5, SIMD: BFS and PageRank on one core, with the frontier as a packed bitmap.

One core, so the speed must come from touching fewer bytes and from the vector units:

* The visited set and the bottom-up frontier are bitmaps of uint64 words: 1M vertices fit in 128 KiB, inside
  L2, where a byte a vertex (1 MiB) would not. A whole word of 64 visited vertices is skipped with one test,
  and "visited |= next" runs 64 vertices per word operation (and the compiler packs several words into one
  vector register).
* PageRank's per-vertex passes are branch-free (a multiply by 1/deg, which is 0 for a dangling vertex,
  instead of an ``if``), so they compile to packed vector instructions; ``fastmath`` lets the compiler
  reorder the floating-point sums into vector lanes (changing the result by rounding only, ~1e-16 relative).

Cost model: as the threaded variant's (see threaded.py), on one core. Top-down is bound by random reads
of the visited bitmap; bottom-up by the in-edges it scans before finding a parent; PageRank by the 4-byte
index and 8-byte random read per edge.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .common import Graph

ALPHA = 14  # Beamer's thresholds (see threaded.py)
BETA = 24
WORD_BITS = 64


@njit(cache=True, inline="always")
def test_bit(bits, v):
    return (bits[v >> 6] >> np.uint64(v & 63)) & np.uint64(1)


@njit(cache=True, inline="always")
def set_bit(bits, v):
    bits[v >> 6] |= np.uint64(1) << np.uint64(v & 63)


@njit(cache=True)
def top_down_step(out_offsets, out_neighbors, in_offsets, frontier, visited, distance, level):
    """Expand the frontier queue one level; return (next frontier, its out-edges, its in-edges)."""
    next_frontier = np.empty(len(distance), np.int32)
    count = 0
    next_out_edges = 0
    next_in_edges = 0
    for u in frontier:
        for e in range(out_offsets[u], out_offsets[u + 1]):
            v = out_neighbors[e]
            if not test_bit(visited, v):
                set_bit(visited, v)
                distance[v] = level + 1
                next_frontier[count] = v
                count += 1
                next_out_edges += out_offsets[v + 1] - out_offsets[v]
                next_in_edges += in_offsets[v + 1] - in_offsets[v]
    return next_frontier[:count], next_out_edges, next_in_edges


@njit(cache=True)
def bottom_up_step(out_offsets, in_offsets, in_neighbors, frontier_bits, next_bits, visited, distance, level):
    """Unvisited vertices look for a parent in ``frontier_bits``; marks ``next_bits``, then folds it into
    ``visited`` word by word. Returns (vertices found, their out-edges, their in-edges)."""
    n = len(distance)
    found = 0
    next_out_edges = 0
    next_in_edges = 0
    next_bits[:] = 0
    for w in range(len(visited)):
        unvisited = ~visited[w]
        if unvisited == 0:
            continue  # 64 visited vertices skipped with one test
        for b in range(WORD_BITS):
            v = w * WORD_BITS + b
            if v >= n:
                break
            if (unvisited >> np.uint64(b)) & np.uint64(1):
                for e in range(in_offsets[v], in_offsets[v + 1]):
                    if test_bit(frontier_bits, in_neighbors[e]):
                        distance[v] = level + 1
                        next_bits[w] |= np.uint64(1) << np.uint64(b)
                        found += 1
                        next_out_edges += out_offsets[v + 1] - out_offsets[v]
                        next_in_edges += in_offsets[v + 1] - in_offsets[v]
                        break
    for w in range(len(visited)):  # whole words at a time: vectorizes
        visited[w] |= next_bits[w]
    return found, next_out_edges, next_in_edges


@njit(cache=True)
def queue_to_bits(frontier, bits):
    bits[:] = 0
    for v in frontier:
        set_bit(bits, v)


@njit(cache=True)
def bits_to_queue(bits, n):
    queue = np.empty(n, np.int32)
    count = 0
    for w in range(len(bits)):
        word = bits[w]
        if word == 0:
            continue
        for b in range(WORD_BITS):
            if (word >> np.uint64(b)) & np.uint64(1):
                queue[count] = w * WORD_BITS + b
                count += 1
    return queue[:count]


@njit(cache=True)
def bfs_levels(out_offsets, out_neighbors, in_offsets, in_neighbors, source, mode):
    """mode 0: top-down only; 1: bottom-up only; 2: hybrid (Beamer's switch both ways)."""
    n = len(out_offsets) - 1
    words = (n + WORD_BITS - 1) // WORD_BITS
    distance = np.full(n, -1, np.int32)
    distance[source] = 0
    visited = np.zeros(words, np.uint64)
    set_bit(visited, source)
    frontier = np.array([source], np.int32)
    frontier_bits = np.zeros(words, np.uint64)
    next_bits = np.zeros(words, np.uint64)
    frontier_size = 1
    frontier_out_edges = out_offsets[source + 1] - out_offsets[source]
    unvisited_in_edges = len(in_neighbors) - (in_offsets[source + 1] - in_offsets[source])
    bottom_up = mode == 1
    if bottom_up:
        set_bit(frontier_bits, source)
    level = 0
    while frontier_size > 0:
        if mode == 2:
            if not bottom_up and frontier_out_edges * ALPHA > unvisited_in_edges:
                queue_to_bits(frontier, frontier_bits)
                bottom_up = True
            elif bottom_up and frontier_size * BETA < n:
                frontier = bits_to_queue(frontier_bits, n)
                bottom_up = False
        if bottom_up:
            frontier_size, frontier_out_edges, found_in_edges = bottom_up_step(
                out_offsets, in_offsets, in_neighbors, frontier_bits, next_bits, visited, distance, level
            )
            frontier_bits, next_bits = next_bits, frontier_bits
        else:
            frontier, frontier_out_edges, found_in_edges = top_down_step(
                out_offsets, out_neighbors, in_offsets, frontier, visited, distance, level
            )
            frontier_size = len(frontier)
        unvisited_in_edges -= found_in_edges
        level += 1
    return distance


def bfs_top_down(g: Graph, source: int) -> np.ndarray:
    """int32 distances from ``source`` along out-edges (-1: unreachable), expanding a frontier queue."""
    return bfs_levels(g.out_offsets, g.out_neighbors, g.in_offsets, g.in_neighbors, source, 0)


def bfs_bottom_up(g: Graph, source: int) -> np.ndarray:
    """Same distances; each level, every unvisited vertex searches its in-neighbours for a parent."""
    return bfs_levels(g.out_offsets, g.out_neighbors, g.in_offsets, g.in_neighbors, source, 1)


def bfs_hybrid(g: Graph, source: int) -> np.ndarray:
    """Same distances; top-down while the frontier is small, bottom-up while it is large (Beamer)."""
    return bfs_levels(g.out_offsets, g.out_neighbors, g.in_offsets, g.in_neighbors, source, 2)


# --------------------------------------------------------------------------------------------- PageRank
@njit(cache=True)
def pull_scores(in_offsets, in_neighbors, share, base, damping, x):
    """x[v] <- base + d * sum of in-neighbours' shares; returns the L1 change.

    Left scalar on purpose: most R-MAT rows hold 0-2 edges, too short for vector lanes, and a vectorized
    gather (tried: ``fastmath=True``) ran 1.5x slower here. The loop is bound by the random 8-byte reads of
    ``share``, which no instruction set removes."""
    change = 0.0
    for v in range(len(x)):
        pulled = 0.0
        for e in range(in_offsets[v], in_offsets[v + 1]):
            pulled += share[in_neighbors[e]]
        score = base + damping * pulled
        change += abs(score - x[v])
        x[v] = score
    return change


@njit(cache=True, fastmath=True)
def shares_and_dangling_mass(x, inverse_degree, is_dangling, share):
    """share = x / deg (0 for dangling vertices) and the dangling mass, branch-free: packed multiplies."""
    dangling_mass = 0.0
    for u in range(len(x)):
        share[u] = x[u] * inverse_degree[u]
        dangling_mass += x[u] * is_dangling[u]
    return dangling_mass


@njit(cache=True)
def pagerank_power(in_offsets, in_neighbors, out_degree, damping, tol):
    n = len(out_degree)
    is_dangling = (out_degree == 0).astype(np.float64)
    inverse_degree = 1.0 / np.maximum(out_degree, 1) * (1.0 - is_dangling)
    x = np.full(n, 1.0 / n)
    share = np.empty(n)
    while True:
        dangling_mass = shares_and_dangling_mass(x, inverse_degree, is_dangling, share)
        base = (1.0 - damping) / n + damping * dangling_mass / n
        if pull_scores(in_offsets, in_neighbors, share, base, damping, x) < tol:
            return x


def pagerank(g: Graph, damping: float = 0.85, tol: float = 1e-7) -> np.ndarray:
    """float64 PageRank scores (sum 1), dangling mass spread evenly, stopped when the L1 change < tol."""
    if g.num_vertices == 0:
        return np.zeros(0)
    return pagerank_power(g.in_offsets, g.in_neighbors, np.diff(g.out_offsets), float(damping), float(tol))

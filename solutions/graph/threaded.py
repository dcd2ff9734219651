"""Assignment 5, threaded: BFS (top-down, bottom-up, direction-optimizing) and PageRank with numba prange.

Every function is level-synchronous: one parallel loop per BFS level (or PageRank iteration), all threads
meeting at the loop's end. The whole driver is compiled too (``@njit``), so a graph with thousands of levels
(a long chain) pays a few microseconds a level, not a Python round trip.

Races. Top-down threads may discover the same vertex at once: both read ``distance[v] == -1`` and both write
the same ``level + 1`` -- a benign race, because every writer writes the same value. The vertex may then sit
twice in the next frontier, which costs a little repeated work and changes no distance. Bottom-up has no race
at all: each vertex is written only by the thread that owns it.

Cost model (m edges, n vertices, L levels). Top-down reads each reached edge once: O(m) in all, bound by
random 4-byte reads of ``distance``. Bottom-up scans every unvisited vertex each level but stops at the first
parent found, so on a small-world graph the big middle levels touch a fraction of the edges. Hybrid switches
by Beamer's rule (SC'12): go bottom-up when the frontier's out-edges exceed 1/ALPHA of the unvisited vertices'
in-edges, and back top-down when the frontier shrinks below n/BETA vertices. PageRank pulls along in-edges:
per iteration 4 bytes of index and one 8-byte random read per edge, plus 3 passes over n float64 values;
memory bandwidth and the random reads bound it.
"""

from __future__ import annotations

import os

import numba
import numpy as np
from numba import njit, prange

from .common import Graph

ALPHA = 14  # Beamer's thresholds, tuned in his paper on R-MAT and social graphs
BETA = 24
CHUNKS_PER_THREAD = 8  # more chunks than threads: a chunk stuck on a hub does not idle the others


# --------------------------------------------------------------------------------------------- top-down
@njit(cache=True, parallel=True)
def top_down_step(out_offsets, out_neighbors, in_offsets, frontier, distance, level, num_chunks):
    """Expand ``frontier`` one level; return (next frontier, its out-edges, its in-edges).

    Chunks are cut by edge count, not vertex count, so a hub does not load one thread with all the work.
    Each chunk writes its discoveries into its own slice of a scratch array (sized by the chunk's edges, so
    it cannot overflow) and a second parallel pass packs the slices together.
    """
    size = len(frontier)
    edge_prefix = np.empty(size + 1, np.int64)
    edge_prefix[0] = 0
    for i in range(size):
        u = frontier[i]
        edge_prefix[i + 1] = edge_prefix[i] + out_offsets[u + 1] - out_offsets[u]
    total_edges = edge_prefix[size]
    chunk_start = np.empty(num_chunks + 1, np.int64)
    for c in range(num_chunks + 1):
        chunk_start[c] = np.searchsorted(edge_prefix, total_edges * c // num_chunks)
    chunk_start[num_chunks] = size
    scratch = np.empty(total_edges, np.int32)
    found = np.zeros(num_chunks, np.int64)
    next_out_edges = 0
    next_in_edges = 0
    for c in prange(num_chunks):
        write = edge_prefix[chunk_start[c]]
        count = 0
        for i in range(chunk_start[c], chunk_start[c + 1]):
            u = frontier[i]
            for e in range(out_offsets[u], out_offsets[u + 1]):
                v = out_neighbors[e]
                if distance[v] == -1:  # benign race: concurrent writers all store level + 1
                    distance[v] = level + 1
                    scratch[write + count] = v
                    count += 1
                    next_out_edges += out_offsets[v + 1] - out_offsets[v]
                    next_in_edges += in_offsets[v + 1] - in_offsets[v]
        found[c] = count
    packed_start = np.zeros(num_chunks + 1, np.int64)
    for c in range(num_chunks):
        packed_start[c + 1] = packed_start[c] + found[c]
    next_frontier = np.empty(packed_start[num_chunks], np.int32)
    for c in prange(num_chunks):
        source = edge_prefix[chunk_start[c]]
        next_frontier[packed_start[c] : packed_start[c + 1]] = scratch[source : source + found[c]]
    return next_frontier, next_out_edges, next_in_edges


# --------------------------------------------------------------------------------------------- bottom-up
@njit(cache=True, parallel=True)
def bottom_up_step(out_offsets, in_offsets, in_neighbors, in_frontier, in_next, distance, level):
    """Every unvisited vertex looks for a parent among its in-neighbours in ``in_frontier`` (one byte a
    vertex) and stops at the first; marks ``in_next``. Returns (vertices found, their out-edges, in-edges)."""
    found = 0
    next_out_edges = 0
    next_in_edges = 0
    for v in prange(len(distance)):
        in_next[v] = 0
        if distance[v] == -1:
            for e in range(in_offsets[v], in_offsets[v + 1]):
                if in_frontier[in_neighbors[e]]:
                    distance[v] = level + 1
                    in_next[v] = 1
                    found += 1
                    next_out_edges += out_offsets[v + 1] - out_offsets[v]
                    next_in_edges += in_offsets[v + 1] - in_offsets[v]
                    break
    return found, next_out_edges, next_in_edges


# --------------------------------------------------------------------------------------------- conversions
@njit(cache=True, parallel=True)
def queue_to_map(frontier, in_frontier):
    in_frontier[:] = 0
    for i in prange(len(frontier)):
        in_frontier[frontier[i]] = 1


@njit(cache=True, parallel=True)
def map_to_queue(in_frontier, num_chunks):
    """The vertices marked in ``in_frontier``, ascending: count per chunk, prefix-sum, write per chunk."""
    n = len(in_frontier)
    counts = np.zeros(num_chunks + 1, np.int64)
    for c in prange(num_chunks):
        count = 0
        for v in range(c * n // num_chunks, (c + 1) * n // num_chunks):
            count += in_frontier[v]
        counts[c + 1] = count
    for c in range(num_chunks):
        counts[c + 1] += counts[c]
    queue = np.empty(counts[num_chunks], np.int32)
    for c in prange(num_chunks):
        write = counts[c]
        for v in range(c * n // num_chunks, (c + 1) * n // num_chunks):
            if in_frontier[v]:
                queue[write] = v
                write += 1
    return queue


# --------------------------------------------------------------------------------------------- drivers
@njit(cache=True)
def bfs_levels(out_offsets, out_neighbors, in_offsets, in_neighbors, source, mode, num_chunks):
    """mode 0: top-down only; 1: bottom-up only; 2: hybrid (Beamer's switch both ways)."""
    n = len(out_offsets) - 1
    distance = np.full(n, -1, np.int32)
    distance[source] = 0
    frontier = np.array([source], np.int32)
    in_frontier = np.zeros(n, np.uint8)
    in_next = np.zeros(n, np.uint8)
    frontier_size = 1
    frontier_out_edges = out_offsets[source + 1] - out_offsets[source]
    unvisited_in_edges = len(in_neighbors) - (in_offsets[source + 1] - in_offsets[source])
    bottom_up = mode == 1
    if bottom_up:
        in_frontier[source] = 1
    level = 0
    while frontier_size > 0:
        if mode == 2:
            if not bottom_up and frontier_out_edges * ALPHA > unvisited_in_edges:
                queue_to_map(frontier, in_frontier)  # switch to bottom-up: the frontier becomes a map
                bottom_up = True
            elif bottom_up and frontier_size * BETA < n:
                frontier = map_to_queue(in_frontier, num_chunks)  # and back: the map becomes a queue
                bottom_up = False
        if bottom_up:
            frontier_size, frontier_out_edges, found_in_edges = bottom_up_step(
                out_offsets, in_offsets, in_neighbors, in_frontier, in_next, distance, level
            )
            in_frontier, in_next = in_next, in_frontier
        else:
            frontier, frontier_out_edges, found_in_edges = top_down_step(
                out_offsets, out_neighbors, in_offsets, frontier, distance, level, num_chunks
            )
            frontier_size = len(frontier)
        unvisited_in_edges -= found_in_edges
        level += 1
    return distance


def _run_bfs(g: Graph, source: int, mode: int, num_threads) -> np.ndarray:
    threads = min(num_threads or os.cpu_count() or 1, numba.config.NUMBA_NUM_THREADS)
    previous = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        return bfs_levels(
            g.out_offsets,
            g.out_neighbors,
            g.in_offsets,
            g.in_neighbors,
            source,
            mode,
            (num_threads or threads) * CHUNKS_PER_THREAD,
        )
    finally:
        numba.set_num_threads(previous)


def bfs_top_down(g: Graph, source: int, num_threads=None) -> np.ndarray:
    """int32 distances from ``source`` along out-edges (-1: unreachable), expanding a frontier queue."""
    return _run_bfs(g, source, 0, num_threads)


def bfs_bottom_up(g: Graph, source: int, num_threads=None) -> np.ndarray:
    """Same distances; each level, every unvisited vertex searches its in-neighbours for a parent."""
    return _run_bfs(g, source, 1, num_threads)


def bfs_hybrid(g: Graph, source: int, num_threads=None) -> np.ndarray:
    """Same distances; top-down while the frontier is small, bottom-up while it is large (Beamer)."""
    return _run_bfs(g, source, 2, num_threads)


# --------------------------------------------------------------------------------------------- PageRank
@njit(cache=True, parallel=True)
def pagerank_iteration(in_offsets, in_neighbors, out_degree, damping, dangling_mass, share, x, next_share):
    """One power iteration, each vertex pulling ``x[u] / deg(u)`` from its in-neighbours (no write
    conflicts). Returns (L1 change, next dangling mass).

    Vertex v's new score is computed, its change summed, and its share for the next iteration (score /
    out-degree, or its score added to the dangling mass) prepared in the same loop: one pass over the
    vertices. ``x[v]`` is overwritten in place because only iteration v reads it; the shares are
    double-buffered because every vertex reads its in-neighbours' shares.
    """
    n = len(x)
    # teleport plus the dangling mass spread evenly: the same for every vertex
    base = (1.0 - damping) / n + damping * dangling_mass / n
    change = 0.0
    next_dangling_mass = 0.0
    for v in prange(n):
        pulled = 0.0
        for e in range(in_offsets[v], in_offsets[v + 1]):
            pulled += share[in_neighbors[e]]
        score = base + damping * pulled
        change += abs(score - x[v])
        x[v] = score
        if out_degree[v] == 0:
            next_share[v] = 0.0
            next_dangling_mass += score
        else:
            next_share[v] = score / out_degree[v]
    return change, next_dangling_mass


@njit(cache=True)
def pagerank_pull(in_offsets, in_neighbors, out_degree, damping, tol):
    n = len(out_degree)
    x = np.full(n, 1.0 / n)
    share = np.where(out_degree == 0, 0.0, x / np.maximum(out_degree, 1))
    next_share = np.empty(n)
    dangling_mass = x[out_degree == 0].sum()
    while True:
        change, dangling_mass = pagerank_iteration(
            in_offsets, in_neighbors, out_degree, damping, dangling_mass, share, x, next_share
        )
        share, next_share = next_share, share
        if change < tol:
            return x


def pagerank(g: Graph, damping: float = 0.85, tol: float = 1e-7, num_threads=None) -> np.ndarray:
    """float64 PageRank scores (sum 1), dangling mass spread evenly, stopped when the L1 change < tol."""
    if g.num_vertices == 0:
        return np.zeros(0)
    threads = min(num_threads or os.cpu_count() or 1, numba.config.NUMBA_NUM_THREADS)
    previous = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        return pagerank_pull(g.in_offsets, g.in_neighbors, np.diff(g.out_offsets), float(damping), float(tol))
    finally:
        numba.set_num_threads(previous)

"""Assignment 5, threaded: BFS (top-down, bottom-up, hybrid) and PageRank with numba ``prange``.

Read README.md first. Every function takes ``num_threads`` (None: all cores); :func:`with_threads` runs a
compiled function on that many numba threads, so you can write the parallel loops with ``prange`` and
leave thread management to it. Keep the driver loops inside ``@njit`` functions too: a chain graph has
thousands of levels, and a Python round trip per level would dominate.
"""

from __future__ import annotations

import os

import numba
import numpy as np
from numba import njit, prange  # noqa: F401  (you will need them)

from .common import Graph


def with_threads(num_threads, function, *args):
    """Call ``function(*args)`` with numba using ``num_threads`` threads (None: every core)."""
    threads = min(num_threads or os.cpu_count() or 1, numba.config.NUMBA_NUM_THREADS)
    previous = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        return function(*args)
    finally:
        numba.set_num_threads(previous)


def bfs_top_down(g: Graph, source: int, num_threads=None) -> np.ndarray:
    """int32 distances from ``source`` along out-edges (-1: unreachable)."""
    # TODO: level-synchronous top-down BFS. Keep a frontier queue (int32 vertex ids); each level, in
    #   parallel over the frontier (prange), visit every out-neighbour v (g.out_offsets / g.out_neighbors)
    #   with distance[v] == -1, set distance[v] = level + 1 and add v to the next frontier. Two threads
    #   may find the same v at once: decide whether that race is harmful (what do both of them write?)
    #   and give each thread its own place to write its discoveries (no shared append without atomics).
    raise NotImplementedError("TODO: write a parallel top-down BFS over a frontier queue")


def bfs_bottom_up(g: Graph, source: int, num_threads=None) -> np.ndarray:
    """Same distances, computed bottom-up."""
    # TODO: level-synchronous bottom-up BFS. Keep the frontier as a map (one byte or bit per vertex);
    #   each level, in parallel over all vertices, an unvisited vertex v scans its in-neighbours
    #   (g.in_offsets / g.in_neighbors) and joins the next frontier at level + 1 as soon as one of them is
    #   in the current frontier (then stop scanning). Stop when a level finds no new vertex.
    raise NotImplementedError("TODO: write a parallel bottom-up BFS over a frontier map")


def bfs_hybrid(g: Graph, source: int, num_threads=None) -> np.ndarray:
    """Same distances; switches between top-down and bottom-up each level."""
    # TODO: direction-optimizing BFS (Beamer et al., SC'12). Track m_f (out-edges of the frontier) and
    #   m_u (in-edges of the unvisited vertices). Go bottom-up when m_f > m_u / 14; come back top-down
    #   when the frontier holds fewer than n / 24 vertices. Convert the frontier between queue and map
    #   when you switch, in both directions.
    raise NotImplementedError("TODO: write the direction-optimizing (hybrid) BFS")


def pagerank(g: Graph, damping: float = 0.85, tol: float = 1e-7, num_threads=None) -> np.ndarray:
    """float64 scores: x[v] = (1-d)/n + d * (sum over u->v of x[u]/outdeg(u) + dangling mass / n)."""
    # TODO: power iteration from x = 1/n. Pull, in parallel over vertices: each v sums x[u]/outdeg(u)
    #   over its in-neighbours (no two threads write the same v). Vertices with no out-edges spread
    #   their score evenly over all n vertices. Stop after the first iteration whose L1 change
    #   sum |x_new - x_old| is below tol and return x_new. A graph with n = 0 returns an empty array.
    raise NotImplementedError("TODO: write a parallel pull-style PageRank")

"""Assignment 5, SIMD: BFS and PageRank on one core, written so the compiler can use vector instructions.

Read README.md first. One core only (no prange): speed comes from touching fewer bytes (bitmaps) and from
loops the compiler can pack into vector registers (no branches in the hot loop, whole words at a time).
The grader prints whether your compiled code holds packed vector instructions.
"""

from __future__ import annotations

import numpy as np
from numba import njit  # noqa: F401  (you will need it)

from .common import Graph


def bfs_top_down(g: Graph, source: int) -> np.ndarray:
    """int32 distances from ``source`` along out-edges (-1: unreachable)."""
    # TODO: a compiled (@njit) top-down BFS with a frontier queue; keep the visited set as a bitmap of
    #   uint64 words (v lives in word v >> 6, bit v & 63): 1M vertices in 128 KiB, inside L2.
    raise NotImplementedError("TODO: write a single-core top-down BFS with a visited bitmap")


def bfs_bottom_up(g: Graph, source: int) -> np.ndarray:
    """Same distances, computed bottom-up."""
    # TODO: the frontier and the visited set as uint64 bitmaps. Skip a word whose 64 vertices are all
    #   visited with one test; an unvisited vertex scans its in-neighbours for a frontier bit and stops at
    #   the first. Fold the next frontier into the visited set a whole word at a time (vectorizes).
    raise NotImplementedError("TODO: write a single-core bottom-up BFS on bitmaps")


def bfs_hybrid(g: Graph, source: int) -> np.ndarray:
    """Same distances; switches between top-down and bottom-up each level."""
    # TODO: Beamer's switch (see threaded.py's TODO), converting between queue and bitmap both ways.
    raise NotImplementedError("TODO: write the direction-optimizing (hybrid) BFS on one core")


def pagerank(g: Graph, damping: float = 0.85, tol: float = 1e-7) -> np.ndarray:
    """float64 scores: x[v] = (1-d)/n + d * (sum over u->v of x[u]/outdeg(u) + dangling mass / n)."""
    # TODO: a compiled pull-style power iteration (see threaded.py's TODO for the definition). Make the
    #   per-vertex passes branch-free so they vectorize: multiply by a precomputed 1/outdeg that is 0 for
    #   dangling vertices instead of testing ``if outdeg == 0``.
    raise NotImplementedError("TODO: write a single-core PageRank with branch-free, vectorizable passes")

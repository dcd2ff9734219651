"""Assignment 5, MPI: 1-D vertex-partitioned BFS and PageRank with mpi4py.

Read README.md first. The grader starts this module on P ranks (``mpiexec -n P``); every rank calls each
function collectively with the whole graph, and rank 0's return value is the answer (the others may return
the same array or anything else). Rank r owns vertices [n*r/P, n*(r+1)/P): :func:`partition` gives the
bounds. Compute only your own vertices' distances or scores and communicate the rest.
"""

from __future__ import annotations

import numpy as np
from mpi4py import MPI  # noqa: F401  (you will need it)

from .common import Graph


def partition(n: int, ranks: int) -> np.ndarray:
    """Ownership boundaries: rank r owns vertices [bounds[r], bounds[r+1])."""
    return np.array([n * r // ranks for r in range(ranks + 1)], dtype=np.int64)


def bfs_top_down(g: Graph, source: int) -> np.ndarray:
    """int32 distances from ``source`` (-1: unreachable), on rank 0 at least."""
    # TODO: level-synchronous. Each rank expands its own frontier vertices along out-edges, groups the
    #   neighbours it reached by owner rank and sends them with comm.Alltoallv (exchange the counts first
    #   with comm.Alltoall); each owner keeps the unvisited ones as its next frontier. Decide together
    #   (comm.Allreduce of the frontier sizes) when to stop, then gather the distances (comm.Gatherv or
    #   comm.Allgatherv).
    raise NotImplementedError("TODO: write the distributed top-down BFS with Alltoallv frontier exchange")


def bfs_bottom_up(g: Graph, source: int) -> np.ndarray:
    """Same distances, computed bottom-up."""
    # TODO: each level, all-gather the frontier as a map (comm.Allgatherv of each rank's slice); then each
    #   rank's unvisited vertices look for a parent among their in-neighbours, with no other messages.
    raise NotImplementedError("TODO: write the distributed bottom-up BFS")


def bfs_hybrid(g: Graph, source: int) -> np.ndarray:
    """Same distances; switches direction by Beamer's rule on global counts."""
    # TODO: switch as in threaded.py's TODO, with m_f, m_u and the frontier size summed over ranks.
    raise NotImplementedError("TODO: write the distributed hybrid BFS")


def pagerank(g: Graph, damping: float = 0.85, tol: float = 1e-7) -> np.ndarray:
    """float64 PageRank scores (see threaded.py for the definition), on rank 0 at least."""
    # TODO: each iteration: compute your vertices' shares x[u]/outdeg(u), all-gather them, pull along your
    #   vertices' in-edges; sum the dangling mass and the L1 change over ranks with comm.Allreduce.
    raise NotImplementedError("TODO: write the distributed PageRank")

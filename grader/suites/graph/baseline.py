"""Trusted code that runs inside the graph benchmark's child processes.

* :func:`make_bfs_inputs` / :func:`make_pagerank_inputs` build the benchmark graph (Graph500 R-MAT) and pick
  the BFS source: the vertex of largest out-degree, so that the search reaches the giant component.
* The serial baselines are scipy's: :func:`bfs` is ``scipy.sparse.csgraph.breadth_first_order`` (compiled
  C, one core) with distances derived from its BFS order and predecessor tree; :func:`pagerank` is a power
  iteration of ``scipy.sparse`` matrix-vector products. :func:`to_scipy` builds the scipy matrices once,
  before timing (the ``prepare`` step), so the baseline is timed on the search, not on building a matrix.
* :func:`to_device` / :func:`from_device` stage a graph on the GPU for the CUDA kernel-only benchmarks.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from numba import njit

from assignments.graph.common import Graph, rmat


def _benchmark_graph(scale: int, edge_factor: int = 16, seed: int = 1) -> Graph:
    return rmat(scale, edge_factor, seed)


def make_bfs_inputs(scale: int, edge_factor: int = 16, seed: int = 1):
    g = _benchmark_graph(scale, edge_factor, seed)
    return g, int(np.argmax(g.out_degrees()))


def make_pagerank_inputs(scale: int, edge_factor: int = 16, seed: int = 1):
    return (_benchmark_graph(scale, edge_factor, seed),)


# --------------------------------------------------------------------------------------------- scipy BFS
@njit(cache=True)
def _distances_from_order(order, predecessors, n):
    """BFS order lists each vertex after its parent, so one pass in that order fills every distance."""
    distance = np.full(n, -1, np.int32)
    distance[order[0]] = 0
    for i in range(1, len(order)):
        v = order[i]
        distance[v] = distance[predecessors[v]] + 1
    return distance


def to_scipy(g: Graph, *rest):
    """(adjacency matrix A with A[u, v] = number of edges u->v, *rest), built once before timing."""
    from scipy.sparse import csr_matrix

    n = g.num_vertices
    adjacency = csr_matrix((np.ones(g.num_edges, np.float64), g.out_neighbors, g.out_offsets), shape=(n, n))
    return (adjacency, *rest)


def bfs(adjacency, source: int) -> np.ndarray:
    from scipy.sparse.csgraph import breadth_first_order

    order, predecessors = breadth_first_order(adjacency, source, directed=True, return_predecessors=True)
    return _distances_from_order(order, predecessors, adjacency.shape[0])


def to_scipy_pagerank(g: Graph, *rest):
    """(P, dangling mask, *rest): P[v, u] = (edges u->v) / deg(u), the column-stochastic link matrix."""
    from scipy.sparse import csr_matrix

    n = g.num_vertices
    out_degree = np.diff(g.out_offsets)
    dangling = out_degree == 0
    inverse_degree = np.divide(1.0, out_degree, out=np.zeros(n), where=~dangling)
    tails = np.repeat(np.arange(n, dtype=np.int32), out_degree)
    transition = csr_matrix((inverse_degree[tails], (g.out_neighbors, tails)), shape=(n, n))
    return (transition, dangling, *rest)


def pagerank(transition, dangling, damping: float = 0.85, tol: float = 1e-7) -> np.ndarray:
    """x <- (1-d)/n + d (P x + (dangling mass)/n) until the L1 change < tol: one scipy SpMV an iteration."""
    n = transition.shape[0]
    x = np.full(n, 1.0 / n)
    while True:
        new = transition @ x
        new += x[dangling].sum() / n
        new *= damping
        new += (1.0 - damping) / n
        change = np.abs(new - x).sum()
        x = new
        if change < tol:
            return x


# --------------------------------------------------------------------------------------------- GPU staging
def graph_to_device(g: Graph) -> Graph:
    """The same Graph with its four arrays on the GPU."""
    from numba import cuda

    return dataclasses.replace(
        g,
        out_offsets=cuda.to_device(g.out_offsets),
        out_neighbors=cuda.to_device(g.out_neighbors),
        in_offsets=cuda.to_device(g.in_offsets),
        in_neighbors=cuda.to_device(g.in_neighbors),
    )


def to_device(g: Graph, source: int):
    """Arguments of ``bfs_*_device(g, source, distance)``, all on the GPU."""
    from numba import cuda

    return graph_to_device(g), source, cuda.device_array(g.num_vertices, np.int32)


def to_device_pagerank(g: Graph):
    """Arguments of ``pagerank_device(g, scores)``, all on the GPU."""
    from numba import cuda

    return graph_to_device(g), cuda.device_array(g.num_vertices, np.float64)


def from_device(args, returned):
    """The output array of a ``*_device`` call (its last argument), copied to the host."""
    return args[-1].copy_to_host()

"""Assignment 5, CUDA: BFS and PageRank kernels with numba.cuda.

Read README.md first. Without a GPU, the grader runs this file on numba's CUDA simulator
(NUMBA_ENABLE_CUDASIM=1) on tiny graphs. Each host function copies the graph to the GPU, calls the matching
``*_device`` function and copies the answer back; the ``*_device`` functions take a Graph whose four arrays
are already on the GPU and write into a preallocated device array, so the grader can time kernels alone.
"""

from __future__ import annotations

import numpy as np
from numba import cuda

from .common import Graph


def on_device(g: Graph) -> Graph:
    """The same graph with its four arrays copied to the GPU."""
    return Graph(
        cuda.to_device(g.out_offsets),
        cuda.to_device(g.out_neighbors),
        cuda.to_device(g.in_offsets),
        cuda.to_device(g.in_neighbors),
        g.name,
    )


def bfs_top_down_device(g: Graph, source: int, distance) -> None:
    """Write int32 distances from ``source`` into device array ``distance`` (-1: unreachable)."""
    # TODO: a frontier-queue kernel, launched once per level from this host loop: a thread (or a warp,
    #   for high-degree vertices) per frontier vertex; claim an unvisited neighbour with
    #   cuda.atomic.cas(distance, v, -1, level + 1) so exactly one thread appends it to the next queue, at a
    #   slot taken with cuda.atomic.add on a counter. Read the counter back to know the next frontier's size.
    raise NotImplementedError("TODO: write the top-down frontier-queue BFS kernel and its host loop")


def bfs_bottom_up_device(g: Graph, source: int, distance) -> None:
    """Same distances, computed bottom-up."""
    # TODO: a bottom-up kernel on a bitmap: one thread per vertex; an unvisited vertex checks its
    #   in-neighbours' bits in the frontier bitmap (uint32 words) and sets its own bit in the next bitmap
    #   with cuda.atomic.or_ (32 vertices share a word). Count the vertices found to know when to stop.
    raise NotImplementedError("TODO: write the bottom-up bitmap BFS kernel and its host loop")


def bfs_hybrid_device(g: Graph, source: int, distance) -> None:
    """Same distances; switches between top-down and bottom-up each level (Beamer's rule)."""
    # TODO: combine the two, switching as in threaded.py's TODO; convert queue <-> bitmap with kernels.
    raise NotImplementedError("TODO: write the hybrid BFS host loop and the queue/bitmap conversion kernels")


def pagerank_device(g: Graph, scores, damping: float = 0.85, tol: float = 1e-7) -> None:
    """Write float64 PageRank scores into device array ``scores`` (see threaded.py for the definition)."""
    # TODO: per iteration, a kernel computing each vertex's share x[u]/outdeg(u) and summing the dangling
    #   mass, then a pull kernel (one thread per vertex summing its in-neighbours' shares) that also sums
    #   the L1 change. Sum within a block in shared memory first, then one cuda.atomic.add per block.
    raise NotImplementedError("TODO: write the pull-style PageRank kernels and their host loop")


def bfs_top_down(g: Graph, source: int) -> np.ndarray:
    distance = cuda.device_array(g.num_vertices, np.int32)
    bfs_top_down_device(on_device(g), source, distance)
    return distance.copy_to_host()


def bfs_bottom_up(g: Graph, source: int) -> np.ndarray:
    distance = cuda.device_array(g.num_vertices, np.int32)
    bfs_bottom_up_device(on_device(g), source, distance)
    return distance.copy_to_host()


def bfs_hybrid(g: Graph, source: int) -> np.ndarray:
    distance = cuda.device_array(g.num_vertices, np.int32)
    bfs_hybrid_device(on_device(g), source, distance)
    return distance.copy_to_host()


def pagerank(g: Graph, damping: float = 0.85, tol: float = 1e-7) -> np.ndarray:
    scores = cuda.device_array(g.num_vertices, np.float64)
    if g.num_vertices:
        pagerank_device(on_device(g), scores, damping, tol)
    return scores.copy_to_host()

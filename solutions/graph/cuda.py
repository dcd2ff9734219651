"""Assignment 5, CUDA: frontier-queue BFS, bottom-up BFS on a bitmap, direction-optimizing BFS, pull PageRank.

The host drives one kernel launch per BFS level (or PageRank iteration) and reads back a few counters to
decide the next step; the graph, distances and frontiers stay on the GPU throughout.

* Top-down: one warp (LANES threads) per frontier vertex, its 32 lanes striding over the vertex's out-edges (a hub with
  70,000 edges is then 2,200 steps for one warp rather than 70,000 for one thread). A lane claims a
  neighbour with ``atomic.cas(distance, v, -1, level + 1)``: exactly one lane wins, so each vertex enters
  the next frontier queue once, at a slot taken with ``atomic.add``.
* Bottom-up: one thread per vertex; an unvisited vertex scans its in-neighbours for one whose bit is set in
  the frontier bitmap (uint32 words: 1M vertices in 128 KiB, mostly cache-resident) and stops at the first;
  it sets its own bit in the next bitmap with ``atomic.or_`` (32 vertices share a word).
* Counters (frontier size, its out-edges, its in-edges: Beamer's switch needs them) are summed per block in
  shared memory first, then added to global memory with one atomic per block.
* PageRank: one warp per vertex pulls its in-neighbours' shares (no write conflicts); the dangling mass and
  the L1 change are block-reduced sums added atomically in float64.

Cost model: BFS top-down reads each reached edge once plus one atomic per claimed vertex; bottom-up reads
only until a parent is found. PageRank moves ~12 bytes an edge an iteration (4-byte index, 8-byte random
read of a share), so an H100 (~3 TB/s) spends a few ms an iteration on 64M edges, if the random reads hit
L2 (50 MiB holds 4M shares of 8 bytes).
"""

from __future__ import annotations

import math

import numpy as np
from numba import config, cuda, float64, int64

from .common import Graph

# Threads per block: 8 warps on a GPU. numba's simulator runs every thread as a Python thread, so there a
# block is one warp, which makes a small test graph cost 32 threads a launch instead of 256.
THREADS = 32 if config.ENABLE_CUDASIM else 256
# Threads sharing one vertex's edge list (top-down expansion, PageRank pull): a warp on a GPU, so a hub's
# edges are read 32 at a time, coalesced; 4 on the simulator, which still exercises the cooperation.
LANES = 4 if config.ENABLE_CUDASIM else 32
ALPHA = 14  # Beamer's thresholds (see threaded.py)
BETA = 24
FOUND, OUT_EDGES, IN_EDGES = 0, 1, 2  # slots of the level counters


def blocks_for(threads_needed: int) -> int:
    return max(1, math.ceil(threads_needed / THREADS))


# --------------------------------------------------------------------------------------------- helpers
@cuda.jit(device=True)
def block_add(partial, value, total, slot):
    """Sum ``value`` over the block in shared memory ``partial``, then one atomic add into total[slot]."""
    tid = cuda.threadIdx.x
    partial[tid] = value
    cuda.syncthreads()
    stride = THREADS // 2
    while stride > 0:
        if tid < stride:
            partial[tid] += partial[tid + stride]
        cuda.syncthreads()
        stride //= 2
    if tid == 0:
        cuda.atomic.add(total, slot, partial[0])
    cuda.syncthreads()  # partial is reused by the caller's next block_add


@cuda.jit(cache=True)
def fill_int32(array, value):
    i = cuda.grid(1)
    if i < array.size:
        array[i] = value


@cuda.jit(cache=True)
def start_at(distance, frontier, source):
    """distance[source] = 0 and frontier = [source], on the device (no host round trip)."""
    if cuda.grid(1) == 0:
        distance[source] = 0
        frontier[0] = source


# --------------------------------------------------------------------------------------------- BFS kernels
@cuda.jit(cache=True)
def top_down_kernel(
    out_offsets, out_neighbors, in_offsets, frontier, frontier_size, distance, level, next_frontier, counters
):
    """One warp per frontier vertex; a lane that wins the CAS appends the neighbour to ``next_frontier``."""
    partial = cuda.shared.array(THREADS, int64)
    warp = cuda.grid(1) // LANES
    lane = cuda.threadIdx.x % LANES
    out_edges = int64(0)
    in_edges = int64(0)
    if warp < frontier_size:
        u = frontier[warp]
        for e in range(out_offsets[u] + lane, out_offsets[u + 1], LANES):
            v = out_neighbors[e]
            if distance[v] == -1 and cuda.atomic.cas(distance, v, -1, level + 1) == -1:
                next_frontier[cuda.atomic.add(counters, FOUND, 1)] = v
                out_edges += out_offsets[v + 1] - out_offsets[v]
                in_edges += in_offsets[v + 1] - in_offsets[v]
    block_add(partial, out_edges, counters, OUT_EDGES)
    block_add(partial, in_edges, counters, IN_EDGES)


@cuda.jit(cache=True)
def bottom_up_kernel(out_offsets, in_offsets, in_neighbors, frontier_bits, next_bits, distance, level, counters):
    """One thread per vertex: an unvisited vertex joins the next level if any in-neighbour is in the frontier."""
    partial = cuda.shared.array(THREADS, int64)
    v = cuda.grid(1)
    found = int64(0)
    out_edges = int64(0)
    in_edges = int64(0)
    if v < distance.size and distance[v] == -1:
        for e in range(in_offsets[v], in_offsets[v + 1]):
            u = in_neighbors[e]
            if (frontier_bits[u >> 5] >> (u & 31)) & 1:
                distance[v] = level + 1
                cuda.atomic.or_(next_bits, v >> 5, np.uint32(1) << np.uint32(v & 31))
                found = 1
                out_edges = out_offsets[v + 1] - out_offsets[v]
                in_edges = in_offsets[v + 1] - in_offsets[v]
                break
    block_add(partial, found, counters, FOUND)
    block_add(partial, out_edges, counters, OUT_EDGES)
    block_add(partial, in_edges, counters, IN_EDGES)


@cuda.jit(cache=True)
def clear_bits(bits):
    i = cuda.grid(1)
    if i < bits.size:
        bits[i] = 0


@cuda.jit(cache=True)
def queue_to_bits(frontier, frontier_size, bits):
    i = cuda.grid(1)
    if i < frontier_size:
        v = frontier[i]
        cuda.atomic.or_(bits, v >> 5, np.uint32(1) << np.uint32(v & 31))


@cuda.jit(cache=True)
def bits_to_queue(bits, n, frontier, counters):
    v = cuda.grid(1)
    if v < n and (bits[v >> 5] >> (v & 31)) & 1:
        frontier[cuda.atomic.add(counters, FOUND, 1)] = v


# --------------------------------------------------------------------------------------------- BFS driver
def bfs_device_levels(g: Graph, source: int, distance, mode: int) -> None:
    """Fill device array ``distance``; mode 0 top-down, 1 bottom-up, 2 hybrid (Beamer's switch both ways)."""
    n = g.num_vertices
    m = g.num_edges
    words = (n + 31) // 32
    frontier = cuda.device_array(max(n, 1), np.int32)
    next_frontier = cuda.device_array(max(n, 1), np.int32)
    frontier_bits = cuda.device_array(max(words, 1), np.uint32)
    next_bits = cuda.device_array(max(words, 1), np.uint32)
    counters = cuda.device_array(3, np.int64)
    zero_counters = np.zeros(3, np.int64)
    fill_int32[blocks_for(n), THREADS](distance, -1)
    start_at[1, 1](distance, frontier, source)
    out_degree, in_degree = degree_of(g, source)
    frontier_size, frontier_out_edges, unvisited_in_edges = 1, out_degree, m - in_degree
    bottom_up = mode == 1
    if bottom_up:
        clear_bits[blocks_for(words), THREADS](frontier_bits)
        queue_to_bits[1, THREADS](frontier, 1, frontier_bits)
    level = 0
    while frontier_size > 0:
        if mode == 2:
            if not bottom_up and frontier_out_edges * ALPHA > unvisited_in_edges:
                clear_bits[blocks_for(words), THREADS](frontier_bits)
                queue_to_bits[blocks_for(frontier_size), THREADS](frontier, frontier_size, frontier_bits)
                bottom_up = True
            elif bottom_up and frontier_size * BETA < n:
                counters.copy_to_device(zero_counters)
                bits_to_queue[blocks_for(n), THREADS](frontier_bits, n, frontier, counters)
                bottom_up = False
        counters.copy_to_device(zero_counters)
        if bottom_up:
            clear_bits[blocks_for(words), THREADS](next_bits)
            bottom_up_kernel[blocks_for(n), THREADS](
                g.out_offsets, g.in_offsets, g.in_neighbors, frontier_bits, next_bits, distance, level, counters
            )
            frontier_bits, next_bits = next_bits, frontier_bits
        else:
            top_down_kernel[blocks_for(frontier_size * LANES), THREADS](
                g.out_offsets,
                g.out_neighbors,
                g.in_offsets,
                frontier,
                frontier_size,
                distance,
                level,
                next_frontier,
                counters,
            )
            frontier, next_frontier = next_frontier, frontier
        frontier_size, frontier_out_edges, found_in_edges = (int(c) for c in counters.copy_to_host())
        unvisited_in_edges -= found_in_edges
        level += 1


def degree_of(g: Graph, v: int) -> tuple[int, int]:
    """(out-degree, in-degree) of one vertex, read from the device offsets (4 numbers)."""
    # g's arrays are numba device arrays here (on_device), where Graph's fields say numpy arrays.
    out_pair = g.out_offsets[v : v + 2].copy_to_host()  # type: ignore[attr-defined]
    in_pair = g.in_offsets[v : v + 2].copy_to_host()  # type: ignore[attr-defined]
    return int(out_pair[1] - out_pair[0]), int(in_pair[1] - in_pair[0])


def bfs_top_down_device(g: Graph, source: int, distance) -> None:
    """Device-resident: ``g``'s arrays on the GPU; the int32 distances are written into ``distance``."""
    bfs_device_levels(g, source, distance, 0)


def bfs_bottom_up_device(g: Graph, source: int, distance) -> None:
    bfs_device_levels(g, source, distance, 1)


def bfs_hybrid_device(g: Graph, source: int, distance) -> None:
    bfs_device_levels(g, source, distance, 2)


def on_device(g: Graph) -> Graph:
    """The same graph with its four arrays copied to the GPU."""
    return Graph(
        cuda.to_device(g.out_offsets),
        cuda.to_device(g.out_neighbors),
        cuda.to_device(g.in_offsets),
        cuda.to_device(g.in_neighbors),
        g.name,
    )


def _bfs_host(g: Graph, source: int, mode: int) -> np.ndarray:
    distance = cuda.device_array(g.num_vertices, np.int32)
    bfs_device_levels(on_device(g), source, distance, mode)
    return distance.copy_to_host()


def bfs_top_down(g: Graph, source: int) -> np.ndarray:
    """int32 distances from ``source`` along out-edges (-1: unreachable), expanding a frontier queue."""
    return _bfs_host(g, source, 0)


def bfs_bottom_up(g: Graph, source: int) -> np.ndarray:
    """Same distances; each level, every unvisited vertex searches its in-neighbours for a parent."""
    return _bfs_host(g, source, 1)


def bfs_hybrid(g: Graph, source: int) -> np.ndarray:
    """Same distances; top-down while the frontier is small, bottom-up while it is large (Beamer)."""
    return _bfs_host(g, source, 2)


# --------------------------------------------------------------------------------------------- PageRank
@cuda.jit(cache=True)
def shares_kernel(out_offsets, x, share, sums):
    """share[u] = x[u] / deg(u), or 0 for a dangling vertex whose score joins the dangling mass sums[0]."""
    partial = cuda.shared.array(THREADS, float64)
    u = cuda.grid(1)
    dangling = 0.0
    if u < x.size:
        degree = out_offsets[u + 1] - out_offsets[u]
        if degree == 0:
            share[u] = 0.0
            dangling = x[u]
        else:
            share[u] = x[u] / degree
    block_add(partial, dangling, sums, 0)


@cuda.jit(cache=True)
def pull_kernel(in_offsets, in_neighbors, share, x, damping, sums):
    """x[v] = (1-d)/n + d * (pulled shares + dangling mass / n); the L1 change is summed into sums[1].

    LANES threads per vertex: each sums every LANES-th in-edge (consecutive lanes read consecutive edges:
    coalesced), then the first lane adds the LANES partial sums from shared memory. One thread per vertex
    would leave a hub's 100,000 in-edges to a single thread while its warp-mates idle.
    """
    partial = cuda.shared.array(THREADS, float64)
    tid = cuda.threadIdx.x
    v = cuda.grid(1) // LANES
    lane = tid % LANES
    n = x.size
    pulled = 0.0
    if v < n:
        for e in range(in_offsets[v] + lane, in_offsets[v + 1], LANES):
            pulled += share[in_neighbors[e]]
    partial[tid] = pulled
    cuda.syncthreads()
    change = 0.0
    if v < n and lane == 0:
        for k in range(1, LANES):
            pulled += partial[tid + k]
        score = (1.0 - damping) / n + damping * (pulled + sums[0] / n)
        change = abs(score - x[v])
        x[v] = score
    cuda.syncthreads()  # every lane has read partial before block_add overwrites it
    block_add(partial, change, sums, 1)


@cuda.jit(cache=True)
def fill_float64(array, value):
    i = cuda.grid(1)
    if i < array.size:
        array[i] = value


def pagerank_device(g: Graph, scores, damping: float = 0.85, tol: float = 1e-7) -> None:
    """Device-resident: ``g``'s arrays on the GPU; the float64 scores are written into ``scores``."""
    n = g.num_vertices
    if n == 0:
        return
    share = cuda.device_array(n, np.float64)
    sums = cuda.device_array(2, np.float64)  # [dangling mass, L1 change]
    zero_sums = np.zeros(2)
    fill_float64[blocks_for(n), THREADS](scores, 1.0 / n)
    while True:
        sums.copy_to_device(zero_sums)
        shares_kernel[blocks_for(n), THREADS](g.out_offsets, scores, share, sums)
        pull_kernel[blocks_for(n * LANES), THREADS](g.in_offsets, g.in_neighbors, share, scores, float(damping), sums)
        if sums.copy_to_host()[1] < tol:
            return


def pagerank(g: Graph, damping: float = 0.85, tol: float = 1e-7) -> np.ndarray:
    """float64 PageRank scores (sum 1), dangling mass spread evenly, stopped when the L1 change < tol."""
    scores = cuda.device_array(g.num_vertices, np.float64)
    pagerank_device(on_device(g), scores, damping, tol)
    return scores.copy_to_host()

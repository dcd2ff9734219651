"""The graph type every variant works on, its generators and its file loaders.

A :class:`Graph` is a directed multigraph stored twice in CSR form (compressed sparse rows):

* ``out_offsets`` (int64[n+1]) and ``out_neighbors`` (int32[m]): the out-neighbours of vertex ``u`` are
  ``out_neighbors[out_offsets[u]:out_offsets[u+1]]`` (top-down BFS and push-style PageRank read these);
* ``in_offsets`` and ``in_neighbors``: the same edges seen from their heads, so the in-neighbours of ``v``
  are ``in_neighbors[in_offsets[v]:in_offsets[v+1]]`` (bottom-up BFS and pull-style PageRank read these).

Self-loops and duplicate edges are kept as given: a duplicate edge counts twice in an out-degree, as in a
sparse matrix with a 2 in that entry. Neighbours within one row are in no particular order.

Generators (all deterministic in their seed): :func:`rmat` (Graph500 Kronecker/R-MAT), :func:`uniform_random`,
:func:`grid_2d`, :func:`chain`; any edge list with :func:`from_edges`. Loaders: :func:`load_edge_list` and
:func:`load_matrix_market`; a malformed file raises :class:`GraphFormatError` (a ``ValueError``) whose
message is one line naming the file, the line and what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit, prange

__all__ = [
    "Graph",
    "GraphFormatError",
    "from_edges",
    "rmat",
    "uniform_random",
    "grid_2d",
    "chain",
    "load_edge_list",
    "load_matrix_market",
]


@dataclass(frozen=True, eq=False)
class Graph:
    """A directed graph in CSR form, outgoing and incoming (see the module docstring)."""

    out_offsets: np.ndarray  # int64[n + 1]
    out_neighbors: np.ndarray  # int32[m]
    in_offsets: np.ndarray  # int64[n + 1]
    in_neighbors: np.ndarray  # int32[m]
    name: str = ""

    @property
    def num_vertices(self) -> int:
        return len(self.out_offsets) - 1

    @property
    def num_edges(self) -> int:
        return len(self.out_neighbors)

    def out_degrees(self) -> np.ndarray:
        return np.diff(self.out_offsets)

    def in_degrees(self) -> np.ndarray:
        return np.diff(self.in_offsets)

    def edges(self) -> tuple[np.ndarray, np.ndarray]:
        """(tails, heads) of every edge, in out-CSR order."""
        tails = np.repeat(np.arange(self.num_vertices, dtype=np.int32), self.out_degrees())
        return tails, self.out_neighbors.copy()

    def __repr__(self) -> str:
        label = f"{self.name}: " if self.name else ""
        return f"Graph({label}{self.num_vertices} vertices, {self.num_edges} edges)"


class GraphFormatError(ValueError):
    """A graph file that cannot be read; the message names the file, the line and the problem."""


@njit(cache=True)
def _bucket_by(keys, values, n):
    """Counting sort of ``values`` by ``keys`` (both length m, keys in [0, n)): CSR offsets and rows. O(n + m)."""
    offsets = np.zeros(n + 1, np.int64)
    for k in keys:
        offsets[k + 1] += 1
    for i in range(n):
        offsets[i + 1] += offsets[i]
    cursor = offsets[:-1].copy()
    rows = np.empty(len(values), np.int32)
    for e in range(len(keys)):
        rows[cursor[keys[e]]] = values[e]
        cursor[keys[e]] += 1
    return offsets, rows


def from_edges(num_vertices: int, tails, heads, name: str = "") -> Graph:
    """The graph with edges ``tails[i] -> heads[i]`` (duplicates and self-loops kept)."""
    tails = np.ascontiguousarray(tails, dtype=np.int32).ravel()
    heads = np.ascontiguousarray(heads, dtype=np.int32).ravel()
    if tails.shape != heads.shape:
        raise ValueError(f"from_edges: {len(tails)} tails but {len(heads)} heads")
    if num_vertices < 0 or num_vertices >= 2**31:
        raise ValueError(f"from_edges: num_vertices must be in [0, 2**31), got {num_vertices}")
    if len(tails) and (min(tails.min(), heads.min()) < 0 or max(tails.max(), heads.max()) >= num_vertices):
        raise ValueError(f"from_edges: a vertex id is outside [0, {num_vertices})")
    out_offsets, out_neighbors = _bucket_by(tails, heads, num_vertices)
    in_offsets, in_neighbors = _bucket_by(heads, tails, num_vertices)
    return Graph(out_offsets, out_neighbors, in_offsets, in_neighbors, name)


@njit(cache=True, inline="always")
def _splitmix64(x):
    """A counter-based random generator: a well-mixed 64-bit value from any 64-bit counter."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@njit(cache=True, parallel=True)
def _rmat_edges(scale, num_edges, a, b, c, seed):
    """Graph500's Kronecker generator: each edge picks one quadrant of the adjacency matrix per bit.

    The random numbers come from a hash of (seed, edge, bit), not a sequential generator, so the edges are
    drawn in parallel and are the same on every machine and thread count.
    """
    tails = np.zeros(num_edges, np.int32)
    heads = np.zeros(num_edges, np.int32)
    ab = a + b
    abc = a + b + c
    scale_to_unit = 1.0 / 4294967296.0
    for e in prange(num_edges):
        counter = np.uint64(seed) * np.uint64(0x100000000) * np.uint64(64) + np.uint64(e) * np.uint64(64)
        tail = 0
        head = 0
        for bit in range(scale):
            r = np.float64(_splitmix64(counter + np.uint64(bit)) >> np.uint64(32)) * scale_to_unit
            tail |= (r >= ab) << bit
            head |= ((r >= a) & (r < ab) | (r >= abc)) << bit
        tails[e] = tail
        heads[e] = head
    return tails, heads


def rmat(scale: int, edge_factor: int = 16, seed: int = 0, a: float = 0.57, b: float = 0.19, c: float = 0.19) -> Graph:
    """A Graph500-style R-MAT graph: 2**scale vertices, edge_factor * 2**scale directed edges.

    Skewed degrees (a few hubs, many vertices of degree 0 or 1) and a small diameter, like social
    networks. Vertex ids are randomly permuted, as Graph500 does, so that hubs are not all at low ids.
    """
    n = 1 << scale
    tails, heads = _rmat_edges(scale, edge_factor * n, a, b, c, seed)
    relabel = np.random.default_rng(seed).permutation(n).astype(np.int32)
    return from_edges(n, relabel[tails], relabel[heads], name=f"rmat-{scale}")


def uniform_random(num_vertices: int, num_edges: int, seed: int = 0) -> Graph:
    """Erdos-Renyi-like: every edge's tail and head drawn uniformly (self-loops and duplicates possible)."""
    rng = np.random.default_rng(seed)
    tails = rng.integers(0, max(num_vertices, 1), num_edges, dtype=np.int32)
    heads = rng.integers(0, max(num_vertices, 1), num_edges, dtype=np.int32)
    return from_edges(num_vertices, tails, heads, name=f"uniform-{num_vertices}-{num_edges}")


def grid_2d(rows: int, cols: int) -> Graph:
    """A rows x cols grid, each cell joined both ways to its 4 neighbours: diameter rows + cols - 2."""
    ids = np.arange(rows * cols, dtype=np.int32).reshape(rows, cols)
    right = (ids[:, :-1].ravel(), ids[:, 1:].ravel())
    down = (ids[:-1, :].ravel(), ids[1:, :].ravel())
    tails = np.concatenate([right[0], right[1], down[0], down[1]])
    heads = np.concatenate([right[1], right[0], down[1], down[0]])
    return from_edges(rows * cols, tails, heads, name=f"grid-{rows}x{cols}")


def chain(num_vertices: int) -> Graph:
    """0 -> 1 -> ... -> n-1: one vertex a level, the worst case for level-synchronous BFS."""
    ids = np.arange(max(num_vertices - 1, 0), dtype=np.int32)
    return from_edges(num_vertices, ids, ids + 1, name=f"chain-{num_vertices}")


def _parse_pairs(path: str, lines, first_line: int, num_vertices: int | None, base: int):
    """Parse 'u v [weight]' lines into tail and head arrays, checking each id (shifted by ``base``)."""
    tails, heads = [], []
    for number, line in enumerate(lines, start=first_line):
        fields = line.split()
        if not fields or fields[0][0] in "#%":
            continue
        if len(fields) < 2:
            raise GraphFormatError(f"{path}:{number}: expected two vertex ids, got {line.strip()!r}")
        try:
            u, v = int(fields[0]) - base, int(fields[1]) - base
        except ValueError:
            raise GraphFormatError(f"{path}:{number}: vertex ids must be integers, got {line.strip()!r}") from None
        limit = num_vertices if num_vertices is not None else 2**31 - 1
        if not (0 <= u < limit and 0 <= v < limit):
            raise GraphFormatError(
                f"{path}:{number}: vertex id out of range [{base}, {limit + base}) in {line.strip()!r}"
            )
        tails.append(u)
        heads.append(v)
    return np.array(tails, dtype=np.int32), np.array(heads, dtype=np.int32)


def load_edge_list(path: str, num_vertices: int | None = None) -> Graph:
    """Read 'tail head' lines (0-based ids; '#' or '%' starts a comment; extra columns ignored).

    Without ``num_vertices`` the graph has max id + 1 vertices.
    """
    with open(path) as file:
        tails, heads = _parse_pairs(path, file, 1, num_vertices, base=0)
    if num_vertices is None:
        num_vertices = int(max(tails.max(initial=-1), heads.max(initial=-1))) + 1
    return from_edges(num_vertices, tails, heads, name=str(path))


def load_matrix_market(path: str) -> Graph:
    """Read a Matrix Market coordinate file: entry (i, j) is the edge i-1 -> j-1 (values ignored).

    A ``symmetric`` (or ``skew-symmetric``/``hermitian``) file stores one triangle: each off-diagonal
    entry becomes edges both ways. The matrix must be square.
    """
    with open(path) as file:
        lines = file.read().splitlines()
    if not lines or not lines[0].lower().startswith("%%matrixmarket"):
        raise GraphFormatError(f"{path}:1: not a Matrix Market file (no '%%MatrixMarket' header)")
    header = lines[0].lower().split()
    if len(header) < 5 or header[1] != "matrix" or header[2] != "coordinate":
        raise GraphFormatError(f"{path}:1: only 'matrix coordinate' files hold graphs, got {lines[0]!r}")
    symmetric = header[4] in ("symmetric", "skew-symmetric", "hermitian")
    number = 1
    while number < len(lines) and (not lines[number].strip() or lines[number].lstrip().startswith("%")):
        number += 1
    if number == len(lines):
        raise GraphFormatError(f"{path}:{number}: missing the 'rows cols entries' size line")
    try:
        rows, cols, entries = (int(field) for field in lines[number].split())
    except ValueError:
        raise GraphFormatError(
            f"{path}:{number + 1}: expected 'rows cols entries', got {lines[number].strip()!r}"
        ) from None
    if rows != cols:
        raise GraphFormatError(f"{path}:{number + 1}: a graph needs a square matrix, got {rows} x {cols}")
    tails, heads = _parse_pairs(path, lines[number + 1 :], number + 2, rows, base=1)
    if len(tails) != entries:
        raise GraphFormatError(f"{path}:{len(lines)}: the size line promises {entries} entries, found {len(tails)}")
    if symmetric:
        off_diagonal = tails != heads
        tails, heads = (np.concatenate([tails, heads[off_diagonal]]), np.concatenate([heads, tails[off_diagonal]]))
    return from_edges(rows, tails, heads, name=str(path))

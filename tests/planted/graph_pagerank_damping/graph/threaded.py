"""Planted: PageRank that ignores the damping it is given and always uses the textbook 0.85.

The learner's plausible mistake: ``damping`` is accepted but the update keeps a constant 0.85. Right at the
default (every case the grader drew before it drew other dampings); wrong for any other damping. BFS (one
numpy frontier a level) and the rest of PageRank follow the handout.
"""

import numpy as np


def _bfs(g, source, num_threads=None):
    n = g.num_vertices
    distance = np.full(n, -1, np.int32)
    distance[source] = 0
    frontier, level = np.array([source]), 0
    while frontier.size:
        starts, stops = g.out_offsets[frontier], g.out_offsets[frontier + 1]
        pieces = [g.out_neighbors[a:b] for a, b in zip(starts, stops, strict=True)]
        reached = np.concatenate(pieces + [np.zeros(0, np.int32)])
        frontier = np.unique(reached[distance[reached] == -1])
        level += 1
        distance[frontier] = level
    return distance


bfs_top_down = bfs_bottom_up = bfs_hybrid = _bfs


def pagerank(g, damping=0.85, tol=1e-7, num_threads=None):
    damping = 0.85  # the bug: the argument is ignored
    n = g.num_vertices
    if n == 0:
        return np.zeros(0)
    out_degree = np.diff(g.out_offsets)
    tails = np.repeat(np.arange(n), out_degree)
    x = np.full(n, 1.0 / n)
    while True:
        share = np.divide(x, out_degree, out=np.zeros(n), where=out_degree > 0)
        pulled = np.bincount(g.out_neighbors, weights=share[tails], minlength=n)
        new = (1 - damping) / n + damping * (pulled + x[out_degree == 0].sum() / n)
        if np.abs(new - x).sum() < tol:
            return new
        x = new

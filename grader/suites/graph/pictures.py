"""Assignment 5's pictures for ``--images DIR``: BFS distances on a maze, drawn by the reference and by each
variant, and where they differ."""

from __future__ import annotations

import os

import numpy as np

from assignments.graph.common import from_edges, grid_2d
from grader import machine
from grader.images import colorize, save_heatmap, save_png
from grader.spec import Mismatch
from grader.suites.graph import oracle


def _distances_or_none(call, function, *args, **kwargs):
    if call is None:
        return None
    try:
        return call(function, *args, **kwargs)
    except Mismatch:
        return None


def pictures(context, out_dir: str) -> list[str]:
    """BFS distances on a 256 x 256 maze (a grid cut by a wall with one gap), from its centre, as images:
    the reference's, each learner variant's bfs_hybrid, and their difference (black where equal).

    No speedup plot: a sandboxed call ships the graph to the child each time, which on a graph big enough
    to time costs more than the search itself; the speed tasks time calls on inputs built in the child."""
    written = []
    side = 256
    grid = grid_2d(side, side)
    tails, heads = grid.edges()
    wall = side // 3
    crossing = ((tails % side == wall) | (heads % side == wall)) & (tails // side != 16)  # one gap, row 16
    walls = crossing
    g = from_edges(side * side, tails[~walls], heads[~walls], name="maze")
    source = side * side // 2 + side // 2
    expected = oracle.bfs(g, source)
    limit = int(expected.max())

    def as_image(distance: np.ndarray) -> np.ndarray:
        return colorize(np.where(distance < 0, 0, distance).reshape(side, side), limit)

    written.append(save_png(os.path.join(out_dir, "bfs_maze_reference.png"), as_image(expected)))
    variants = ("threaded", "simd", "cuda") if machine.cuda_gpu() is not None else ("threaded", "simd")
    for variant in variants:
        got = _distances_or_none(context.call(variant), "bfs_hybrid", g, source)
        if isinstance(got, np.ndarray) and got.shape == expected.shape:
            written.append(save_png(os.path.join(out_dir, f"bfs_maze_{variant}.png"), as_image(got)))
            written.append(
                save_heatmap(
                    os.path.join(out_dir, f"bfs_maze_{variant}_diff.png"),
                    (got.astype(np.int64) - expected).reshape(side, side),
                )
            )

    return written

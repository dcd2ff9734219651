"""The circle renderer with explicit CPU threads. Read README.md (in this folder) first.

Write ``render(scene, width, height, num_threads=None)``: return a new float32[height, width, 4] frame, the
scene's circles blended in input order over its background (common.py states the exact rules), computed by
``num_threads`` threads (None means one per core).

The plan: cut the frame into TILE x TILE tiles; ``bin_circles`` (common.py, given) lists each tile's circles
in input order; each thread shades its own tiles, so every pixel has exactly one writer and sees its circles
in order. Grade it with:  python -m grader render --variant threaded
"""

import math  # noqa: F401  (math.exp for the falloff)
import os
import threading  # noqa: F401

import numpy as np
from numba import njit

from .common import Scene, bin_circles, pixel_span  # noqa: F401

TILE = 32  # pixels a side


@njit(nogil=True, cache=True)
def _shade_tiles(
    first_tile, tile_step, tile_start, tile_circles, centres, radii, colours, alphas, falloffs, background, image
):
    """Render tiles first_tile, first_tile + tile_step, ... of ``image`` (tiles numbered row-major, as in
    ``bin_circles``). ``nogil=True`` lets several threads run this compiled function at once."""
    # TODO (1 of 2): for each of this thread's tiles:
    #   - fill the tile's pixels with the background;
    #   - for each circle of the tile (tile_circles[tile_start[tile]:tile_start[tile + 1]], in order), visit
    #     the pixels of its bounding box (pixel_span(cx, r, width), pixel_span(cy, r, height)) clipped to
    #     the tile, and blend those whose centre ((i + 0.5) / width, (j + 0.5) / height) is inside or on it.
    # Stay in float32: np.float32(j) + np.float32(0.5), not j + 0.5 (which numba computes in float64).
    raise NotImplementedError("TODO: shade this thread's tiles in _shade_tiles")


def render(scene: Scene, width: int, height: int, num_threads=None) -> np.ndarray:
    """The frame float32[height, width, 4]. The scene must not be modified."""
    num_threads = num_threads or os.cpu_count() or 1
    image = np.empty((height, width, 4), np.float32)
    # TODO (2 of 2): bin the circles (bin_circles(scene, width, height, TILE)), then start num_threads
    # threading.Thread objects, thread t running _shade_tiles(t, num_threads, tile_start, tile_circles,
    # scene.centres, scene.radii, scene.colours, scene.alphas, scene.falloffs, scene.background, image),
    # and join them all. Which tiles should a thread get, so that a crowded corner is shared? (README)
    raise NotImplementedError("TODO: bin the circles and run one thread per share of the tiles in render")
    return image

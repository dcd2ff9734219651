"""The circle renderer on one core with SIMD. Read README.md (in this folder) first.

Write ``render(scene, width, height)``: the same frame as the other variants, on one core, with the
blending loop written so that numba compiles it to packed vector instructions (the grader shows whether
it did). The wrapper ``render`` is given: it bins the circles to tiles and calls ``_render_tiles``.

Grade it with:  python -m grader render --variant simd
"""

import math  # noqa: F401  (math.exp for the falloff)

import numpy as np
from numba import njit

from .common import Scene, bin_circles, pixel_span  # noqa: F401

TILE = 32


@njit(cache=True)
def _blend_row(red, green, blue, opacity, dx, dy2, r2, alpha, falloff, colour):
    """Blend one circle into a run of pixels of one row of a tile. ``red``..``opacity`` are 1-D views of
    that run in the tile's four channel planes, ``dx[i]`` is pixel-centre x minus the circle's x, ``dy2``
    the row's squared y offset, ``r2`` the squared radius."""
    # TODO (1 of 2): one loop over range(dx.size) with NO branch in it: compute the pixel's opacity
    # (alpha, times exp(-falloff * d2 / r2) when falloff != 0: test that outside the loop, or write two
    # functions), set it to 0 where d2 > r2 (a select: ``a = x if inside else zero``), and blend every
    # lane. Why is blending with opacity 0 exactly a no-op? Keep every value float32.
    raise NotImplementedError("TODO: write the branch-free blend loop in _blend_row")


@njit(cache=True)
def _render_tiles(tile_start, tile_circles, centres, radii, colours, alphas, falloffs, background, image):
    """Render every tile of ``image`` in turn (tiles numbered row-major, as in ``bin_circles``)."""
    # TODO (2 of 2): for each tile, shade it in four separate TILE x TILE planes (red, green, blue, alpha:
    # structure of arrays) filled with the background; for each of the tile's circles in order and each
    # row of its bounding box (pixel_span) within the tile, call _blend_row on the slices of that row;
    # then copy the planes into the interleaved RGBA image.
    raise NotImplementedError("TODO: shade each tile in channel planes in _render_tiles")


def render(scene: Scene, width: int, height: int) -> np.ndarray:
    """The frame float32[height, width, 4], on one core."""
    image = np.empty((height, width, 4), np.float32)
    if width == 0 or height == 0:
        return image
    tile_start, tile_circles = bin_circles(scene, width, height, TILE)
    _render_tiles(
        tile_start,
        tile_circles,
        scene.centres,
        scene.radii,
        scene.colours,
        scene.alphas,
        scene.falloffs,
        scene.background,
        image,
    )
    return image

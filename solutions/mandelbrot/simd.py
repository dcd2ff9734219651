"""Mandelbrot on one core, written in lanes so that the compiler emits vector instructions.

A scalar loop runs one pixel's orbit at a time: each step depends on the previous one, so the core waits out the
latency of every multiply and add, and uses one float32 slot of a vector register that holds 8 (AVX) or 16
(AVX-512). Here a row is cut into chunks of ``LANES`` = 64 neighbouring pixels, and the chunk's orbits advance
together, one step for all lanes at a time. The inner loop over lanes has a fixed trip count, no data-dependent
branch and no dependency between lanes, so LLVM's loop vectorizer turns it into packed instructions (``vmulps``,
``vaddps``, ``vcmpleps`` and masked moves on ymm or zmm registers), with 4 to 8 independent vectors in flight
to hide each instruction's latency.

Masks instead of branches: a lane whose orbit has escaped keeps its z frozen (a select, not an ``if``), so its
|z|^2 stays above 4 and its count stops growing; ``running`` (a vectorizable sum) ends the chunk once every
lane has escaped. The price of lanes is divergence: a chunk runs as long as its slowest pixel, and escaped lanes
ride along idle. Chunks of neighbouring pixels keep that waste small, because neighbours cost about the same.

Cost model: compute-bound; ideally the vector width (8 or 16) times the latency hiding the scalar loop lacks,
minus the idle lanes. The last chunk of a row computes a few pixels past the edge and does not store them, so
every chunk has the same shape.
"""

import numpy as np
from numba import njit

LANES = 64  # pixels advanced together: 4 AVX-512 or 8 AVX vectors; 16 and 32 were slower (README)


@njit(cache=True)
def compute_row(x0, dx, c_im, width, max_iters, row, z_re, z_im, c_re, counts):
    """Fill ``row`` (width counts) chunk by chunk; z_re, z_im, c_re, counts are LANES-long scratch arrays."""
    for chunk_start in range(0, width, LANES):
        for lane in range(LANES):
            c_re[lane] = x0 + np.float32(chunk_start + lane) * dx
            z_re[lane] = c_re[lane]
            z_im[lane] = c_im
            counts[lane] = 0
        for _ in range(max_iters):
            running = 0
            for lane in range(LANES):  # the vectorized loop: straight-line code, selects instead of branches
                old_re, old_im = z_re[lane], z_im[lane]
                re2, im2 = old_re * old_re, old_im * old_im
                inside = re2 + im2 <= np.float32(4.0)
                new_re = c_re[lane] + (re2 - im2)
                new_im = c_im + np.float32(2.0) * old_re * old_im
                z_re[lane] = new_re if inside else old_re  # escaped lanes stay frozen outside |z| = 2
                z_im[lane] = new_im if inside else old_im
                counts[lane] += inside
                running += inside
            if running == 0:
                break
        for lane in range(min(LANES, width - chunk_start)):
            row[chunk_start + lane] = counts[lane]


@njit(cache=True)
def compute_image(x0, y0, dx, dy, width, height, max_iters, counts):
    z_re = np.empty(LANES, dtype=np.float32)
    z_im = np.empty(LANES, dtype=np.float32)
    c_re = np.empty(LANES, dtype=np.float32)
    lane_counts = np.empty(LANES, dtype=np.int32)
    for j in range(height):
        compute_row(x0, dx, y0 + np.float32(j) * dy, width, max_iters, counts[j], z_re, z_im, c_re, lane_counts)


def mandelbrot(x0, y0, x1, y1, width, height, max_iters):
    """int32[height, width] escape counts on one core, LANES pixels at a time (module doc)."""
    x0, y0, x1, y1 = (np.float32(v) for v in (x0, y0, x1, y1))
    dx = (x1 - x0) / np.float32(width)
    dy = (y1 - y0) / np.float32(height)
    counts = np.empty((height, width), dtype=np.int32)
    compute_image(x0, y0, dx, dy, width, height, max_iters, counts)
    return counts

"""Mandelbrot on one core with SIMD (vector) instructions. Read README.md (in this folder) first.

Write ``compute_image``: fill ``counts`` with the escape counts, with the hot loop written in *lanes* so that
the compiler turns it into packed vector instructions. The grader runs this variant on one core and reports
whether the machine code holds packed instructions (e.g. ``vmulps`` on ``ymm`` registers).

Grade it with:  python -m grader mandelbrot --variant simd
"""

import numpy as np
from numba import njit

LANES = 16  # pixels advanced together; try 8, 16, 32, 64 and explain what you measure


@njit(cache=True)
def compute_image(x0, y0, dx, dy, width, height, max_iters, counts):
    """Fill counts[j, i] (int32[height, width]) for c = (x0 + i*dx, y0 + j*dy), all float32."""
    # TODO: cut each row into chunks of LANES neighbouring pixels and advance all lanes of a chunk together:
    #   * keep each lane's c_re, z_re, z_im and count in small arrays (np.empty(LANES, ...), allocated once,
    #     outside the loops);
    #   * for each step, one loop `for lane in range(LANES)` that computes every lane's next z with no `if`:
    #     a lane whose |z|^2 > 4 keeps its old z (`new if inside else old` is a select, not a branch), and
    #     `count += inside` counts only the lanes still inside;
    #   * stop the chunk when no lane is inside any more (sum the `inside` flags in the same loop), or after
    #     max_iters steps;
    #   * store only the lanes that fall inside the row (the last chunk may stick out past `width`).
    # Keep the handout's operation order and float32 constants (np.float32(4.0), np.float32(2.0)).
    raise NotImplementedError("TODO: write compute_image in lanes (README, SIMD section)")


def mandelbrot(x0, y0, x1, y1, width, height, max_iters):
    """Return int32[height, width] escape counts, computed on one core with vector instructions."""
    x0, y0, x1, y1 = (np.float32(v) for v in (x0, y0, x1, y1))
    dx = (x1 - x0) / np.float32(width)  # float32, in the handout's order
    dy = (y1 - y0) / np.float32(height)
    counts = np.empty((height, width), dtype=np.int32)
    compute_image(x0, y0, dx, dy, width, height, max_iters, counts)
    return counts

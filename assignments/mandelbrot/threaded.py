"""Mandelbrot with explicit CPU threads. Read README.md (in this folder) first.

Write ``mandelbrot(x0, y0, x1, y1, width, height, max_iters, num_threads=None)``: return the int32[height,
width] escape counts, computed by ``num_threads`` Python threads (None means one per core), each running a
compiled ``nogil`` numba worker on its own part of the image.

Given: ``escape_count`` (one pixel, in the operation order the handout fixes) and ``compute_rows`` (a
contiguous block of rows), the serial code you are parallelising. Yours: the decomposition.

Grade it with:  python -m grader mandelbrot --variant threaded
"""

import os
import threading  # noqa: F401  (you will need it)

import numpy as np
from numba import njit


@njit(nogil=True, cache=True)
def escape_count(c_re, c_im, max_iters):
    """Iterations of z <- z^2 + c, from z = c, before |z|^2 > 4, capped at max_iters (float32 throughout).

    The constants are float32 on purpose: a bare ``4.0`` or ``2.0`` is a float64 in numba and would turn the
    arithmetic into float64, which gives (slightly) different counts.
    """
    z_re, z_im = c_re, c_im
    count = 0
    while count < max_iters:
        if z_re * z_re + z_im * z_im > np.float32(4.0):
            break
        new_re = z_re * z_re - z_im * z_im
        new_im = np.float32(2.0) * z_re * z_im
        z_re, z_im = c_re + new_re, c_im + new_im
        count += 1
    return count


@njit(nogil=True, cache=True)
def compute_rows(x0, y0, dx, dy, width, max_iters, row_start, row_stop, counts):
    """Fill rows [row_start, row_stop) of ``counts``. ``nogil=True``: once called, this compiled loop releases
    Python's global interpreter lock, so several threads can run it at the same time."""
    for j in range(row_start, row_stop):
        c_im = y0 + np.float32(j) * dy
        for i in range(width):
            counts[j, i] = escape_count(x0 + np.float32(i) * dx, c_im, max_iters)


def mandelbrot(x0, y0, x1, y1, width, height, max_iters, num_threads=None):
    """Return int32[height, width] escape counts, computed by ``num_threads`` threads."""
    num_threads = num_threads or os.cpu_count() or 1
    x0, y0, x1, y1 = (np.float32(v) for v in (x0, y0, x1, y1))
    dx = (x1 - x0) / np.float32(width)  # noqa: F841  (float32, in the handout's order: for compute_rows below)
    dy = (y1 - y0) / np.float32(height)  # noqa: F841
    counts = np.empty((height, width), dtype=np.int32)
    # TODO (step 1): split the rows [0, height) into num_threads contiguous blocks that together cover every
    # row (height need not divide evenly). Start one threading.Thread per block running
    #     compute_rows(x0, y0, dx, dy, width, max_iters, row_start, row_stop, counts)
    # then join them all. Measure the speedup on views 1 and 3 (README, "Step 1"): view 3 disappoints. Why?
    # TODO (step 2): write your own @njit(nogil=True, cache=True) worker with a decomposition that balances
    # the work on every view, with no synchronisation beyond the final join (README, "Step 2").
    raise NotImplementedError("TODO: split the rows among num_threads threads (README, step 1 then step 2)")
    return counts

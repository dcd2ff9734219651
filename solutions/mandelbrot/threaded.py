"""Mandelbrot with explicit threads: Python threads, each running a compiled ``nogil`` numba worker.

The work is pixels x iterations, and the iterations vary enormously: a pixel inside the set costs ``max_iters``
steps, one far outside costs one. So the question is not how to split the pixels evenly but how to split the
*work* evenly without knowing it in advance. Contiguous blocks of rows (thread t gets rows [t*H/T, (t+1)*H/T))
fail on view 3, whose costly rows lie in its lower half, and on view 2 on many cores, where a few bands of rows
hold most of the work. Interleaving rows (thread t gets rows t, t+T,
t+2T, ...) spreads every band over all threads: neighbouring rows cost nearly the same, so each thread receives
a fair sample of the whole image. The decomposition is static, needs no synchronisation beyond the final join,
and each thread writes disjoint rows of one shared output array.

Cost model: compute-bound (a few float32 operations per iteration, 4 bytes of output per pixel), so the time is
work / (threads x one core's iteration rate), as long as the work is balanced and threads <= cores.
"""

import os
import threading

import numpy as np
from numba import njit


@njit(nogil=True, cache=True)
def escape_count(c_re, c_im, max_iters):
    """Iterations of z <- z^2 + c, from z = c, before |z|^2 > 4, capped at max_iters (float32 throughout)."""
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
def compute_interleaved_rows(x0, y0, dx, dy, width, height, max_iters, first_row, row_step, counts):
    """Fill rows first_row, first_row + row_step, ... of ``counts``. ``nogil``: runs in parallel with the
    other threads' workers once called."""
    for j in range(first_row, height, row_step):
        c_im = y0 + np.float32(j) * dy
        for i in range(width):
            counts[j, i] = escape_count(x0 + np.float32(i) * dx, c_im, max_iters)


def mandelbrot(x0, y0, x1, y1, width, height, max_iters, num_threads=None):
    """int32[height, width] escape counts, computed by ``num_threads`` threads (default: one per core)
    taking interleaved rows (see the module doc for why interleaved)."""
    num_threads = num_threads or os.cpu_count() or 1
    x0, y0, x1, y1 = (np.float32(v) for v in (x0, y0, x1, y1))
    dx = (x1 - x0) / np.float32(width)  # float32 division, as the handout's operation order says
    dy = (y1 - y0) / np.float32(height)
    counts = np.empty((height, width), dtype=np.int32)
    threads = [
        threading.Thread(
            target=compute_interleaved_rows,
            args=(x0, y0, dx, dy, width, height, max_iters, first_row, num_threads, counts),
        )
        for first_row in range(num_threads)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return counts

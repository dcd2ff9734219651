"""Trusted code that runs inside the benchmark's child processes for Mandelbrot.

* :func:`make_inputs` gives a view's arguments (every process builds the same).
* :func:`mandelbrot` is the serial baseline: one core, the plain scalar loop, compiled like the course's serial
  program (no fastmath, so no FMA and no reassociation).
* :func:`to_device` / :func:`from_device` allocate the output on the GPU, so that the kernel-only benchmark times
  the kernel and not the 7.7 MB copy back.
"""

import numpy as np
from numba import njit

# View 1: the whole set (CMU's window). View 2: view 1 scaled by 0.015 and shifted by (-0.986, 0.30), the
# course's zoomed detail, whose cost differs wildly from row to row. View 3: view 1 moved up by 0.5, so that the
# costly rows near the real axis lie in its lower half: contiguous row blocks leave one thread most of the work
# on any number of cores (oracle per-row counts: the largest of 2 blocks holds 89% of it, 1.78x its fair
# share; of 16 blocks, 2.25x), where view 2's largest of 2 blocks holds only 59% (tests/test_mandelbrot_balance.py).
VIEW_1 = (-2.167, -1.0, 1.167, 1.0)
VIEW_2_SCALE, VIEW_2_SHIFT = 0.015, (-0.986, 0.30)
VIEW_3_SHIFT_Y = 0.5
WIDTH, HEIGHT, MAX_ITERS = 1600, 1200, 256


def view(number: int) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) of view 1, 2 or 3, view 2 computed as the course's scaleAndShift does (in float64 here;
    the functions round the corners to float32 on entry)."""
    if number == 1:
        return VIEW_1
    if number == 3:
        x0, y0, x1, y1 = VIEW_1
        return x0, y0 + VIEW_3_SHIFT_Y, x1, y1 + VIEW_3_SHIFT_Y
    x0, y0, x1, y1 = (v * VIEW_2_SCALE for v in VIEW_1)
    shift_x, shift_y = VIEW_2_SHIFT
    return x0 + shift_x, y0 + shift_y, x1 + shift_x, y1 + shift_y


def make_inputs(view_number: int = 1, width: int = WIDTH, height: int = HEIGHT, max_iters: int = MAX_ITERS):
    """The positional arguments of ``mandelbrot(x0, y0, x1, y1, width, height, max_iters)``."""
    return (*view(view_number), width, height, max_iters)


@njit(cache=True)
def _serial(x0, y0, x1, y1, width, height, max_iters, counts):
    dx = (x1 - x0) / np.float32(width)
    dy = (y1 - y0) / np.float32(height)
    for j in range(height):
        c_im = y0 + np.float32(j) * dy
        for i in range(width):
            c_re = x0 + np.float32(i) * dx
            z_re, z_im = c_re, c_im
            count = 0
            while count < max_iters:
                if z_re * z_re + z_im * z_im > np.float32(4.0):
                    break
                new_re = z_re * z_re - z_im * z_im
                new_im = np.float32(2.0) * z_re * z_im
                z_re, z_im = c_re + new_re, c_im + new_im
                count += 1
            counts[j, i] = count


def mandelbrot(x0, y0, x1, y1, width, height, max_iters):
    counts = np.empty((height, width), dtype=np.int32)
    _serial(np.float32(x0), np.float32(y0), np.float32(x1), np.float32(y1), width, height, max_iters, counts)
    return counts


def to_device(x0, y0, x1, y1, width, height, max_iters):
    """Arguments of ``mandelbrot_device(x0, y0, x1, y1, width, height, max_iters, out)``, ``out`` on the GPU."""
    from numba import cuda

    return x0, y0, x1, y1, width, height, max_iters, cuda.device_array((height, width), dtype=np.int32)


def from_device(args, returned):
    return args[-1].copy_to_host()

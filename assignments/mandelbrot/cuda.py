"""Mandelbrot on a CUDA GPU with numba.cuda. Read README.md (in this folder) first.

Write the kernel (one thread per pixel, on a 2-D grid) and two entry points:

* ``mandelbrot(x0, y0, x1, y1, width, height, max_iters)``: returns the counts as a host (numpy) array;
* ``mandelbrot_device(x0, y0, x1, y1, width, height, max_iters, out)``: writes them into ``out``, an
  int32[height, width] array already on the GPU (the grader times this one: kernel only, no copy).

Without a GPU the grader runs this file on numba's CUDA simulator (slow, but it checks your logic).
Grade it with:  python -m grader mandelbrot --variant cuda
"""

import numpy as np  # noqa: F401  (np.float32, for the constants and corners)
from numba import cuda

BLOCK = (32, 8)  # threads per block: (columns, rows)


@cuda.jit(cache=True)
def mandelbrot_kernel(x0, y0, dx, dy, width, height, max_iters, counts):
    # TODO (1 of 3): this thread computes pixel (j, i). cuda.grid(2) returns (i, j) = (column, row) when the
    # block's first dimension runs along a row. The grid is rounded up to whole blocks, so return early for
    # threads past the image. Then compute c and the escape count in the handout's operation order, with
    # float32 constants (np.float32(4.0), np.float32(2.0)), and store it in counts[j, i].
    raise NotImplementedError("TODO: write the kernel body: one thread computes one pixel")


def mandelbrot_device(x0, y0, x1, y1, width, height, max_iters, out):
    """Launch the kernel so that it writes every pixel of ``out`` (int32[height, width], on the GPU)."""
    # TODO (2 of 3): round the corners to np.float32, compute dx = (x1 - x0) / np.float32(width) and dy, and
    # launch mandelbrot_kernel[grid, BLOCK](...) with enough blocks in each dimension to cover the image.
    raise NotImplementedError("TODO: compute the grid and launch the kernel in mandelbrot_device")


def mandelbrot(x0, y0, x1, y1, width, height, max_iters):
    """Return int32[height, width] escape counts as a host array."""
    # TODO (3 of 3): allocate the output on the GPU (cuda.device_array), call mandelbrot_device, copy back.
    raise NotImplementedError("TODO: allocate, launch and copy back in mandelbrot")

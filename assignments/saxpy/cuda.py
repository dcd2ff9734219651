"""SAXPY on a CUDA GPU with numba.cuda. Read README.md (in this folder) first.

Write the kernel, and two entry points:

* ``saxpy(a, x, y)``: host (numpy) arrays in, a new host array out: copy in, launch, copy out;
* ``saxpy_device(a, x, y, result)``: arrays already on the GPU; launch the kernel writing into ``result``.

Without a GPU the grader runs this file on numba's CUDA simulator (slow, but it checks your logic).
Grade it with:  python -m grader saxpy --variant cuda
"""

import numpy as np  # noqa: F401  (np.float32(a) for the launch)
from numba import cuda

THREADS_PER_BLOCK = 256


@cuda.jit(cache=True)
def _saxpy_kernel(a, x, y, result):
    # TODO (1 of 3): each thread computes one element. cuda.grid(1) gives this thread's global index;
    # the last block may extend past the end of the arrays, so guard the access.
    raise NotImplementedError("TODO: write the SAXPY kernel body")


def saxpy_device(a, x, y, result):
    """Launch the kernel on device arrays (x, y, result already on the GPU) and return ``result``."""
    # TODO (2 of 3): compute the number of blocks so that blocks * THREADS_PER_BLOCK >= n, and launch
    # _saxpy_kernel[blocks, THREADS_PER_BLOCK](np.float32(a), x, y, result). Launching zero blocks is an
    # error: return early when n == 0.
    raise NotImplementedError("TODO: launch the kernel in saxpy_device")


def saxpy(a, x, y):
    """Return a*x + y as a new host float32 array."""
    # TODO (3 of 3): copy x and y to the GPU (cuda.to_device), allocate the result there
    # (cuda.device_array_like), call saxpy_device, and copy the result back (.copy_to_host()).
    raise NotImplementedError("TODO: copy in, launch, copy out in saxpy")

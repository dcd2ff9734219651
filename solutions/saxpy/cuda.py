"""SAXPY on a CUDA GPU with numba.cuda: one thread per element.

Cost model: 12 bytes per element through device memory and 2 flops: the kernel is bound by the GPU's memory
bandwidth (about 3 TB/s on an H100, where a device-to-device copy reaches ~2.9 TB/s). A well-written SAXPY
reaches 90% of that copy rate: consecutive threads touch consecutive addresses, so each warp's 32 loads
coalesce into a few wide memory transactions.

Two entry points:

* ``saxpy(a, x, y)``: host arrays in and out. It copies x and y to the GPU and the result back over PCIe
  (about 25-50 GB/s): 12 bytes an element cross a link 50-100x slower than device memory, so the
  transfers, not the kernel, dominate. This is the course's lesson.
* ``saxpy_device(a, x, y, result)``: arrays already on the GPU; launches the kernel only (asynchronously).
"""

import numpy as np
from numba import cuda

THREADS_PER_BLOCK = 256  # a multiple of the 32-thread warp; enough warps per SM to hide memory latency


@cuda.jit(cache=True)
def _saxpy_kernel(a, x, y, result):
    i = cuda.grid(1)  # this thread's element: blockIdx.x * blockDim.x + threadIdx.x
    if i < x.size:  # the last block may run past the end: n need not be a multiple of the block
        result[i] = a * x[i] + y[i]


def saxpy_device(a, x, y, result):
    """Launch the kernel on device arrays; returns at once (launches are asynchronous)."""
    n = x.shape[0]
    if n == 0:
        return result
    blocks = (n + THREADS_PER_BLOCK - 1) // THREADS_PER_BLOCK
    _saxpy_kernel[blocks, THREADS_PER_BLOCK](np.float32(a), x, y, result)
    return result


def saxpy(a, x, y):
    """Return a*x + y (float32): copy in, launch, copy out."""
    x_device = cuda.to_device(x)
    y_device = cuda.to_device(y)
    result = cuda.device_array_like(x_device)
    saxpy_device(a, x_device, y_device, result)
    return result.copy_to_host()

"""Trusted code that runs inside the benchmark's child processes for SAXPY.

* :func:`make_inputs` builds the benchmark's inputs deterministically (every process builds the same).
* :func:`saxpy` is the serial baseline: one core, one plain compiled loop, as the course's serial program.
* :func:`to_device` / :func:`from_device` stage arrays on the GPU, so that the kernel-only benchmark times
  the kernel and not the PCIe transfers.
"""

import numpy as np
from numba import njit


def make_inputs(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n, dtype=np.float32)
    y = rng.standard_normal(n, dtype=np.float32)
    return np.float32(2.5), x, y


@njit(cache=True)
def _saxpy_loop(a, x, y, result):
    for i in range(x.size):
        result[i] = a * x[i] + y[i]


def saxpy(a, x, y):
    result = np.empty_like(x)
    _saxpy_loop(a, x, y, result)
    return result


def to_device(a, x, y):
    """Arguments of ``saxpy_device(a, x, y, result)``, all on the GPU."""
    from numba import cuda

    return a, cuda.to_device(x), cuda.to_device(y), cuda.device_array_like(x)


def from_device(args, returned):
    return args[3].copy_to_host()

"""Planted: a prange loop whose thread count is set with numba.set_num_threads(num_threads), which refuses
more threads than numba started with (its NUMBA_NUM_THREADS, the core count), while the grader asks for more
threads than cores on purpose."""

import numba
import numpy as np
from numba import njit, prange


@njit(parallel=True)
def _saxpy(a, x, y, result):
    for i in prange(x.size):
        result[i] = a * x[i] + y[i]


def saxpy(a, x, y, num_threads=None):
    numba.set_num_threads(num_threads or numba.config.NUMBA_NUM_THREADS)
    result = np.empty_like(x)
    _saxpy(np.float32(a), x, y, result)
    return result

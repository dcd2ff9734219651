"""Planted: the numba chunk kernel does not compile (``+ y`` adds the whole array, not ``y[i]``): numba raises
a TypingError in each thread on the first call."""

import itertools
import threading

import numpy as np
from numba import njit


@njit(nogil=True)
def _saxpy_chunk(a, x, y, result):
    for i in range(x.size):
        result[i] = a * x[i] + y


def saxpy(a, x, y, num_threads=None):
    num_threads = num_threads or 2
    result = np.empty_like(x)
    bounds = [x.size * t // num_threads for t in range(num_threads + 1)]
    threads = [threading.Thread(target=_saxpy_chunk, args=(np.float32(a), x[start:stop], y[start:stop],
                                                          result[start:stop]))
               for start, stop in itertools.pairwise(bounds)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return result

"""Planted: jobs submitted to a thread pool whose results are never asked for; one of them raises an
IndexError (an off-by-one past the end of the array). The pool would keep the exception to itself."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np


def _work(a, x, y, result, start, stop):
    if stop > x.size:
        raise IndexError(f"chunk [{start}, {stop}) runs past the end of the array (n = {x.size})")
    result[start:stop] = a * x[start:stop] + y[start:stop]


def saxpy(a, x, y, num_threads=None):
    num_threads = num_threads or 2
    result = np.empty_like(x)
    chunk = x.size // num_threads + 1  # the slip: the last chunk runs past n
    with ThreadPoolExecutor(num_threads) as pool:
        for t in range(num_threads):
            pool.submit(_work, np.float32(a), x, y, result, t * chunk, (t + 1) * chunk)
    return result

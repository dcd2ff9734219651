"""Planted: a half-done starter, whose threads run a chunk function still raising its TODO."""

import threading

import numpy as np


def _saxpy_chunk(a, x, y, result):
    raise NotImplementedError("TODO: write the loop of _saxpy_chunk")


def saxpy(a, x, y, num_threads=None):
    num_threads = num_threads or 2
    result = np.empty_like(x)
    bounds = [x.size * t // num_threads for t in range(num_threads + 1)]
    threads = [threading.Thread(target=_saxpy_chunk, args=(a, x[bounds[t]:bounds[t + 1]], y[bounds[t]:bounds[t + 1]],
                                                          result[bounds[t]:bounds[t + 1]]))
               for t in range(num_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return result

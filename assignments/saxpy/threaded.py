"""SAXPY with explicit CPU threads. Read README.md (in this folder) first.

Write ``saxpy(a, x, y, num_threads=None)``: return a new float32 array holding a*x + y, computed by
``num_threads`` threads (None means one per core), each working on its own part of the array.

Grade it with:  python -m grader saxpy --variant threaded
"""

import os
import threading  # noqa: F401  (you will need it)

import numpy as np
from numba import njit


@njit(nogil=True, cache=True)
def _saxpy_chunk(a, x, y, result):
    """Compute result[i] = a * x[i] + y[i] for every i of these (chunk-sized) arrays.

    ``nogil=True`` makes this compiled loop release Python's global interpreter lock, so several threads
    can run it at the same time. Each thread passes slices (views) of its own chunk: writing into
    ``result[start:stop]`` writes into ``result``.
    """
    # TODO (1 of 2): write the loop over every element.
    raise NotImplementedError("TODO: write the loop of _saxpy_chunk")


def saxpy(a, x, y, num_threads=None):
    """Return a*x + y as a new float32 array (x and y must not be modified)."""
    num_threads = num_threads or os.cpu_count() or 1
    a = np.float32(a)
    result = np.empty_like(x)
    # TODO (2 of 2): split [0, n) into num_threads contiguous chunks that together cover every element
    # (n need not divide evenly: the last chunk must end exactly at n). Start one threading.Thread per
    # chunk running _saxpy_chunk(a, x[start:stop], y[start:stop], result[start:stop]), then join them all.
    raise NotImplementedError("TODO: split the work into chunks and run one thread per chunk")
    return result

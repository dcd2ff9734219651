"""SAXPY with explicit CPU threads: ``num_threads`` Python threads, each running a compiled loop on its chunk.

Cost model: 2 flops and 12 bytes of memory traffic per element (read x, read y, write the result). At
about 0.17 flops a byte, SAXPY is memory-bound on every machine: one core streams roughly 10-15 GB/s, and
two cores together reach the memory system's limit (about 20-30 GB/s on a laptop). So threads buy at most
the ratio between what all cores can stream and what one can, not a factor of the core count.

numpy's ``a * x + y`` makes two passes over memory with a temporary (20 bytes an element: read x, write
a*x, read it back, read y, write the result). One fused pass moves 12, so even before threads it wins.
"""

import os
import threading

import numpy as np
from numba import njit


@njit(nogil=True, cache=True)
def _saxpy_chunk(a, x, y, result):
    # nogil: this compiled loop releases Python's global interpreter lock, so threads really run at once.
    # Each thread gets views (slices) of its chunk and loops from 0: with indices known to be >= 0 the
    # compiler drops negative-index checks and vectorizes the loop.
    for i in range(x.size):
        result[i] = a * x[i] + y[i]


def saxpy(a, x, y, num_threads=None):
    """Return a*x + y (float32), computed by ``num_threads`` threads on contiguous chunks.

    Contiguous chunks, one per thread: every element costs the same, so equal chunks balance the load,
    and each thread streams through its own region of memory (good for the hardware prefetcher).
    """
    num_threads = num_threads or os.cpu_count() or 1
    a = np.float32(a)
    result = np.empty_like(x)
    n = x.size
    # Chunk boundaries: thread t takes [bounds[t], bounds[t+1]); the last chunk ends exactly at n.
    bounds = [n * t // num_threads for t in range(num_threads + 1)]
    chunks = [slice(bounds[t], bounds[t + 1]) for t in range(num_threads)]
    threads = [threading.Thread(target=_saxpy_chunk, args=(a, x[chunk], y[chunk], result[chunk])) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return result

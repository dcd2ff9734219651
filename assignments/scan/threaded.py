"""Exclusive scan and find_repeats with explicit CPU threads. Read README.md (in this folder) first.

Write, for int32 arrays ``a``:

* ``exclusive_scan(a, num_threads=None)``: a new int32 array out with out[0] = 0 and
  out[i] = a[0] + ... + a[i-1];
* ``find_repeats(a, num_threads=None)``: the ascending indices i (int32) with a[i] == a[i+1];

each on ``num_threads`` threads (None means one per core), as a blocked two-pass scan: every thread sums its
chunk, the chunk sums are scanned into offsets, every thread scans its chunk from its offset.

Grade it with:  python -m grader scan --variant threaded
"""

import os
import threading

import numpy as np  # noqa: F401  (you will need it)
from numba import njit


def _chunk_bounds(n: int, num_threads: int) -> list[int]:
    """Thread t owns [bounds[t], bounds[t+1]); the last chunk ends exactly at n, however n divides."""
    return [n * t // num_threads for t in range(num_threads + 1)]


def _run_threads(target, argument_lists) -> None:
    """Run ``target(*arguments)`` once per argument list, each in its own thread, and wait for all.

    ``target`` should be a ``@njit(nogil=True)`` function, so the threads really run at the same time; it
    returns nothing, so let it write its answer into an array you pass (for example ``totals[t]``)."""
    threads = [threading.Thread(target=target, args=arguments) for arguments in argument_lists]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


# Pass each kernel its chunk as slices (views: a[start:stop], out[start:stop]) and loop from 0: with indices
# provably >= 0 the compiler drops numba's negative-index check from the loop and can vectorize it.
@njit(nogil=True, cache=True)
def _chunk_total(chunk, totals, t):
    """Store chunk[0] + ... + chunk[-1] in totals[t]."""
    # TODO (1 of 4): a plain summing loop. It is a reduction, so numba vectorizes it: keep it branch-free.
    raise NotImplementedError("TODO: sum the chunk in _chunk_total")


@njit(nogil=True, cache=True)
def _chunk_scan(chunk, offset, out):
    """Store offset + chunk[0] + ... + chunk[i-1] in out[i], for every i of the chunk (out: the chunk's slice)."""
    # TODO (2 of 4): the serial exclusive scan of the chunk, starting from ``offset`` (so no third pass is needed
    # to add it). Once it is correct, make it faster: see "Making the scan pass fast" in README.md.
    raise NotImplementedError("TODO: scan the chunk in _chunk_scan")


def exclusive_scan(a, num_threads=None):
    """Return out (int32[n]) with out[i] = a[0] + ... + a[i-1] and out[0] = 0; a must not be modified."""
    num_threads = num_threads or os.cpu_count() or 1
    # TODO (3 of 4): allocate out (int32, length n) and a totals array (one int32 per thread); bounds =
    # _chunk_bounds(n, num_threads); pass 1: _run_threads(_chunk_total, ...) with one argument tuple per thread;
    # scan the totals into each chunk's offset (num_threads numbers: plain numpy is fine); pass 2:
    # _run_threads(_chunk_scan, ...). Check n = 0, 1 and n < num_threads (empty chunks) too.
    raise NotImplementedError("TODO: the two passes of exclusive_scan")


def find_repeats(a, num_threads=None):
    """Return the ascending indices i (int32 array) with a[i] == a[i+1]; a must not be modified."""
    num_threads = num_threads or os.cpu_count() or 1
    # TODO (4 of 4): the same two passes over the n - 1 pairs (i, i+1). Pass 1: each thread counts the repeats in
    # its chunk of pairs (write a @njit(nogil=True) helper). Scan the counts: each chunk's first output slot; the
    # total count sizes the output. Pass 2: each thread writes its indices from its first slot on. Careful with
    # the last pair (n-2, n-1) and with n < 2.
    raise NotImplementedError("TODO: count, scan, scatter in find_repeats")

"""Exclusive scan and find_repeats on one core, written so that the compiler can use vector instructions.

Why a scan resists vectorization: a vector instruction does the same operation on neighbouring elements at once,
but out[i+1] = out[i] + a[i] needs out[i] first. Written as one loop, every iteration waits for the previous
add (a loop-carried dependency), so the compiler keeps it scalar: one element per add latency, and nothing for
the vector units to do.

The cure is to reorder the additions (integer addition is associative, so any order gives the same bits):
work in groups of ``LANES`` = 4 elements, the number of int32 lanes of a 128-bit register.

* Within a group, the partial sums a[i], a[i]+a[i+1], a[i]+a[i+1]+a[i+2] depend only on the group's own
  elements, never on the running total: they are computed in parallel.
* The running total is added to all four at once (one broadcast add, a packed add on 4 lanes) and stored as one
  4-wide vector, then advanced once by the group's total.

So the serial chain is one add per group instead of one per element. Real SIMD scans (e.g. in-register
Hillis-Steele with shuffles: log2(lanes) shift-and-add steps) go further with intrinsics; numba has no
intrinsics, so this reference stays with what the compiler finds in plain code, which `python -m grader scan
--variant simd` shows as packed instructions.

Cost model: 8 bytes an element (read a, write out). At large n one core's memory bandwidth bounds it (about
10-15 GB/s: 1-2 G elements/s), so expect a modest speedup over the plain loop out of cache and more in cache.

find_repeats: the flags (a[i] == a[i+1]) are a packed compare, and counting them is a reduction; the scatter
(writing i where the flag is set) is data-dependent, so it is a second, scalar pass over the pairs. Counting
first sizes the output exactly: flags, scan (here: a running slot), scatter.
"""

import numpy as np
from numba import njit

LANES = 4  # int32 lanes in a 128-bit register (SSE/AVX on x86-64, NEON on arm64)


@njit(cache=True)
def _scan_into(a, out):
    n = a.size
    running = np.int32(0)
    group_end = n // LANES * LANES
    for i in range(0, group_end, LANES):
        first = a[i]
        first_two = first + a[i + 1]
        first_three = first_two + a[i + 2]
        # Four independent adds of ``running``: one packed add and one vector store.
        out[i] = running
        out[i + 1] = running + first
        out[i + 2] = running + first_two
        out[i + 3] = running + first_three
        running = np.int32(running + first_three + a[i + 3])
    for i in range(group_end, n):  # the last n % LANES elements
        out[i] = running
        running = np.int32(running + a[i])


@njit(cache=True)
def _count_repeats(a):
    count = 0
    for i in range(a.size - 1):  # compare and add, no branch: a packed compare and a reduction
        count += a[i] == a[i + 1]
    return count


@njit(cache=True)
def _scatter_repeats(a, out):
    slot = 0
    for i in range(a.size - 1):
        if a[i] == a[i + 1]:
            out[slot] = i
            slot += 1


def exclusive_scan(a):
    """Return out (int32[n]) with out[i] = a[0] + ... + a[i-1] and out[0] = 0."""
    out = np.empty(a.size, dtype=np.int32)
    _scan_into(a, out)
    return out


def find_repeats(a):
    """Return the ascending indices i (int32) with a[i] == a[i+1]."""
    out = np.empty(_count_repeats(a), dtype=np.int32)
    _scatter_repeats(a, out)
    return out

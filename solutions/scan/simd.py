"""Exclusive scan and find_repeats on one core: regrouping the additions, and what the vector units can take.

Why a scan resists vectorization: a vector instruction does the same operation on neighbouring elements at once
(an AVX-512 register holds 16 int32), but out[i+1] = out[i] + a[i] needs out[i] first. Written as one loop,
every iteration waits for the previous add (a loop-carried dependency) and the compiler keeps it scalar.

What can be done without intrinsics, measured on the 2-core CI machine (AVX-512) at n = 2**24:

* **Regroup** (this reference): integer addition is associative, so work in groups of 4. The partial sums
  a[i], a[i]+a[i+1], a[i]+a[i+1]+a[i+2] depend only on the group, never on the running total; the running
  total is added to each and advanced once per group. LLVM still emits scalar instructions, but the chain of
  dependent adds is 4x shorter and the core overlaps the rest and runs ahead on the loads: about 1.7-2x the
  plain loop out of cache (about 7 ms against 13 ms), the same in L1, where the plain loop already stores one
  element a cycle.
* **Log-step (Hillis-Steele) over a block in L1**: for d = 1, 2, 4, ...: x[i] += x[i-d]. Every step is a
  vectorizable loop (the compiler emits hundreds of packed adds), but it does log2(block) times the work, and
  without register shuffles each step goes through memory: it measured 1.6x *slower* than the plain loop.
  Real SIMD scans do the log-step inside a register with shuffle intrinsics, which numba does not expose.

So this reference vectorizes where the algorithm allows: find_repeats's flags (a[i] == a[i+1]) are a packed
compare and counting them a packed reduction (see the grader's "vector instructions" line); the scan itself
is the regrouped scalar loop. The threaded variant uses the same idea for its scan pass and vectorizes its
reduction pass.

Cost model: 8 bytes an element (read a, write out). At large n one core's memory bandwidth bounds it (about
10-20 GB/s: 1.2-2.5 G elements/s).

find_repeats: count first (vectorized), so that the output is allocated at its exact size, then scatter the
indices in a second, scalar pass (the writes are data-dependent): flags, scan (a running slot), scatter.
"""

import numpy as np
from numba import njit

GROUP = 4  # elements a group: one dependent add per group instead of one per element


@njit(cache=True)
def _scan_into(a, out):
    running = np.int32(0)
    groups = a.size // GROUP
    for g in range(groups):  # from 0: indices provably >= 0, no negative-index checks in the loop
        i = GROUP * g
        # The group's partial sums do not depend on ``running``: they overlap with the previous group's work.
        first = a[i]
        first_two = first + a[i + 1]
        first_three = first_two + a[i + 2]
        out[i] = running
        out[i + 1] = running + first
        out[i + 2] = running + first_two
        out[i + 3] = running + first_three
        running = np.int32(running + first_three + a[i + 3])  # the only dependent add of the group
    for i in range(GROUP * groups, a.size):  # the last n % GROUP elements
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

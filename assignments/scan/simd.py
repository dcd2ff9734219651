"""Exclusive scan and find_repeats on one core, with vector instructions. Read README.md (in this folder) first.

Write ``exclusive_scan(a)`` (int32: out[0] = 0, out[i] = a[0] + ... + a[i-1]) and ``find_repeats(a)`` (the
ascending int32 indices i with a[i] == a[i+1]) so that the scan's chain of dependent additions gets shorter and
numba's compiler emits packed vector instructions where the work allows (find_repeats's compare and count). The
grader shows which packed vector instructions it finds.

Grade it with:  python -m grader scan --variant simd
"""

import numpy as np  # noqa: F401  (you will need it)
from numba import njit

GROUP = 4  # elements a group: one dependent add per group instead of one per element


@njit(cache=True)
def _scan_into(a, out):
    """Write the exclusive scan of a into out."""
    # TODO (1 of 3): first the plain loop (out[i] = running; running += a[i]) and grade it: correct, but every
    # iteration waits for the previous add. Then work in groups of GROUP elements: compute the group's partial
    # sums from the group alone (they do not need ``running``), add ``running`` to each, and advance
    # ``running`` once per group. Loop over group numbers from 0 (for g in range(n // GROUP): i = GROUP * g) so
    # indices are provably >= 0. Do not forget the n % GROUP elements at the end.
    raise NotImplementedError("TODO: the grouped scan loop of _scan_into")


def exclusive_scan(a):
    """Return out (int32[n]) with out[i] = a[0] + ... + a[i-1] and out[0] = 0; a must not be modified."""
    # TODO (2 of 3): allocate out (int32, same length) and call _scan_into.
    raise NotImplementedError("TODO: allocate the output and call _scan_into")


def find_repeats(a):
    """Return the ascending indices i (int32 array) with a[i] == a[i+1]; a must not be modified."""
    # TODO (3 of 3): two @njit passes over the pairs: count the repeats with a branch-free loop
    # (count += a[i] == a[i + 1]: a packed compare and a reduction), allocate exactly that many int32, then
    # write the indices in order.
    raise NotImplementedError("TODO: count the repeats, then write their indices")

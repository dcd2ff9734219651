"""The scan oracle: what a correct ``exclusive_scan(a)`` and ``find_repeats(a)`` return.

Both answers are exact integers, so the comparison is exact (tolerance 0): a scan has no rounding to forgive.

* ``exclusive_scan(a)[i] = a[0] + ... + a[i-1]`` (``[0] = 0``). The oracle sums in int64, where no input the
  grader draws can overflow, and converts to int32 at the end.
* ``find_repeats(a)`` is every index i with ``a[i] == a[i+1]``, ascending, as int32.

Value bound (no int32 overflow). Every prefix sum must fit in int32: |a[0] + ... + a[i-1]| <= n * max|a[i]|,
so inputs obey ``max|a[i]| * n < 2**31`` and then every partial sum, in every order of addition a parallel scan
may use, is exact in int32. (Two's-complement addition is associative even when it wraps, so a correct scan
would still match the oracle modulo 2**32 past the bound; the grader never goes there, so that no learner has
to reason about wrap-around.) :func:`value_bound` gives the largest magnitude allowed for a length.
"""

import numpy as np

INT32_LIMIT = 2**31


def value_bound(n: int) -> int:
    """Largest |a[i]| allowed at length n: max|a[i]| * n < 2**31 (at least 1, so n = 0 and 1 work too)."""
    return max(1, (INT32_LIMIT - 1) // max(n, 1))


def exclusive_scan(a: np.ndarray) -> np.ndarray:
    """out[i] = a[0] + ... + a[i-1], out[0] = 0; int32, same length as a."""
    sums = np.zeros(a.size, dtype=np.int64)
    np.cumsum(a[:-1], dtype=np.int64, out=sums[1:])
    assert a.size == 0 or np.abs(sums).max() < INT32_LIMIT, "input outside the value bound"
    return sums.astype(np.int32)


def find_repeats(a: np.ndarray) -> np.ndarray:
    """Ascending indices i (0 <= i < n-1) with a[i] == a[i+1]; int32."""
    return np.flatnonzero(a[:-1] == a[1:]).astype(np.int32)

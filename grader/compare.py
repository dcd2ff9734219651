"""Comparing a learner's answer with the oracle's, with messages that say exactly what differs.

Every check in ``grader/suites/*/tasks.py`` reports through :func:`expect_array`, so every assignment words a wrong
dtype, a wrong shape or a wrong value the same way.
"""

from __future__ import annotations

import numpy as np

from grader.spec import Mismatch

# u: the largest relative error of one float32 rounding (to nearest), np.finfo(np.float32).eps / 2. The
# oracles' tolerances are multiples of it, derived from how many roundings a correct float32 answer takes.
UNIT_ROUNDOFF = 2.0**-24


def expect_array(
    got, expected: np.ndarray, *, what: str, tolerance: np.ndarray | float = 0.0, max_mismatches: int = 0
) -> None:
    """Raise :class:`Mismatch` unless ``got`` has ``expected``'s dtype and shape and its values.

    ``tolerance`` is the largest allowed ``|got - expected|``, a scalar or one bound per element (an
    assignment derives it from its rounding-error analysis, stated in its handout). Exact equality is
    ``tolerance=0``. Up to ``max_mismatches`` elements may differ by more. NaN matches only NaN.
    """
    if not isinstance(got, np.ndarray):
        raise Mismatch(
            f"{what}: expected a numpy array of dtype {expected.dtype} and shape "
            f"{expected.shape}, got {type(got).__name__}"
        )
    if got.dtype != expected.dtype:
        raise Mismatch(f"{what}: expected dtype {expected.dtype}, got {got.dtype}")
    if got.shape != expected.shape:
        raise Mismatch(f"{what}: expected shape {expected.shape}, got {got.shape}")
    if got.size == 0:
        return
    if expected.dtype.kind in "iub":
        wrong = got != expected
    else:
        with np.errstate(invalid="ignore", over="ignore"):
            error = np.abs(got.astype(np.float64) - expected.astype(np.float64))
            wrong = ~(error <= tolerance)  # NaN error counts as wrong...
        both_nan = np.isnan(got) & np.isnan(expected)
        same_inf = np.isinf(expected) & (got == expected)
        wrong &= ~(both_nan | same_inf)  # ...unless both are the same non-finite value
    count = int(np.count_nonzero(wrong))
    if count > max_mismatches:
        first = tuple(int(i) for i in np.argwhere(wrong)[0])
        index = first[0] if len(first) == 1 else first
        allowed = f" ({max_mismatches} allowed)" if max_mismatches else ""
        bound = ""
        if np.ndim(tolerance) == 0 and tolerance:
            bound = f" (tolerance {float(tolerance):.3g})"
        elif np.ndim(tolerance):
            bound = f" (tolerance {float(np.broadcast_to(tolerance, wrong.shape)[first]):.3g})"
        raise Mismatch(
            f"{what}: {count} of {wrong.size} elements differ{allowed}; first at index "
            f"{index}: expected {expected[first]!r}, got {got[first]!r}{bound}"
        )

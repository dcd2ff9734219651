"""The SAXPY oracle: what a correct ``saxpy(a, x, y)`` returns, and how close counts as correct.

The oracle computes ``a*x + y`` in float64, where the product of two float32 values is exact, and rounds
once to float32: the correctly rounded answer. A learner's float32 code rounds twice (after the multiply,
after the add), or once if the compiler fuses them (FMA). Each rounding errs by at most
u = 2**-24 relative, so any correct float32 implementation lies within 2u(|a*x| + |y|) of the exact value,
and within 3u(|a*x| + |y|) of the oracle's rounded one. The tolerance allows 4u: a correct answer always
passes, while a wrong formula (a*x - y, x + a*y, a dropped term) misses by far more.
"""

import numpy as np

from grader.compare import UNIT_ROUNDOFF


def saxpy(a, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The correctly rounded float32 result of a*x + y."""
    exact = np.float64(np.float32(a)) * x.astype(np.float64) + y.astype(np.float64)
    return exact.astype(np.float32)


def tolerance(a, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-element bound on |learner - oracle| for a correct float32 implementation (see module doc)."""
    magnitude = np.abs(np.float64(np.float32(a)) * x.astype(np.float64)) + np.abs(y.astype(np.float64))
    return 4 * UNIT_ROUNDOFF * magnitude + np.finfo(np.float32).smallest_subnormal

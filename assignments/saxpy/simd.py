"""SAXPY on one core with SIMD (vector) instructions. Read README.md (in this folder) first.

Write ``saxpy(a, x, y)``: return a new float32 array holding a*x + y, computed by a compiled loop that the
compiler turns into packed vector instructions. The grader runs this variant on one core and reports
whether the machine code holds packed instructions (e.g. ``vfmadd231ps`` on ``ymm`` registers).

Grade it with:  python -m grader saxpy --variant simd
"""

import numpy as np
from numba import njit


@njit(cache=True)
def _saxpy_vectorizable(a, x, y, result):
    """result[i] = a * x[i] + y[i] for every i, written so LLVM emits vector instructions."""
    # TODO: write the loop. The compiler vectorizes it only if the iterations are independent, the trip
    # count is known before the loop starts, the indices run from 0 (range(n)), and there is no `if`
    # inside. The handout explains each condition; the grader's report shows whether you met them.
    raise NotImplementedError("TODO: write the vectorizable loop of _saxpy_vectorizable")


def saxpy(a, x, y):
    """Return a*x + y as a new float32 array (x and y must not be modified)."""
    result = np.empty_like(x)
    _saxpy_vectorizable(np.float32(a), x, y, result)
    return result

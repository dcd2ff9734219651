"""SAXPY on one core, written so that the compiler emits packed vector instructions.

A vector instruction applies one operation to several values at once: a 256-bit AVX2 ``ymm`` register holds
8 float32 (a 512-bit AVX-512 ``zmm`` register 16), so one ``vfmadd231ps`` computes 8 or 16 multiply-adds.
The compiler (LLVM, under numba) vectorizes a loop by itself when

* its iterations are independent (no iteration reads what an earlier one wrote),
* its trip count is known when the loop starts (no ``break``),
* its accesses are contiguous and its indices provably non-negative (``range(n)``: a signed index that
  might be negative forces numba's wrap-around check into the loop and stops vectorization),
* its body has no data-dependent branch (an ``if`` becomes a mask only in simple cases).

Then it processes whole vectors in the main loop and the last n % width elements in a scalar tail loop:
exactly what you would write by hand with intrinsics. This loop meets every condition.

Expect little speedup over a scalar loop at large n: one core's memory bandwidth, not its arithmetic,
limits SAXPY (12 bytes moved per 2 flops). Vector instructions pay where data sits in cache (try n = 4096)
and in compute-bound code (mandelbrot, assignment 1).
"""

import numpy as np
from numba import njit


@njit(cache=True)
def _saxpy_vectorizable(a, x, y, result):
    for i in range(x.size):  # independent, contiguous, branch-free, indices from 0: vectorizes
        result[i] = a * x[i] + y[i]


def saxpy(a, x, y):
    """Return a*x + y (float32) computed on one core with vector instructions."""
    result = np.empty_like(x)
    _saxpy_vectorizable(np.float32(a), x, y, result)
    return result

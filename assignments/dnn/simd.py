"""Deep-learning operators on one core, written so that the compiler emits packed vector instructions. Read
README.md (in this folder) first.

The same four functions as threaded.py (same arguments, no ``num_threads``), each running on one core. Make
every hot loop vectorizable: contiguous, independent iterations, no data-dependent branch in the loop body,
and let the compiler reorder sums (``fastmath=FAST``). The grader shows whether packed vector instructions
appear in your compiled code.

Grade it with:  python -m grader dnn --variant simd
"""

import math  # noqa: F401

import numpy as np  # noqa: F401
from numba import njit  # noqa: F401

from .common import conv_output_size, exp_inplace  # noqa: F401

FAST = {"reassoc", "contract", "nsz", "arcp"}


def layernorm(x, weight, bias, eps):
    """(y, mean, rstd) as in threaded.py, on one core."""
    # TODO (1 of 4): one @njit(cache=True, fastmath=FAST) kernel over all rows: a row's sum and sum of
    # squares are reductions along contiguous memory (they vectorize once reassociation is allowed).
    raise NotImplementedError("TODO: layernorm (Part 1)")


def layernorm_backward(dy, x, weight, mean, rstd):
    """(dx, dweight, dbias) as in threaded.py, on one core."""
    # TODO (2 of 4): per row, the two reductions sum(g) and sum(g * xhat), then the pass that writes dx;
    # dweight and dbias accumulate across rows (loops along features: contiguous, vectorizable).
    raise NotImplementedError("TODO: layernorm_backward (Part 1)")


def attention(q, k, v, causal):
    """softmax(q k^T / sqrt(dim)) v as in threaded.py, on one core, never storing the seq x seq scores."""
    # TODO (3 of 4): for a block of queries, loop over tiles of keys. Store the key tile transposed
    # (keys_t[d, j]) so the scores loop runs over keys, contiguous; exponentiate a row of scores with
    # exp_inplace (math.exp in the loop is a library call a value and blocks vectorization); accumulate
    # p * v[j, :] along the head dimension.
    raise NotImplementedError("TODO: attention (Part 2)")


def conv2d(x, w, bias, stride, padding):
    """conv2d as in threaded.py, on one core."""
    # TODO (4 of 4): im2col into columns[c_in * kh * kw, h_out * w_out] for one image at a time, then your own
    # matrix product: for each output channel, for each reduction index r, out[co, p0:p1] += w[co, r] *
    # columns[r, p0:p1] (the innermost loop along output positions: contiguous in both; a tile of positions
    # small enough that out[co, p0:p1] stays in L1).
    raise NotImplementedError("TODO: conv2d (Part 3)")

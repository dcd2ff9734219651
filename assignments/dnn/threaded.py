"""Deep-learning operators with explicit CPU threads. Read README.md (in this folder) first.

Write four functions, float32 numpy arrays in and out, inputs left unchanged, each computed by ``num_threads``
threads (None means one per core) running compiled numba kernels (``nogil=True``) on their share of the work:

* ``layernorm(x, weight, bias, eps)`` -> (y, mean, rstd)               Part 1
* ``layernorm_backward(dy, x, weight, mean, rstd)`` -> (dx, dweight, dbias)   Part 1
* ``attention(q, k, v, causal)`` -> out                               Part 2
* ``conv2d(x, w, bias, stride, padding)`` -> out                      Part 3

common.py gives you ``chunk_bounds`` (split [0, n) into contiguous ranges), ``run_threads`` (one thread per
argument list, errors re-raised in the caller), ``conv_output_size`` and ``exp_inplace`` (a vectorized exp).

Grade it with:  python -m grader dnn --variant threaded
"""

import math  # noqa: F401
import os

import numpy as np  # noqa: F401
from numba import njit  # noqa: F401

from .common import chunk_bounds, conv_output_size, exp_inplace, run_threads  # noqa: F401

# Let the compiler reorder float sums (vector lanes) and fuse multiply-adds; keep infinities (-inf is the online
# softmax's starting maximum).
FAST = {"reassoc", "contract", "nsz", "arcp"}


def _threads(num_threads) -> int:
    return max(1, num_threads or os.cpu_count() or 1)


def layernorm(x, weight, bias, eps, num_threads=None):
    """Normalize each row of x[rows, features]: y = (x - mean) * rstd * weight + bias, with mean and the biased
    variance (divided by features) of the row and rstd = 1 / sqrt(var + eps).
    Return (y float32[rows, features], mean float32[rows], rstd float32[rows])."""
    # TODO (1 of 4): write a @njit(nogil=True, cache=True, fastmath=FAST) kernel that normalizes rows
    # start..stop-1 into preallocated y, mean, rstd (three passes over a row: sum, sum of squares of x - mean,
    # output). Then split the rows with chunk_bounds(rows, _threads(num_threads)) and run the kernel on each
    # chunk with run_threads. Compute the variance about the mean, not as E[x^2] - E[x]^2 (README, Part 1).
    raise NotImplementedError("TODO: layernorm (Part 1)")


def layernorm_backward(dy, x, weight, mean, rstd, num_threads=None):
    """Gradients of layernorm given the upstream gradient dy and the forward's x, mean and rstd:
    dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = dy * weight, xhat = (x - mean) * rstd (means over
    a row); dweight = sum over rows of dy * xhat; dbias = sum over rows of dy.
    Return (dx float32[rows, features], dweight float32[features], dbias float32[features])."""
    # TODO (2 of 4): a kernel over a chunk of rows that writes dx and adds this chunk's dy * xhat and dy into
    # its OWN partial dweight and dbias rows (allocate float32[threads, features] zeros, one row per thread:
    # two threads must never add into the same element); sum the partials after the threads join.
    raise NotImplementedError("TODO: layernorm_backward (Part 1)")


def attention(q, k, v, causal, num_threads=None):
    """softmax(q k^T / sqrt(dim)) v for q, k, v float32[heads, seq, dim]; with ``causal``, query i sees keys
    0..i only. Return float32[heads, seq, dim]. Never store the seq x seq score matrix (the memory task)."""
    # TODO (3 of 4): Flash attention. Work items: (head, block of queries). For each, loop over tiles of keys:
    # scores of the block's queries against the tile, then the online softmax update (running maximum m,
    # running sum l, accumulator acc rescaled by exp(m_old - m_new)), and finally out = acc / l. With causal,
    # stop at the block's last query and mask the keys after each query in the last tile. Deal the items out
    # round-robin (thread t takes t, t + T, ...): causal blocks cost more the later they come.
    raise NotImplementedError("TODO: attention (Part 2)")


def conv2d(x, w, bias, stride, padding, num_threads=None):
    """out[n, co, oy, ox] = bias[co] + sum over ci, ky, kx of w[co, ci, ky, kx] *
    x[n, ci, oy * stride - padding + ky, ox * stride - padding + kx] (zero outside the image), NCHW.
    Return float32[n, c_out, h_out, w_out] with h_out = conv_output_size(h, kh, stride, padding)."""
    # TODO (4 of 4): im2col: threads unfold the images into columns float32[n, c_in * kh * kw, h_out * w_out]
    # (zeros where a tap falls in the padding); then the matrix product, split over threads by (image, block of
    # output channels): out[image, co, :] = bias[co] + w2[co, :] @ columns[image] with w2 = w.reshape(c_out, -1),
    # the innermost loop along output positions. Write the direct loops first and time both; try np.matmul for
    # the product too (numpy's BLAS: README, Part 3).
    raise NotImplementedError("TODO: conv2d (Part 3)")

"""Deep-learning operators on one core, written so that the compiler emits packed vector instructions.

Every hot loop here runs along a contiguous axis with independent iterations and no data-dependent branch
(see assignments/saxpy/simd.py for the rules), so LLVM turns it into 8- or 16-lane vector code:

* layernorm: the row sums vectorize once the compiler may reorder them (``reassoc``: each lane keeps a partial
  sum, added at the end, a different rounding order that the grader's tolerance allows); the output pass is a
  plain elementwise loop.
* attention: the scores of one query against a tile of keys loop over keys (the tile is stored transposed, so
  keys are contiguous); the exponentials use ``exp_inplace`` (common.py), a polynomial the compiler vectorizes
  where ``math.exp`` is one library call a value; the weighted sum of values loops over the head dimension.
* conv2d: im2col unfolds the input into columns; the matrix product loops output channel, then reduction index,
  then output position innermost (contiguous in both the columns and the output), so each step is one vector
  multiply-add of a broadcast weight with a vector of columns.
"""

import math

import numpy as np
from numba import njit

from .common import conv_output_size, exp_inplace

FAST = {"reassoc", "contract", "nsz", "arcp"}  # reorder sums, fuse multiply-adds; infinities stay (-inf below)
BLOCK_Q = 32  # queries that share each tile of keys
BLOCK_K = 64  # keys in a tile
POSITIONS = 256  # output positions of the matrix product's tile: 256 floats of output stay in L1


# -- layernorm --------------------------------------------------------------------------------------------------
@njit(cache=True, fastmath=FAST)
def _layernorm_rows(x, weight, bias, eps, y, mean, rstd):
    rows, features = x.shape
    for r in range(rows):
        row = x[r]
        total = np.float32(0.0)
        for j in range(features):
            total += row[j]
        mu = total / np.float32(features)
        squares = np.float32(0.0)
        for j in range(features):
            centred = row[j] - mu
            squares += centred * centred
        inverse = np.float32(1.0) / np.sqrt(squares / np.float32(features) + eps)
        out = y[r]
        for j in range(features):
            out[j] = (row[j] - mu) * inverse * weight[j] + bias[j]
        mean[r] = mu
        rstd[r] = inverse


def layernorm(x, weight, bias, eps):
    """(y, mean, rstd): each row of x normalized (biased variance, rstd = 1 / sqrt(var + eps)), scaled by weight,
    shifted by bias; float32[rows, features], float32[rows], float32[rows]."""
    rows = x.shape[0]
    y = np.empty_like(x)
    mean = np.empty(rows, dtype=np.float32)
    rstd = np.empty(rows, dtype=np.float32)
    _layernorm_rows(x, weight, bias, np.float32(eps), y, mean, rstd)
    return y, mean, rstd


@njit(cache=True, fastmath=FAST)
def _layernorm_backward_rows(dy, x, weight, mean, rstd, dx, dweight, dbias):
    rows, features = x.shape
    scale = np.float32(1.0) / np.float32(features)
    xhat = np.empty(features, dtype=np.float32)  # one row's normalized input, kept for the second pass
    for r in range(rows):
        mu, inverse = mean[r], rstd[r]
        sum_g = np.float32(0.0)
        sum_g_xhat = np.float32(0.0)
        for j in range(features):
            xhat[j] = (x[r, j] - mu) * inverse
            g = dy[r, j] * weight[j]
            sum_g += g
            sum_g_xhat += g * xhat[j]
            dweight[j] += dy[r, j] * xhat[j]
            dbias[j] += dy[r, j]
        mean_g = sum_g * scale
        mean_g_xhat = sum_g_xhat * scale
        for j in range(features):
            dx[r, j] = inverse * (dy[r, j] * weight[j] - mean_g - xhat[j] * mean_g_xhat)


def layernorm_backward(dy, x, weight, mean, rstd):
    """(dx, dweight, dbias): dx = rstd (g - mean(g) - xhat mean(g xhat)) with g = dy weight; dweight and dbias
    are dy xhat and dy summed over rows."""
    features = x.shape[1]
    dx = np.empty_like(x)
    dweight = np.zeros(features, dtype=np.float32)
    dbias = np.zeros(features, dtype=np.float32)
    _layernorm_backward_rows(dy, x, weight, mean, rstd, dx, dweight, dbias)
    return dx, dweight, dbias


# -- attention ------------------------------------------------------------------------------------------------
@njit(cache=True, fastmath=FAST)
def _attention(q, k, v, causal, out):
    """Flash attention, a block of BLOCK_Q queries at a time: the transposed key tile is built once for all of
    them (one query at a time would rebuild it seq times over)."""
    heads, seq, dim = q.shape
    scale = np.float32(1.0 / math.sqrt(dim))
    query_blocks = (seq + BLOCK_Q - 1) // BLOCK_Q
    scores = np.empty((BLOCK_Q, BLOCK_K), dtype=np.float32)
    keys_t = np.empty((dim, BLOCK_K), dtype=np.float32)  # the key tile transposed: scores vectorize over keys
    acc = np.empty((BLOCK_Q, dim), dtype=np.float32)
    row_max = np.empty(BLOCK_Q, dtype=np.float32)
    row_sum = np.empty(BLOCK_Q, dtype=np.float32)
    for item in range(heads * query_blocks):
        h = item // query_blocks
        q0 = (item % query_blocks) * BLOCK_Q
        nq = min(BLOCK_Q, seq - q0)
        acc[:nq] = 0.0
        row_max[:nq] = -np.inf
        row_sum[:nq] = 0.0
        key_end = q0 + nq if causal else seq  # causal: no key after the block's last query
        for k0 in range(0, key_end, BLOCK_K):
            nk = min(BLOCK_K, key_end - k0)
            for j in range(nk):
                for d in range(dim):
                    keys_t[d, j] = k[h, k0 + j, d]
            for i in range(nq):
                # Keys this query may see in the tile: all, or (causal) those at positions <= its own.
                visible = min(nk, q0 + i - k0 + 1) if causal else nk
                if visible <= 0:
                    continue
                s = scores[i]
                s[:nk] = 0.0
                for d in range(dim):
                    qd = q[h, q0 + i, d] * scale
                    for j in range(nk):
                        s[j] += qd * keys_t[d, j]
                # Online softmax: the running maximum only grows; what was summed against the old maximum is
                # rescaled by exp(old - new) <= 1, so no exponential ever sees a positive argument.
                new_max = row_max[i]
                for j in range(visible):
                    new_max = max(new_max, s[j])
                rescale = np.float32(math.exp(row_max[i] - new_max))
                for j in range(visible):
                    s[j] -= new_max
                exp_inplace(s, visible)  # vectorized, where math.exp would be one library call a score
                total = np.float32(0.0)
                for j in range(visible):
                    total += s[j]
                row_sum[i] = row_sum[i] * rescale + total
                row_max[i] = new_max
                a = acc[i]
                for d in range(dim):
                    a[d] *= rescale
                for j in range(visible):
                    p = s[j]
                    for d in range(dim):
                        a[d] += p * v[h, k0 + j, d]
        for i in range(nq):
            inverse = np.float32(1.0) / row_sum[i]
            for d in range(dim):
                out[h, q0 + i, d] = acc[i, d] * inverse


def attention(q, k, v, causal):
    """softmax(q k^T / sqrt(dim)) v per head, float32[heads, seq, dim]; causal: query i sees keys 0..i.
    Blocks of queries against tiles of keys, online softmax: memory for one tile, never seq x seq."""
    out = np.empty_like(q)
    _attention(q, k, v, bool(causal), out)
    return out


# -- conv2d ---------------------------------------------------------------------------------------------------
@njit(cache=True)
def _im2col(x, image, kh, kw, stride, padding, columns):
    c_in, height, width = x.shape[1], x.shape[2], x.shape[3]
    h_out = (height + 2 * padding - kh) // stride + 1
    w_out = (width + 2 * padding - kw) // stride + 1
    for ci in range(c_in):
        for ky in range(kh):
            for kx in range(kw):
                row = columns[(ci * kh + ky) * kw + kx]
                for oy in range(h_out):
                    iy = oy * stride - padding + ky
                    for ox in range(w_out):
                        ix = ox * stride - padding + kx
                        inside = 0 <= iy < height and 0 <= ix < width
                        row[oy * w_out + ox] = x[image, ci, iy, ix] if inside else np.float32(0.0)


@njit(cache=True, fastmath=FAST)
def _conv(x, weights, bias, kh, kw, stride, padding, out):
    """out[image] = weights[c_out, K] @ columns[K, positions] + bias, positions tiled by POSITIONS."""
    n, c_out, positions = out.shape
    reduction = weights.shape[1]
    columns = np.empty((reduction, positions), dtype=np.float32)
    for image in range(n):
        _im2col(x, image, kh, kw, stride, padding, columns)
        for p0 in range(0, positions, POSITIONS):
            p1 = min(p0 + POSITIONS, positions)
            for co in range(c_out):
                o = out[image, co, p0:p1]
                o[:] = bias[co]
                for r in range(reduction):
                    tap = weights[co, r]
                    src = columns[r, p0:p1]
                    for p in range(p1 - p0):
                        o[p] += tap * src[p]


def conv2d(x, w, bias, stride, padding):
    """2-D cross-correlation, NCHW, zero padding: float32[n, c_out, h_out, w_out] (see threaded.py)."""
    n, c_in, height, width = x.shape
    c_out, _, kh, kw = w.shape
    h_out = conv_output_size(height, kh, stride, padding)
    w_out = conv_output_size(width, kw, stride, padding)
    out = np.empty((n, c_out, h_out * w_out), dtype=np.float32)
    _conv(x, np.ascontiguousarray(w.reshape(c_out, c_in * kh * kw)), bias, kh, kw, int(stride), int(padding), out)
    return out.reshape(n, c_out, h_out, w_out)

"""The dnn oracle: what correct layernorm, layernorm_backward, attention and conv2d return, and how close a
correct float32 implementation must come.

The answers are computed in float64 straight from the definitions (written for clarity, not speed: attention
here forms whole rows of scores, a block of queries at a time). The tolerances bound what float32 arithmetic can
legitimately change, by the standard rounding-error analysis: with u = 2**-24 (float32's unit roundoff), a sum
of n float32 terms, added in any order, errs by at most (n - 1) u times the sum of the terms' magnitudes (to
first order), and each multiply, divide, square root or exponential errs by at most a few u of its result. So
every bound below is "n u times a sum of magnitudes" plus a few u per operation, multiplied by the safety factor
SAFETY over the first-order bound, and computed from the float64 intermediate values. Tiled, vectorized and
threaded orders of the same sums all lie inside (their error bounds are smaller than the sequential one).

What the bounds let through and what they catch:

* layernorm: the mean's error is amplified by rstd (up to 1/sqrt(eps) for a constant row), and that is
  allowed: a constant row of 1000.0 may come back as bias +- a few hundredths. A missing eps (infinite rstd),
  the unbiased variance (off by features / (features - 1)), a single pass E[x^2] - E[x]^2 in float32 (its
  cancellation errs by features u times E[x^2] / var, far outside the bound when the mean dwarfs the spread)
  and a forgotten weight or bias all fail.
* attention: each score errs by at most E = dim u sum|q k| / sqrt(dim) + 4u |s|, which changes each softmax
  weight by a factor within exp(+-2E); the output's bound is that relative change (plus the sum's n u) times
  sum_j p_ij |v_j|. An unshifted exponential overflows (scores in the thousands: inf / inf = nan) and a missing
  causal mask moves weight onto keys that must have none: both fail.
* conv2d: K = c_in kh kw products a sum: the bound is K u times the convolution of |x| with |w|, plus |bias|.
"""

from __future__ import annotations

import numpy as np

from grader.compare import UNIT_ROUNDOFF

SAFETY = 4.0  # over the first-order bounds (module doc)
TINY = float(np.finfo(np.float32).tiny)  # absolute floor: a result that should be 0 may be a subnormal


def _f64(*arrays):
    return [np.asarray(a, dtype=np.float64) for a in arrays]


def _sum_error(n: int) -> float:
    """First-order relative bound of a float32 sum of n terms in any order: (n - 1) u, plus u for rounding the
    terms themselves."""
    return max(n, 1) * UNIT_ROUNDOFF


# -- layernorm -------------------------------------------------------------------------------------------------
def layernorm(x, weight, bias, eps):
    """(y, mean, rstd) in float64: mean and biased variance of each row, rstd = 1 / sqrt(var + eps)."""
    x, weight, bias = _f64(x, weight, bias)
    mean = x.mean(axis=1)
    var = ((x - mean[:, None]) ** 2).mean(axis=1)
    rstd = 1.0 / np.sqrt(var + float(np.float32(eps)))
    y = (x - mean[:, None]) * rstd[:, None] * weight + bias
    return y, mean, rstd


def layernorm_tolerance(x, weight, bias, eps):
    """Bounds on |y|, |mean| and |rstd| errors (same shapes as the answers)."""
    x, weight, bias = _f64(x, weight, bias)
    u, g = UNIT_ROUNDOFF, _sum_error(x.shape[1])
    _, mean, rstd = layernorm(x, weight, bias, eps)
    centred = x - mean[:, None]
    var = (centred**2).mean(axis=1)
    mean_error = g * np.abs(x).mean(axis=1) + u * np.abs(mean)
    # sum (x - m - d)^2 = sum (x - m)^2 + n d^2 for the exact mean m: the mean's error d enters squared.
    var_error = (g + 3 * u) * var + mean_error**2
    rstd_relative = 0.5 * var_error / (var + float(np.float32(eps))) + 3 * u
    xhat = np.abs(centred) * rstd[:, None]
    y_error = (
        np.abs(weight)
        * ((mean_error[:, None] + u * np.abs(x)) * rstd[:, None] + xhat * (rstd_relative[:, None] + 2 * u))
        + u * np.abs(bias)
        + u * np.abs(xhat * weight + bias)
    )
    return (SAFETY * y_error + TINY, SAFETY * mean_error + TINY, SAFETY * rstd_relative * rstd + TINY)


def layernorm_backward(dy, x, weight, mean, rstd):
    """(dx, dweight, dbias) in float64, from the saved statistics as given (float32 mean and rstd)."""
    dy, x, weight, mean, rstd = _f64(dy, x, weight, mean, rstd)
    xhat = (x - mean[:, None]) * rstd[:, None]
    g = dy * weight
    dx = rstd[:, None] * (g - g.mean(axis=1, keepdims=True) - xhat * (g * xhat).mean(axis=1, keepdims=True))
    return dx, (dy * xhat).sum(axis=0), dy.sum(axis=0)


def layernorm_backward_tolerance(dy, x, weight, mean, rstd):
    dy, x, weight, mean, rstd = _f64(dy, x, weight, mean, rstd)
    u = UNIT_ROUNDOFF
    rows, features = x.shape
    xhat = np.abs((x - mean[:, None]) * rstd[:, None])
    # xhat computed as (x - mean) * rstd or as x * rstd - mean * rstd (torch's form): the second rounds terms
    # of size |x| rstd, so a row of equal values may give xhat of a few u |x| rstd instead of 0.
    xhat_error = 3 * u * (np.abs(x) + np.abs(mean[:, None])) * rstd[:, None]
    g = np.abs(dy * weight)
    g_xhat = g * (xhat + xhat_error)
    mean_g_error = _sum_error(features) * g.mean(axis=1, keepdims=True)
    mean_gx_error = (_sum_error(features) + 4 * u) * g_xhat.mean(axis=1, keepdims=True) + (g * xhat_error).mean(
        axis=1, keepdims=True
    )
    terms = g + g.mean(axis=1, keepdims=True) + xhat * g_xhat.mean(axis=1, keepdims=True)
    dx_error = rstd[:, None] * (
        4 * u * terms + mean_g_error + xhat * mean_gx_error + xhat_error * g_xhat.mean(axis=1, keepdims=True)
    )
    dweight_error = (_sum_error(rows) + 4 * u) * (np.abs(dy) * (xhat + xhat_error)).sum(axis=0) + (
        np.abs(dy) * xhat_error
    ).sum(axis=0)
    dbias_error = _sum_error(rows) * np.abs(dy).sum(axis=0)
    return SAFETY * dx_error + TINY, SAFETY * dweight_error + TINY, SAFETY * dbias_error + TINY


# -- attention -------------------------------------------------------------------------------------------------
ROW_BLOCK = 512  # query rows at a time: a long sequence's scores never need seq x seq float64s here either


def _row_blocks(seq: int):
    return [(start, min(start + ROW_BLOCK, seq)) for start in range(0, seq, ROW_BLOCK)]


def _scores(q, k, causal, first_row: int):
    """Scaled scores of queries q (rows first_row, ... of the sequence) against keys k, -inf where masked."""
    scores = q @ k.T / np.sqrt(q.shape[-1])
    if causal:
        rows = np.arange(first_row, first_row + q.shape[0])[:, None]
        scores = np.where(np.arange(k.shape[0])[None, :] <= rows, scores, -np.inf)
    return scores


def _softmax(scores):
    weights = np.exp(scores - scores.max(axis=1, keepdims=True))
    return weights / weights.sum(axis=1, keepdims=True)


def softmax_weights(q, k, causal, first_row: int = 0):
    """Attention weights of one head for the queries q (rows first_row, first_row + 1, ... of the sequence)
    against all keys k, float64[len(q), len(k)]: each row sums to 1 over the keys it may see."""
    return _softmax(_scores(q, k, causal, first_row))


def attention_with_tolerance(q, k, v, causal):
    """(softmax(q k^T / sqrt(dim)) v per head, the bound on a float32 answer's error), float64[heads, seq, dim]
    each, from one pass over the scores.

    Cost: per head and block of ROW_BLOCK queries, three matrix products over the keys the block may see (with
    the causal mask, those up to its last query: about half the keys on average), O(heads seq^2 dim) in all."""
    q, k, v = _f64(q, k, v)
    u = UNIT_ROUNDOFF
    heads, seq, dim = q.shape
    out, bound = np.empty_like(q), np.empty_like(q)
    for h in range(heads):
        for start, stop in _row_blocks(seq):
            seen = stop if causal else seq  # keys past the block's last query have weight 0 for all of it
            block, keys = q[h, start:stop], k[h, :seen]
            scores = _scores(block, keys, causal, start)
            weights = _softmax(scores)
            # Each score errs by at most the dot product's n u times its terms' magnitudes, plus a few u of
            # itself; only keys of positive weight matter (a masked score is -inf).
            magnitude = np.abs(block) @ np.abs(keys).T / np.sqrt(dim)
            score_error = _sum_error(dim) * magnitude + 4 * u * np.abs(scores)
            worst = np.where(weights > 0, score_error, 0.0).max(axis=1, keepdims=True)
            # Each weight changes by a factor within exp(+-2E) (numerator and normaliser); the exponentials and
            # an online softmax's rescalings add a few u each, the two sums over keys n u each.
            relative = np.expm1(2 * worst) + 2 * _sum_error(seq) + 8 * u
            mixed = weights @ np.concatenate([v[h, :seen], np.abs(v[h, :seen])], axis=1)
            out[h, start:stop] = mixed[:, :dim]
            bound[h, start:stop] = relative * mixed[:, dim:]
    return out, SAFETY * bound + TINY


def attention(q, k, v, causal):
    """softmax(q k^T / sqrt(dim)) v per head, float64[heads, seq, dim] (see attention_with_tolerance)."""
    return attention_with_tolerance(q, k, v, causal)[0]


def attention_tolerance(q, k, v, causal):
    """The bound on a float32 attention's error, float64[heads, seq, dim] (see attention_with_tolerance)."""
    return attention_with_tolerance(q, k, v, causal)[1]


# -- conv2d ----------------------------------------------------------------------------------------------------
def output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    return (size + 2 * padding - kernel) // stride + 1


def conv2d(x, w, bias, stride, padding):
    """The cross-correlation of zero-padded x with w, plus bias, float64[n, c_out, h_out, w_out]."""
    x, w, bias = _f64(x, w, bias)
    n, c_in, height, width = x.shape
    c_out, _, kh, kw = w.shape
    h_out, w_out = output_size(height, kh, stride, padding), output_size(width, kw, stride, padding)
    padded = np.zeros((n, c_in, height + 2 * padding, width + 2 * padding))
    padded[:, :, padding : padding + height, padding : padding + width] = x
    out = np.broadcast_to(bias[None, :, None, None], (n, c_out, h_out, w_out)).copy()
    for ky in range(kh):
        for kx in range(kw):
            window = padded[
                :, :, ky : ky + stride * (h_out - 1) + 1 : stride, kx : kx + stride * (w_out - 1) + 1 : stride
            ]
            out += np.einsum("nchw,oc->nohw", window, w[:, :, ky, kx])
    return out


def conv2d_tolerance(x, w, bias, stride, padding):
    x, w, bias = _f64(x, w, bias)
    terms = w.shape[1] * w.shape[2] * w.shape[3] + 1
    magnitude = conv2d(np.abs(x), np.abs(w), np.abs(bias), stride, padding)
    return SAFETY * _sum_error(terms) * magnitude + TINY

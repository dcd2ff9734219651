"""A correct dnn submission in plain numpy, different from the reference in every rounding order: the grader
must accept its answers. Its attention stores the whole seq x seq score matrix, so it must fail the memory task.
The other dnn_* plants start from this file and break one thing."""

import numpy as np


def layernorm(x, weight, bias, eps, num_threads=None):
    mean = x.mean(axis=1, dtype=np.float32)
    centred = x - mean[:, None]
    rstd = (1.0 / np.sqrt((centred * centred).mean(axis=1) + np.float32(eps))).astype(np.float32)
    return centred * rstd[:, None] * weight + bias, mean, rstd


def layernorm_backward(dy, x, weight, mean, rstd, num_threads=None):
    xhat = (x - mean[:, None]) * rstd[:, None]
    g = dy * weight
    dx = rstd[:, None] * (g - g.mean(axis=1, keepdims=True) - xhat * (g * xhat).mean(axis=1, keepdims=True))
    return dx.astype(np.float32), (dy * xhat).sum(axis=0), dy.sum(axis=0)


def attention(q, k, v, causal, num_threads=None):
    scores = q @ k.transpose(0, 2, 1) / np.float32(np.sqrt(q.shape[-1]))
    if causal:
        scores = np.where(np.tri(q.shape[1], dtype=bool), scores, np.float32(-np.inf))
    weights = np.exp(scores - scores.max(axis=2, keepdims=True))
    return (weights / weights.sum(axis=2, keepdims=True)) @ v


def conv2d(x, w, bias, stride, padding, num_threads=None):
    n, c_in, height, width = x.shape
    c_out, _, kh, kw = w.shape
    h_out = (height + 2 * padding - kh) // stride + 1
    w_out = (width + 2 * padding - kw) // stride + 1
    padded = np.zeros((n, c_in, height + 2 * padding, width + 2 * padding), dtype=np.float32)
    padded[:, :, padding:padding + height, padding:padding + width] = x
    out = np.zeros((n, c_out, h_out, w_out), dtype=np.float32) + bias[None, :, None, None]
    for ky in range(kh):
        for kx in range(kw):
            window = padded[:, :, ky:ky + stride * (h_out - 1) + 1:stride, kx:kx + stride * (w_out - 1) + 1:stride]
            out += np.einsum("nchw,oc->nohw", window, w[:, :, ky, kx])
    return out

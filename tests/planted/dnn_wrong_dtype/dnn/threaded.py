"""Planted: conv2d that returns float64 (numpy's default for np.zeros)."""

import numpy as np

# The other functions are the correct plain-numpy ones (tests/planted/dnn_numpy, copied in as correct.py).
from .correct import attention, layernorm, layernorm_backward  # noqa: F401


def conv2d(x, w, bias, stride, padding, num_threads=None):
    n, c_in, height, width = x.shape
    c_out, _, kh, kw = w.shape
    h_out = (height + 2 * padding - kh) // stride + 1
    w_out = (width + 2 * padding - kw) // stride + 1
    padded = np.zeros((n, c_in, height + 2 * padding, width + 2 * padding))  # the bug: float64
    padded[:, :, padding:padding + height, padding:padding + width] = x
    out = np.zeros((n, c_out, h_out, w_out)) + bias[None, :, None, None]
    for ky in range(kh):
        for kx in range(kw):
            window = padded[:, :, ky:ky + stride * (h_out - 1) + 1:stride, kx:kx + stride * (w_out - 1) + 1:stride]
            out += np.einsum("nchw,oc->nohw", window, w[:, :, ky, kx])
    return out

"""Planted: a layernorm backward that forgets the weight in dx (uses dy where it needs g = dy * weight)."""

import numpy as np

# The other functions are the correct plain-numpy ones (tests/planted/dnn_numpy, copied in as correct.py).
from .correct import attention, conv2d, layernorm  # noqa: F401


def layernorm_backward(dy, x, weight, mean, rstd, num_threads=None):
    xhat = (x - mean[:, None]) * rstd[:, None]
    g = dy  # the bug: dy * weight
    dx = rstd[:, None] * (g - g.mean(axis=1, keepdims=True) - xhat * (g * xhat).mean(axis=1, keepdims=True))
    return dx.astype(np.float32), (dy * xhat).sum(axis=0), dy.sum(axis=0)

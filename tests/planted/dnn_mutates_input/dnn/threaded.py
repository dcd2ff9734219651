"""Planted: layernorm that centres x in place (x -= mean) to save an array."""

import numpy as np

# The other functions are the correct plain-numpy ones (tests/planted/dnn_numpy, copied in as correct.py).
from .correct import attention, conv2d, layernorm_backward  # noqa: F401


def layernorm(x, weight, bias, eps, num_threads=None):
    mean = x.mean(axis=1, dtype=np.float32)
    x -= mean[:, None]  # the bug: writes into the caller's array
    rstd = (1.0 / np.sqrt((x * x).mean(axis=1) + np.float32(eps))).astype(np.float32)
    return x * rstd[:, None] * weight + bias, mean, rstd

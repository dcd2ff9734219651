"""Planted: a numba kernel that writes 4 TB past the end of its array (bounds checking is off by default)."""

import numpy as np
from numba import njit


@njit(boundscheck=False)
def _scribble(out):
    out[1 << 40] = 1.0
    return out


def saxpy(a, x, y, num_threads=None):
    return _scribble(np.float32(a) * x + y)

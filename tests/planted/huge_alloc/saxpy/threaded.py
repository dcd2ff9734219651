"""Planted: asks for 50 GB (and touches it, so an unlimited process would really take it)."""

import numpy as np


def saxpy(a, x, y, num_threads=None):
    hoard = np.ones(50 * 2**30, dtype=np.uint8)
    return (a * x + y) + hoard[0] - 1

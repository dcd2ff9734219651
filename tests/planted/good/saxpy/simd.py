"""A correct, plain-numpy SAXPY: the well-behaved task graded next to each planted one."""

import numpy as np


def saxpy(a, x, y):
    return np.float32(a) * x + y

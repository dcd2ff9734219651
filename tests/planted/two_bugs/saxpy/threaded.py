"""Planted: two distinct bugs, both missed by the grader's fixed edge cases (all drawn with a = -2.5), so
that hypothesis finds them: for any other ``a``, an odd length hangs and an even one from 2 on returns
``a*x - y``."""

import time

import numpy as np


def saxpy(a, x, y, num_threads=None):
    if a != np.float32(-2.5):
        if len(x) % 2:
            while True:
                time.sleep(3600)
        if len(x) >= 2:
            return a * x - y
    return a * x + y

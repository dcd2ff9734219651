"""Planted: two distinct bugs, both missed by the grader's fixed edge cases (their ``a`` is -2.5, 0, 1 or -1), so
that hypothesis finds them: for any other ``a``, an odd length hangs and an even one from 2 on returns
``a*x - y``."""

import time


def saxpy(a, x, y, num_threads=None):
    if float(a) not in (-2.5, 0.0, 1.0, -1.0):
        if len(x) % 2:
            while True:
                time.sleep(3600)
        if len(x) >= 2:
            return a * x - y
    return a * x + y

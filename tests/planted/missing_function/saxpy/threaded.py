"""Planted: the function has the wrong name."""


def sapxy(a, x, y, num_threads=None):
    return a * x + y

"""Planted: does not parse."""


def saxpy(a, x, y, num_threads=None)
    return a * x + y

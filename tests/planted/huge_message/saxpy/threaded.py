"""Planted: fails with a 64 MB exception message (which once went verbatim into a 67 MB results.json)."""


def saxpy(a, x, y, num_threads=None):
    raise ValueError("x" * (64 << 20))

"""Planted: replaces the oracle (and its tolerance) in its own process so that zeros look right, then
returns zeros. The oracle the grader consults runs in the grader's process, not here."""

import numpy as np

import grader.compare
import grader.suites.saxpy.oracle as oracle

oracle.saxpy = lambda a, x, y: np.zeros_like(x)
oracle.tolerance = lambda a, x, y: np.inf
grader.compare.expect_array = lambda *args, **kwargs: None


def saxpy(a, x, y, num_threads=None):
    return np.zeros_like(x)

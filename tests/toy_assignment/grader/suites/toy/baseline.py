"""Trusted code of the toy's benchmark workers: the input maker and the serial baseline."""

import numpy as np


def make_inputs(n: int, seed: int = 0):
    return (np.random.default_rng(seed).standard_normal(n).astype(np.float32),)


def double(x: np.ndarray) -> np.ndarray:
    return x * np.float32(2.0)

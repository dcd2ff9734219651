"""The toy oracle: ``2 * x`` is exact in float32 (a power-of-two scaling; an overflow is inf either way), so a
correct answer equals the oracle's exactly."""

import numpy as np


def double(x: np.ndarray) -> np.ndarray:
    return (x.astype(np.float64) * 2.0).astype(np.float32)

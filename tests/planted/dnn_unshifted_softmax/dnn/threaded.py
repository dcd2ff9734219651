"""Planted: softmax without subtracting the row maximum. exp overflows at scores in the thousands (inf / inf)."""

import numpy as np

# The other functions are the correct plain-numpy ones (tests/planted/dnn_numpy, copied in as correct.py).
from .correct import conv2d, layernorm, layernorm_backward  # noqa: F401


def attention(q, k, v, causal, num_threads=None):
    scores = q @ k.transpose(0, 2, 1) / np.float32(np.sqrt(q.shape[-1]))
    if causal:
        scores = np.where(np.tri(q.shape[1], dtype=bool), scores, np.float32(-np.inf))
    weights = np.exp(scores)
    return (weights / weights.sum(axis=2, keepdims=True)) @ v

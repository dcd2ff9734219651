"""Planted: tiled attention (online softmax) whose causal mask is applied to every tile of keys but the last
one a block of queries visits, the tile on the diagonal: queries there see a few keys after their own."""

import numpy as np

# The other functions are the correct plain-numpy ones (tests/planted/dnn_numpy, copied in as correct.py).
from .correct import conv2d, layernorm, layernorm_backward  # noqa: F401

TILE = 16


def attention(q, k, v, causal, num_threads=None):
    heads, seq, dim = q.shape
    out = np.empty_like(q)
    for h in range(heads):
        for q0 in range(0, seq, TILE):
            rows = np.arange(q0, min(q0 + TILE, seq))
            top = np.full(len(rows), -np.inf, dtype=np.float32)
            total = np.zeros(len(rows), dtype=np.float32)
            acc = np.zeros((len(rows), dim), dtype=np.float32)
            end = min(q0 + TILE, seq) if causal else seq
            for k0 in range(0, end, TILE):
                keys = np.arange(k0, min(k0 + TILE, end))
                scores = q[h, rows] @ k[h, keys].T / np.float32(np.sqrt(dim))
                last = k0 + TILE >= end
                if causal and not last:  # the bug: the diagonal tile goes unmasked
                    scores = np.where(keys[None, :] <= rows[:, None], scores, np.float32(-np.inf))
                new_top = np.maximum(top, scores.max(axis=1))
                weights = np.exp(scores - new_top[:, None])
                rescale = np.exp(top - new_top)
                total = total * rescale + weights.sum(axis=1)
                acc = acc * rescale[:, None] + weights @ v[h, keys]
                top = new_top
            out[h, rows] = acc / total[:, None]
    return out

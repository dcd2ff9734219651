"""Hypothesis strategies and edge cases for the dnn operators.

A case is a small description (shapes, a kind of values, a seed); its arrays are built from it with numpy's
generator, so hypothesis shrinks the description (to the fewest rows, the shortest sequence, the smallest
image) and never builds an array element by element.

Sizes that break decompositions: 1, primes, and numbers one off the tile and block sizes a learner is likely to
pick (16, 32, 64, 128, 256): a tail that a loop drops, a last tile that a mask forgets, a thread chunk that ends
early. Values that break algorithms: constant rows (variance 0: only eps keeps rstd finite), rows whose mean
dwarfs their spread (the one-pass variance cancels), scores in the thousands (an unshifted exponential
overflows), padding wider than the kernel (outputs that see only zeros), stride > 1 (every other column).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np
from hypothesis import strategies as st

from grader.spec import Profile
from grader.suites.dnn import oracle

# One off the tile and block sizes a learner is likely to pick, and primes.
AWKWARD_SIZES = (1, 2, 3, 5, 7, 13, 17, 31, 33, 63, 65, 127, 129, 257)
EPSILONS = (1e-5, 1e-6, 1e-3, 0.1, 1.0)


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _sizes(upper: int):
    """Awkward sizes up to ``upper``, or any size in [1, upper]."""
    awkward = [n for n in AWKWARD_SIZES if n <= upper]
    return st.one_of(st.sampled_from(awkward), st.integers(1, upper))


# -- layernorm -------------------------------------------------------------------------------------------------
class Rows(Enum):
    """What the rows of x hold."""

    NORMAL = "normal"  # N(0, scale^2)
    OFFSET = "offset"  # mean 1000 * scale, spread scale: the one-pass variance E[x^2] - E[x]^2 cancels
    CONSTANT = "constant"  # every element of a row equal: variance 0, rstd = 1 / sqrt(eps)
    MIXED = "mixed"  # normal rows with every third row constant


@dataclass(frozen=True)
class LayerNormCase:
    rows: int
    features: int
    eps: float
    values: Rows
    scale: float
    seed: int

    def forward_inputs(self):
        """(x, weight, bias, eps): weight and bias vary per feature, so a dropped or swapped one shows."""
        rng = _rng(self.seed)
        shape = (self.rows, self.features)
        x = rng.standard_normal(shape) * self.scale
        if self.values is Rows.OFFSET:
            x += 1000.0 * self.scale
        constant = np.zeros(self.rows, dtype=bool)
        if self.values is Rows.CONSTANT:
            constant[:] = True
        elif self.values is Rows.MIXED:
            constant[::3] = True
        x[constant] = rng.standard_normal((int(constant.sum()), 1)) * 10 * self.scale
        weight = rng.uniform(0.5, 2.0, self.features) * rng.choice([-1.0, 1.0], self.features)
        bias = rng.standard_normal(self.features)
        return (x.astype(np.float32), weight.astype(np.float32), bias.astype(np.float32), float(self.eps))

    def backward_inputs(self):
        """(dy, x, weight, mean, rstd): the saved statistics are the oracle's, rounded to float32, so the
        backward is judged on its own, not on the learner's forward."""
        x, weight, bias, eps = self.forward_inputs()
        _, mean, rstd = oracle.layernorm(x, weight, bias, eps)
        dy = _rng(self.seed + 1).standard_normal(x.shape).astype(np.float32)
        return dy, x, weight, mean.astype(np.float32), rstd.astype(np.float32)

    def __str__(self) -> str:
        return (
            f"x[{self.rows}, {self.features}] ({self.values.value} rows, scale {self.scale:g}), "
            f"eps={self.eps:g} (seed {self.seed})"
        )


def layernorm_cases(profile: Profile):
    rows, features = (6, 40) if profile.simulated else (300, 1100)
    return st.builds(
        LayerNormCase,
        rows=_sizes(rows),
        features=_sizes(features),
        eps=st.sampled_from(EPSILONS),
        values=st.sampled_from(Rows),
        scale=st.sampled_from([1.0, 1e-3, 30.0]),
        seed=st.integers(0, 2**32 - 1),
    )


def layernorm_edge_cases(profile: Profile) -> list[LayerNormCase]:
    shapes = (
        [(1, 1), (1, 2), (3, 5), (2, 33)]
        if profile.simulated
        else [(1, 1), (1, 2), (3, 5), (7, 65), (65, 7), (33, 257), (129, 1024), (5, 4097)]
    )
    cases = [LayerNormCase(r, f, 1e-5, Rows.NORMAL, 1.0, seed=r * 7919 + f) for r, f in shapes]
    last_rows, last_features = shapes[-1]
    cases += [
        LayerNormCase(last_rows, last_features, 1e-5, values, 1.0, seed=3)
        for values in (Rows.CONSTANT, Rows.OFFSET, Rows.MIXED)
    ]
    cases.append(LayerNormCase(3, 17, 1.0, Rows.NORMAL, 1e-3, seed=5))  # eps dominates the variance
    return cases


# -- attention -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AttentionCase:
    heads: int
    seq: int
    dim: int
    causal: bool
    scale: float  # q and k ~ N(0, scale^2): scores ~ scale^2 sqrt(dim); scale 8 gives scores in the thousands
    seed: int

    def inputs(self):
        rng = _rng(self.seed)
        shape = (self.heads, self.seq, self.dim)
        q = rng.standard_normal(shape) * self.scale
        k = rng.standard_normal(shape) * self.scale
        v = rng.standard_normal(shape)
        return q.astype(np.float32), k.astype(np.float32), v.astype(np.float32), self.causal

    def __str__(self) -> str:
        return (
            f"q, k, v [{self.heads}, {self.seq}, {self.dim}], causal={self.causal}, |q|, |k| ~ {self.scale:g} "
            f"(seed {self.seed})"
        )


def attention_cases(profile: Profile):
    heads, seq, dim = (2, 20, 8) if profile.simulated else (4, 300, 130)
    return st.builds(
        AttentionCase,
        heads=st.integers(1, heads),
        seq=_sizes(seq),
        dim=_sizes(dim),
        causal=st.booleans(),
        scale=st.sampled_from([1.0, 0.1, 3.0, 8.0]),
        seed=st.integers(0, 2**32 - 1),
    )


def attention_edge_cases(profile: Profile) -> list[AttentionCase]:
    shapes = (
        [(1, 1, 1), (1, 2, 3), (2, 17, 8)]
        if profile.simulated
        else [(1, 1, 1), (1, 2, 3), (2, 17, 8), (1, 65, 64), (3, 129, 33), (2, 257, 16), (1, 513, 64)]
    )
    cases = [AttentionCase(h, s, d, causal, 1.0, seed=s * 31 + d) for h, s, d in shapes for causal in (False, True)]
    h, s, d = shapes[-1]
    cases += [AttentionCase(h, s, d, causal, 8.0, seed=11) for causal in (False, True)]  # scores in the thousands
    return cases


# -- conv2d ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConvCase:
    n: int
    c_in: int
    c_out: int
    height: int
    width: int
    kh: int
    kw: int
    stride: int
    padding: int
    seed: int

    def inputs(self):
        rng = _rng(self.seed)
        x = rng.standard_normal((self.n, self.c_in, self.height, self.width))
        w = rng.standard_normal((self.c_out, self.c_in, self.kh, self.kw))
        bias = rng.standard_normal(self.c_out)
        return x.astype(np.float32), w.astype(np.float32), bias.astype(np.float32), self.stride, self.padding

    def output_shape(self) -> tuple[int, int, int, int]:
        return (
            self.n,
            self.c_out,
            oracle.output_size(self.height, self.kh, self.stride, self.padding),
            oracle.output_size(self.width, self.kw, self.stride, self.padding),
        )

    def __str__(self) -> str:
        return (
            f"x[{self.n}, {self.c_in}, {self.height}, {self.width}], w[{self.c_out}, {self.c_in}, {self.kh}, "
            f"{self.kw}], stride={self.stride}, padding={self.padding} (seed {self.seed})"
        )


@st.composite
def _conv_case(draw, images: int, channels: int, size: int) -> ConvCase:
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    stride = draw(st.integers(1, 3))
    padding = draw(st.integers(0, max(kh, kw) + 1))  # up to wider than kernel - 1: outputs that see only zeros
    # The padded image must hold the kernel at least once.
    height = draw(st.integers(max(1, kh - 2 * padding), max(size, kh)))
    width = draw(st.integers(max(1, kw - 2 * padding), max(size, kw)))
    return ConvCase(
        n=draw(st.integers(1, images)),
        c_in=draw(_sizes(channels)),
        c_out=draw(_sizes(channels)),
        height=height,
        width=width,
        kh=kh,
        kw=kw,
        stride=stride,
        padding=padding,
        seed=draw(st.integers(0, 2**32 - 1)),
    )


def conv2d_cases(profile: Profile):
    return _conv_case(2, 3, 7) if profile.simulated else _conv_case(3, 17, 23)


def conv2d_edge_cases(profile: Profile) -> list[ConvCase]:
    def case(n, c_in, c_out, h, w, kh, kw, stride, padding):
        return ConvCase(n, c_in, c_out, h, w, kh, kw, stride, padding, seed=h * 131 + w * 7 + kh)

    cases = [
        case(1, 1, 1, 1, 1, 1, 1, 1, 0),  # a 1x1 image
        case(1, 1, 1, 1, 1, 3, 3, 1, 1),  # the kernel larger than the image, padding makes room
        case(1, 2, 3, 5, 7, 3, 3, 2, 0),  # stride 2, odd sizes
        case(2, 3, 2, 4, 6, 2, 3, 1, 4),
    ]  # padding wider than the kernel: borders are bias only
    if not profile.simulated:
        cases += [
            case(2, 17, 33, 9, 11, 3, 3, 1, 1),
            case(1, 65, 3, 13, 13, 5, 5, 3, 2),
            case(3, 3, 65, 31, 17, 1, 4, 2, 1),
        ]
    return cases


# -- attention memory ------------------------------------------------------------------------------------------
LONG_ATTENTION = AttentionCase(heads=1, seq=4096, dim=16, causal=True, scale=1.0, seed=4096)

"""Hypothesis strategies for SAXPY cases.

A case is small to describe (length, scalar, value scale, seed) and the arrays are built from it with
numpy's generator: hypothesis shrinks the description, so a failure shrinks to the shortest length and
the simplest scalar, without hypothesis ever building a million-element array element by element.

Coverage: every documented parameter, its range, what is drawn and the edge values always checked (DESIGN.md's
assignment table; the handout, assignments/saxpy/README.md, "The contract"). tests/test_coverage.py keeps the
strategies to it.

* n = len(x) = len(y) -- documented: any n >= 0 (up to 1,100 on the simulator). Drawn: 0..1e6: short, 2^k +- 1, anywhere
  (0..1,100). Edge values: 0, 1, 2, 3, 5, 7, 31..33, 255..257, 511..513, 1025; 8191, 65536, 65537, 1,000,003.
* a -- documented: a float32 scalar. Drawn: 0, 1, -1, 2, -0.5, any float32 in [-1e6, 1e6]. Edge values: 0, 1, -1, -2.5.
* x, y -- documented: float32 arrays. Drawn: uniform in [-s, s], s = 1e-3, 1, 1e3, 1e6. Edge values: s = 1e-3 and 1e6.
* num_threads (threaded) -- documented: None (one per core) or >= 1. Drawn: None, 1, 2, 3, 4, 7, 16, 33
  (grader/cases.py). Edge values: all of them; more threads than elements.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from grader.cases import array_lengths, cycled_thread_count, thread_counts
from grader.spec import Profile

# Lengths that break decompositions: empty, one, primes, around powers of two and block sizes.
EDGE_LENGTHS_SIMULATOR = (0, 1, 2, 3, 5, 7, 31, 32, 33, 255, 256, 257, 511, 512, 513, 1025)
EDGE_LENGTHS_CPU = EDGE_LENGTHS_SIMULATOR + (8191, 65536, 65537, 1_000_003)


@dataclass(frozen=True)
class SaxpyCase:
    n: int
    a: float
    scale: float  # |x| and |y| are drawn up to this magnitude
    seed: int
    num_threads: int | None = 3  # the threaded variant's

    def arrays(self) -> tuple[np.float32, np.ndarray, np.ndarray]:
        rng = np.random.default_rng(self.seed)
        x = (rng.uniform(-1.0, 1.0, self.n) * self.scale).astype(np.float32)
        y = (rng.uniform(-1.0, 1.0, self.n) * self.scale).astype(np.float32)
        return np.float32(self.a), x, y

    def __str__(self) -> str:
        return f"n={self.n}, a={self.a!r}, |x|,|y| <= {self.scale:g} (data seed {self.seed})"


def max_length(profile: Profile) -> int:
    return 1100 if profile.simulated else 1_000_000


def lengths(profile: Profile):
    return array_lengths(max_length(profile))


def scalars():
    """Zero, one, negatives, tiny and large: each breaks a different wrong formula."""
    return st.one_of(st.sampled_from([0.0, 1.0, -1.0, 2.0, -0.5]), st.floats(-1e6, 1e6, allow_nan=False, width=32))


def cases(profile: Profile):
    return st.builds(
        SaxpyCase,
        n=lengths(profile),
        a=scalars(),
        scale=st.sampled_from([1.0, 1e-3, 1e3, 1e6]),
        seed=st.integers(0, 2**32 - 1),
        num_threads=thread_counts(),
    )


def edge_cases(profile: Profile) -> list[SaxpyCase]:
    sizes = EDGE_LENGTHS_SIMULATOR if profile.simulated else EDGE_LENGTHS_CPU
    edge = [
        SaxpyCase(n=n, a=-2.5, scale=1.0, seed=n, num_threads=cycled_thread_count(index))
        for index, n in enumerate(sizes)
    ]
    # The scalars that break a formula (a = 0: y exactly; 1; -1) and the extreme scales, at a ragged length.
    ragged = sizes[-1]
    return edge + [
        SaxpyCase(n=ragged, a=a, scale=scale, seed=index, num_threads=7)
        for index, (a, scale) in enumerate([(0.0, 1e6), (1.0, 1e-3), (-1.0, 1e3)])
    ]

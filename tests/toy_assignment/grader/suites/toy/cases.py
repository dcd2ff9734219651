"""Hypothesis cases for the toy: a length, a thread count and a seed; the array is built from them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from grader.cases import array_lengths, cycled_thread_count, thread_counts
from grader.spec import Profile

EDGE_LENGTHS = (0, 1, 2, 3, 5, 7, 31, 32, 33, 1025)


@dataclass(frozen=True)
class ToyCase:
    n: int
    num_threads: int | None
    seed: int

    def array(self) -> np.ndarray:
        return np.random.default_rng(self.seed).standard_normal(self.n).astype(np.float32)

    def __str__(self) -> str:
        return f"n={self.n}, num_threads={self.num_threads} (data seed {self.seed})"


def cases(profile: Profile):
    return st.builds(ToyCase, n=array_lengths(100_000), num_threads=thread_counts(), seed=st.integers(0, 2**32 - 1))


def edge_cases(profile: Profile) -> list[ToyCase]:
    return [ToyCase(n, cycled_thread_count(index), seed=n) for index, n in enumerate(EDGE_LENGTHS)]

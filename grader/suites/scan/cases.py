"""Hypothesis strategies for scan and find_repeats cases.

A case is (length, kind of values, seed); the array is built from it with numpy's generator, so hypothesis
shrinks the description (shortest length, simplest kind) and never builds a million elements one by one.

Kinds of values, each aimed at a different mistake:

* ``ones``: all ones, as in the course. The scan is 0, 1, 2, ...: an off-by-one shows at once, and every
  adjacent pair repeats (find_repeats must return 0 .. n-2, the last pair included).
* ``mod10``: rand() % 10, as in the course: about 10% of adjacent pairs repeat, scattered.
* ``signed``: uniform in [-bound, bound], bound = the largest magnitude that keeps every prefix sum in int32
  (see grader/suites/scan/oracle.py): negative values and sums near the int32 limits.
* ``extreme``: every element +bound: the final sums come within n of 2**31 - 1, so a scan that adds an
  element twice (or a block's offset twice) overflows and shows it.
* ``runs``: values in {0, 1}: long runs, repeats at chunk and block boundaries.
* ``last_pair``: distinct values except that the last two are equal: the one repeat sits at index n-2.

Coverage: every documented parameter, its range, what is drawn and the edge values always checked (DESIGN.md's
assignment table; the handout, assignments/scan/README.md, "The contract"). tests/test_coverage.py keeps the
strategies to it.

* n = len(a) -- documented: any n >= 0 (up to 1,100 on the simulator). Drawn: 0..1e6: short, 2^k +- 1, anywhere
  (0..1,100). Edge values: 0, 1, 2, 3, 5, 7, 2^k - 1, 2^k, 2^k + 1 up to 65537; 1,000,003.
* a[i] -- documented: int32 with max abs(a[i]) * n < 2^31 (handout: no overflow by construction). Drawn: the six kinds
  above. Edge values: +-bound (extreme, signed), all pairs repeat (ones), only the last pair (last_pair).
* num_threads (threaded) -- documented: None (one per core) or >= 1. Drawn: None, 1, 2, 3, 4, 7, 16, 33
  (grader/cases.py). Edge values: all of them; more threads than elements.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from grader.cases import array_lengths, cycled_thread_count, thread_counts
from grader.spec import Profile
from grader.suites.scan.oracle import value_bound

KINDS = ("ones", "mod10", "signed", "extreme", "runs", "last_pair")

# Lengths that break decompositions: empty, one, two, primes, around powers of two (2^k - 1, 2^k, 2^k + 1) and
# around the block sizes a scan uses (256 threads, 1024- to 4096-element tiles).
EDGE_LENGTHS_SIMULATOR = (0, 1, 2, 3, 5, 7, 31, 32, 33, 63, 64, 65, 255, 256, 257, 513, 1025)
EDGE_LENGTHS_CPU = EDGE_LENGTHS_SIMULATOR + (
    511,
    512,
    1023,
    1024,
    2047,
    2048,
    2049,
    4095,
    4096,
    4097,
    8191,
    65536,
    65537,
    1_000_003,
)


@dataclass(frozen=True)
class ScanCase:
    n: int
    kind: str
    seed: int
    num_threads: int | None = 3  # the threaded variant's

    def array(self) -> np.ndarray:
        n, bound = self.n, value_bound(self.n)
        rng = np.random.default_rng(self.seed)
        if self.kind == "ones":
            return np.ones(n, dtype=np.int32)
        if self.kind == "mod10":
            return rng.integers(0, 10, n, dtype=np.int32)
        if self.kind == "signed":
            return rng.integers(-bound, bound, n, dtype=np.int32, endpoint=True)
        if self.kind == "extreme":
            return np.full(n, bound, dtype=np.int32)
        if self.kind == "runs":
            return rng.integers(0, 2, n, dtype=np.int32)
        if self.kind == "last_pair":
            values = np.arange(n, dtype=np.int32) % 7 * 3 - 9  # no two neighbours equal...
            if n >= 2:
                values[-1] = values[-2]  # ...except the last pair
            return values
        raise ValueError(f"unknown kind {self.kind!r}")

    def __str__(self) -> str:
        return f"n={self.n}, values {self.kind} (data seed {self.seed})"


def max_length(profile: Profile) -> int:
    return 1100 if profile.simulated else 1_000_000


def lengths(profile: Profile):
    return array_lengths(max_length(profile))


def cases(profile: Profile):
    return st.builds(
        ScanCase,
        n=lengths(profile),
        kind=st.sampled_from(KINDS),
        seed=st.integers(0, 2**32 - 1),
        num_threads=thread_counts(),
    )


def edge_cases(profile: Profile) -> list[ScanCase]:
    sizes = EDGE_LENGTHS_SIMULATOR if profile.simulated else EDGE_LENGTHS_CPU
    # Every size once, its kind cycling through all kinds, so each kind meets small and large sizes alike.
    cycled = [
        ScanCase(n=n, kind=KINDS[index % len(KINDS)], seed=n, num_threads=cycled_thread_count(index))
        for index, n in enumerate(sizes)
    ]
    # And the tail's own traps at a ragged length: all pairs repeat / only the last pair repeats.
    ragged = 1025 if profile.simulated else 1_000_003
    return cycled + [ScanCase(n=ragged, kind="ones", seed=0), ScanCase(n=ragged, kind="last_pair", seed=0)]

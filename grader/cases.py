"""Pieces the assignments' hypothesis cases share (each suite's own cases live in grader/suites/<name>/cases.py)."""

from hypothesis import strategies as st


def array_lengths(largest: int):
    """Array lengths up to ``largest``: mostly short (where shrinking lands), some one off a power of two
    either way (where blocked and power-of-two code breaks), some anywhere up to ``largest``."""
    near_powers = st.integers(0, largest.bit_length() - 1).flatmap(
        lambda k: st.sampled_from([2**k - 1, 2**k, 2**k + 1]))
    return st.one_of(st.integers(0, min(300, largest)), near_powers.filter(lambda n: n <= largest),
                     st.integers(0, largest))

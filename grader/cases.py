"""Pieces the assignments' hypothesis cases share (each suite's own cases live in grader/suites/<name>/cases.py)."""

from hypothesis import strategies as st


def array_lengths(largest: int):
    """Array lengths up to ``largest``: mostly short (where shrinking lands), some one off a power of two
    either way (where blocked and power-of-two code breaks), some anywhere up to ``largest``."""
    near_powers = st.integers(0, largest.bit_length() - 1).flatmap(
        lambda k: st.sampled_from([2**k - 1, 2**k, 2**k + 1])
    )
    return st.one_of(
        st.integers(0, min(300, largest)), near_powers.filter(lambda n: n <= largest), st.integers(0, largest)
    )


# Thread counts a threaded variant is asked for: None (the documented default: one per core), one, the usual
# few, counts that divide no drawn size (3, 7), and more threads than this or any laptop has cores (16, 33),
# so chunks come out empty, uneven and oversubscribed. Edge cases cycle through all of them.
THREAD_COUNTS = (None, 1, 2, 3, 4, 7, 16, 33)


def thread_counts():
    """``num_threads`` for a threaded variant: every value of :data:`THREAD_COUNTS` (hypothesis shrinks
    towards None, the default, then one thread)."""
    return st.sampled_from(THREAD_COUNTS)


def cycled_thread_count(index: int):
    """The thread count an edge case with this index uses: all of :data:`THREAD_COUNTS` in turn."""
    return THREAD_COUNTS[index % len(THREAD_COUNTS)]

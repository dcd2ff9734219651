"""Speed points from a time ratio, and the fallback when there is no reference solution.

The learner's time is compared with the reference solution's, measured in the same run, interleaved
(grader/timing.py). The ratio r = t_learner / t_reference is the median over rounds of the ratio within each
round, so drift (thermal, another program) cancels. Points come in wide bands rather than a smooth curve,
so that grading the same submission twice on a noisy 2-core laptop gives the same points unless r sits
right on a band edge:

    r <= 1.25 : 100%        (the course gave full credit within 1.2x of the reference)
    r <= 2    :  75%
    r <= 4    :  50%
    r <= 10   :  25%
    r >  10   :   0%

Without ``solutions/`` (a student repository), the reference's time is estimated as
t_serial / fallback_speedup, where the assignment declares, per benchmark, the speedup over the serial
baseline that its reference reaches on a 2-core machine (its handout lists them).
"""

from __future__ import annotations

import statistics

BANDS = ((1.25, 1.0), (2.0, 0.75), (4.0, 0.5), (10.0, 0.25))


def speed_fraction(ratio: float) -> float:
    """The fraction of a speed task's points for ``ratio`` = learner time / reference time."""
    for upper, fraction in BANDS:
        if ratio <= upper:
            return fraction
    return 0.0


def round_ratios(learner_times: list[float], reference_times: list[float]) -> list[float]:
    """Each round's ratio learner / reference: the two ran back to back in that round."""
    return [t / r for t, r in zip(learner_times, reference_times, strict=True)]


def paired_ratio(learner_times: list[float], reference_times: list[float]) -> float:
    """The ratio points come from: the median of the per-round ratios."""
    return statistics.median(round_ratios(learner_times, reference_times))


def fallback_reference_times(serial_times: list[float], fallback_speedup: float) -> list[float]:
    """Reference times estimated from the serial baseline's, when solutions/ is absent."""
    return [t / fallback_speedup for t in serial_times]

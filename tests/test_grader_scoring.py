"""Speed scoring, tested with injected timings (no clock is read here)."""

import inspect
import random

import pytest

from grader import scoring
from grader.spec import Benchmark
from grader.timing import MIN_ROUNDS, PROCESSES_PER_SIDE

ROUNDS = inspect.signature(Benchmark).parameters["rounds"].default
# A grading times ROUNDS rounds, or as few as MIN_ROUNDS when they outrun their budget (grader/timing.py).
ROUND_COUNTS = sorted({MIN_ROUNDS, ROUNDS})

pytestmark = pytest.mark.grader


@pytest.mark.parametrize(
    "ratio, fraction",
    [
        (0.3, 1.0),
        (1.0, 1.0),
        (1.25, 1.0),
        (1.26, 0.75),
        (2.0, 0.75),
        (3.9, 0.5),
        (4.01, 0.25),
        (10.0, 0.25),
        (10.5, 0.0),
        (1e6, 0.0),
    ],
)
def test_speed_fraction_is_the_band_the_ratio_falls_in(ratio, fraction):
    assert scoring.speed_fraction(ratio) == fraction


def test_fraction_never_increases_with_ratio():
    ratios = [0.5 + 0.01 * i for i in range(2000)]
    fractions = [scoring.speed_fraction(r) for r in ratios]
    assert all(a >= b for a, b in zip(fractions, fractions[1:], strict=False))


def test_paired_ratio_cancels_drift():
    # The machine slows down 3x over the run (another program starts); learner and reference are always
    # 1.5x apart within a round. Their separate medians would mix rounds; paired ratios do not.
    drift = [1.0, 1.0, 3.0, 3.0, 3.0, 3.0, 3.0]
    reference = [0.010 * d for d in drift]
    learner = [0.015 * d for d in drift]
    assert scoring.paired_ratio(learner, reference) == pytest.approx(1.5)


def _interference(rng: random.Random) -> float:
    """How much slower one timing runs than it would alone: other programs only ever slow it down, usually
    a little (10% on average), sometimes a lot (1 timing in 10 is 1.5-2.5x slower)."""
    spike = rng.uniform(1.5, 2.5) if rng.random() < 0.1 else 1.0
    return (1.0 + rng.expovariate(1 / 0.10)) * spike


def _noisy_grading(true_ratio: float, rng: random.Random, rounds: int = ROUNDS) -> float:
    """Points fraction from one simulated grading run on a busy 2-core laptop: every timing suffers its own
    interference, and each round a shared slowdown of up to 2x (thermal throttling, a background job).
    As grader/timing.py does, a round keeps each contestant's fastest of its PROCESSES_PER_SIDE timings (one per
    process)."""
    reference, learner = [], []
    for _ in range(rounds):
        load = rng.uniform(1.0, 2.0)
        reference.append(0.01 * load * min(_interference(rng) for _ in range(PROCESSES_PER_SIDE)))
        learner.append(0.01 * true_ratio * load * min(_interference(rng) for _ in range(PROCESSES_PER_SIDE)))
    return scoring.speed_fraction(scoring.paired_ratio(learner, reference))


@pytest.mark.parametrize("rounds", ROUND_COUNTS)
@pytest.mark.parametrize("true_ratio", [1.0, 1.6, 2.8, 6.0, 20.0])
def test_same_points_when_graded_twice_on_a_noisy_machine(true_ratio, rounds):
    rng = random.Random(1234)
    outcomes = {_noisy_grading(true_ratio, rng, rounds) for _ in range(200)}
    assert len(outcomes) == 1, f"ratio {true_ratio}, {rounds} rounds: 200 noisy regradings gave fractions {outcomes}"


@pytest.mark.parametrize("rounds", ROUND_COUNTS)
def test_reference_against_itself_earns_full_marks_under_noise(rounds):
    rng = random.Random(99)
    assert all(_noisy_grading(1.0, rng, rounds) == 1.0 for _ in range(2000))


def test_fallback_without_solutions_uses_the_declared_speedup():
    serial = [0.020, 0.022, 0.021]
    assert scoring.fallback_reference_times(serial, 2.0) == pytest.approx([0.010, 0.011, 0.0105])
    # A learner exactly at the target earns full marks; one 3x slower than the target earns half.
    assert (
        scoring.speed_fraction(
            scoring.paired_ratio([0.010, 0.011, 0.0105], scoring.fallback_reference_times(serial, 2.0))
        )
        == 1.0
    )
    assert (
        scoring.speed_fraction(
            scoring.paired_ratio([0.030, 0.033, 0.0315], scoring.fallback_reference_times(serial, 2.0))
        )
        == 0.5
    )

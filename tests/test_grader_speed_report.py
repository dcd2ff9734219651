"""A speed report a learner reads right: the verdict's label, the ratio's definition and spread, the roofline
share, and a warning when the machine was busy. The figures below are made up; every expected number is
worked out here from them, not read from the code."""

from __future__ import annotations

import dataclasses
import re

import pytest

from grader.reports import terminal
from grader.results import Status, TaskResult, Throughput, Timings

pytestmark = pytest.mark.grader

# SAXPY-like: 100 ms for 2**24 elements, 12 bytes and 2 operations each, on a 2-core machine with 20 GB/s
N = 2**24
CALM = Timings(
    serial_s=0.150,
    reference_s=0.080,
    learner_s=0.100,
    reference_measured=True,
    ratio_to_reference=1.24,
    learner_gbps=12 * N / 0.100 / 1e9,
    reference_gbps=12 * N / 0.080 / 1e9,
    rounds=7,
    ratio_range=(1.20, 1.29),
    load=1.5,
    cores=2,
    memory_ceiling_gbps=20.0,
    compute_ceiling_gflops=80.0,
    learner_gflops=2 * N / 0.100 / 1e9,
    reference_gflops=2 * N / 0.080 / 1e9,
)


def _report(timings: Timings, status: Status = Status.PASSED, points: float = 4) -> list[str]:
    result = TaskResult(
        "saxpy", "threaded", "speed", points, 4, status, "1.24x the time of the reference: ...", 1.0, timings
    )
    return terminal.render("Assignment 2", [result], seed=1).splitlines()


def test_partial_speed_credit_is_labelled_partial_not_fail():
    header = next(line for line in _report(CALM, Status.PARTIAL, 3) if " speed " in line)
    assert header.startswith("PARTIAL ") and header.endswith("3/4")
    assert not any(line.startswith("FAIL") for line in _report(CALM, Status.PARTIAL, 3))


def test_the_ratio_is_defined_next_to_it_with_its_spread_over_the_rounds():
    shown = "\n".join(_report(CALM))
    assert re.search(
        r"ratio = your time / the reference's, within each round .*median of 7 rounds: 1\.24x "
        r"\(rounds 1\.20x-1\.29x\)",
        shown,
    ), shown
    verdict_at = shown.index("1.24x the time of the reference")
    assert verdict_at < shown.index("ratio = ")  # the verdict, then what its number means


def test_a_memory_bound_kernel_is_shown_against_the_memory_ceiling():
    gbps = 12 * N / 0.100 / 1e9  # 2.01 GB/s
    shown = "\n".join(_report(CALM))
    assert (
        f"roofline: {gbps:.1f} GB/s is {gbps / 20.0:.0%} of what this machine's memory can deliver (20.0 GB/s" in shown
    ), shown


def test_a_compute_bound_kernel_is_shown_against_the_compute_ceiling():
    # mandelbrot-like: 4e9 operations a call written as 4 MB of output: 1000 operations a byte, far right of
    # this machine's ridge point (80 GFLOP/s / 20 GB/s = 4 operations a byte)
    mandel = dataclasses.replace(
        CALM,
        learner_gbps=4e6 / 0.100 / 1e9,
        reference_gbps=4e6 / 0.080 / 1e9,
        learner_gflops=4e9 / 0.100 / 1e9,
        reference_gflops=4e9 / 0.080 / 1e9,
        throughput=Throughput("pixel-iterations", 4e8 / 0.100),
    )
    shown = "\n".join(_report(mandel))
    assert f"roofline: 40.0 GFLOP/s is {40 / 80:.0%} of what this machine's cores can compute (80 GFLOP/s" in shown
    assert "GB/s" not in shown  # a compute-bound kernel's bandwidth says nothing


def test_no_busy_warning_on_a_calm_machine():
    assert not any(line.strip().startswith("warning:") for line in _report(CALM))


@pytest.mark.parametrize(
    "change, says",
    [
        ({"load": 3.4}, "load 3.4 on 2 cores"),  # more runnable processes than cores
        ({"ratio_range": (0.95, 1.60)}, "the rounds' ratios ranged 0.95x-1.60x"),  # 1.68x apart: wider than 1.3x
    ],
)
def test_a_busy_machine_is_warned_about_with_the_load_or_the_spread_and_advice(change, says):
    warning = next(line for line in _report(dataclasses.replace(CALM, **change)) if "warning:" in line)
    assert "the machine was busy while timing" in warning and says in warning
    assert "grade again" in warning

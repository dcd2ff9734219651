"""Assignment 3, scan: what the grader checks and times.

Each variant is worth 10 points: exclusive_scan correctness 3, find_repeats correctness 3, exclusive_scan speed 3,
find_repeats speed 1. Answers are integers, compared exactly. Speed points follow the course: full marks at up to
1.25x the reference's time in the same run (the course said 1.2x), then banded (grader/scoring.py).

Serial baselines (the "faster than serial" column of the report), chosen to show a peer a learner would know:
threaded against numpy (``np.cumsum(a, dtype=np.int32)``, ``np.flatnonzero``), simd against the plain
one-element-a-step compiled loop, cuda against CuPy (``cupy.cumsum``) on the same GPU. See
assignments/scan/README.md.
"""

from __future__ import annotations

import os

import numpy as np

from grader import simd
from grader.compare import expect_array
from grader.spec import Assignment, Benchmark, Call, Contestant, Inspection, Mismatch, Property
from grader.suites.scan import baseline as scan_baseline  # "baseline" names a contestant below
from grader.suites.scan import cases as strategies
from grader.suites.scan import oracle

N_CPU = 2**24  # 64 MiB an array: far past every cache, so the benchmark measures memory bandwidth
N_GPU = 2**28  # 1 GiB an array: the H100 target size; launch overheads vanish


def _threads(call: Call, case: strategies.ScanCase) -> dict:
    # The drawn thread count: the default (None), uneven chunk boundaries, more threads than cores or elements.
    return {"num_threads": case.num_threads} if call.variant == "threaded" else {}


def _expect_unchanged(a, case: strategies.ScanCase) -> None:
    # The sandbox already reports a modified input; this makes the check whole when called in-process too.
    if not np.array_equal(a, case.array()):
        raise Mismatch("the function modified its input a")


def _checker(function: str, answer):
    """The check for ``function``: compare with ``answer`` (the oracle) computed before the call."""

    def check(call: Call, case: strategies.ScanCase) -> None:
        a = case.array()
        expected = answer(a)  # before the call: the answer to the input as drawn
        got = call(function, a, **_threads(call, case))
        try:
            _expect_unchanged(a, case)
            expect_array(got, expected, what=f"{function}(a)")
        except Mismatch as wrong:
            raise Mismatch(f"input: {case}\n{wrong}") from None

    return check


check_exclusive_scan = _checker("exclusive_scan", oracle.exclusive_scan)
check_find_repeats = _checker("find_repeats", oracle.find_repeats)


def verify_scan(params: dict, inputs, output) -> None:
    expect_array(output, oracle.exclusive_scan(*inputs), what="timed exclusive_scan")


def verify_repeats(params: dict, inputs, output) -> None:
    expect_array(output, oracle.find_repeats(*inputs), what="timed find_repeats")


def correctness(variant: str) -> tuple[Property, Property]:
    return (
        Property(
            variant=variant,
            points=3,
            cases=strategies.cases,
            check=check_exclusive_scan,
            edge_cases=strategies.edge_cases,
            name="exclusive_scan correctness",
        ),
        Property(
            variant=variant,
            points=3,
            cases=strategies.cases,
            check=check_find_repeats,
            edge_cases=strategies.edge_cases,
            name="find_repeats correctness",
        ),
    )


def speed(
    variant: str,
    function: str,
    *,
    baseline: Contestant,
    points: float,
    fallback_speedup: float,
    learner: Contestant | None = None,
    n: int = N_CPU,
    needs_gpu: bool = False,
    kwargs=None,
) -> Benchmark:
    scan = function == "exclusive_scan"
    return Benchmark(
        variant=variant,
        points=points,
        name=f"{function} speed" + (" (kernel only)" if needs_gpu else ""),
        inputs=scan_baseline.make_inputs,
        params={"n": n},
        learner=learner or Contestant(function),
        baseline_module=scan_baseline.__name__,
        baseline=baseline,
        verify=verify_scan if scan else verify_repeats,
        fallback_speedup=fallback_speedup,
        # scan: read a, write out (8 bytes an element); find_repeats: read a (4 bytes; ~n/10 indices written)
        bytes_moved=(8 if scan else 4) * n,
        work=("elements", n),
        needs_gpu=needs_gpu,
        kwargs=kwargs or {},
        gated_on=(f"{function} correctness",),
    )  # one function's speed waits only on its own correctness


def variant_tasks(variant: str) -> tuple:
    if variant == "threaded":
        threads = {"num_threads": os.cpu_count() or 1}
        return (
            *correctness(variant),
            speed(
                variant,
                "exclusive_scan",
                baseline=Contestant("numpy_exclusive_scan"),
                points=3,
                fallback_speedup=1.2,
                kwargs=threads,
            ),
            speed(
                variant,
                "find_repeats",
                baseline=Contestant("numpy_find_repeats"),
                points=1,
                fallback_speedup=1.2,
                kwargs=threads,
            ),
        )
    if variant == "simd":
        return (
            *correctness(variant),
            Inspection(
                variant=variant, name="vector instructions", inspect=simd.packed_instructions, warm_up=_simd_warm_up
            ),
            speed(variant, "exclusive_scan", baseline=Contestant("exclusive_scan"), points=3, fallback_speedup=1.0),
            speed(variant, "find_repeats", baseline=Contestant("find_repeats"), points=1, fallback_speedup=1.0),
        )
    cupy_peer = scan_baseline.to_cupy
    return (
        *correctness(variant),
        speed(
            variant,
            "exclusive_scan",
            points=3,
            n=N_GPU,
            needs_gpu=True,
            fallback_speedup=1.3,
            baseline=Contestant("cupy_exclusive_scan", prepare=cupy_peer),
            learner=Contestant(
                "exclusive_scan_device", prepare=scan_baseline.to_device_scan, collect=scan_baseline.from_device_scan
            ),
        ),
        speed(
            variant,
            "find_repeats",
            points=1,
            n=N_GPU,
            needs_gpu=True,
            fallback_speedup=1.2,
            baseline=Contestant("cupy_find_repeats", prepare=cupy_peer),
            learner=Contestant(
                "find_repeats_device",
                prepare=scan_baseline.to_device_repeats,
                collect=scan_baseline.from_device_repeats,
            ),
        ),
    )


def _simd_warm_up(profile):
    a = strategies.ScanCase(n=1000, kind="mod10", seed=1).array()
    return [("exclusive_scan", (a,)), ("find_repeats", (a,))]


ASSIGNMENT = Assignment(
    number=3,
    name="scan",
    title="Scan and find_repeats: turning a sequential recurrence into parallel work",
    variants=("threaded", "simd", "cuda"),
    functions={
        "threaded": ("exclusive_scan", "find_repeats"),
        "simd": ("exclusive_scan", "find_repeats"),
        "cuda": ("exclusive_scan", "find_repeats", "exclusive_scan_device", "find_repeats_device"),
    },
    tasks=(*variant_tasks("threaded"), *variant_tasks("simd"), *variant_tasks("cuda")),
)

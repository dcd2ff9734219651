"""Assignment 2, SAXPY: what the grader checks and times.

Each variant earns 6 points for correctness and 4 for speed. The CUDA variant's speed is timed twice:
kernel-only (arrays already on the GPU) for the points, and end-to-end (host arrays in and out) for the
lesson that the PCIe transfer, not the kernel, dominates. See assignments/saxpy/README.md.
"""

from __future__ import annotations

import os

from grader import simd
from grader.compare import expect_array
from grader.spec import Assignment, Benchmark, Call, Contestant, Inspection, Mismatch, Property
from grader.suites.saxpy import baseline, oracle
from grader.suites.saxpy import cases as strategies

N_CPU = 2**24  # 64 MiB an array: far past every cache, so the benchmark measures memory bandwidth
N_GPU = 2**27  # 512 MiB an array: long enough that launch overhead vanishes on an H100
BYTES_PER_ELEMENT = 3 * 4  # read x, read y, write the result: 12 bytes per element


def check_saxpy(call: Call, case: strategies.SaxpyCase) -> None:
    a, x, y = case.arrays()
    got = call("saxpy", a, x, y, **({"num_threads": case.num_threads} if call.variant == "threaded" else {}))
    try:
        expect_array(got, oracle.saxpy(a, x, y), what="saxpy(a, x, y)", tolerance=oracle.tolerance(a, x, y))
    except Mismatch as wrong:
        raise Mismatch(f"input: {case}\n{wrong}") from None


def verify_timed(params: dict, inputs, output) -> None:
    expect_array(output, oracle.saxpy(*inputs), what="timed saxpy", tolerance=oracle.tolerance(*inputs))


def correctness(variant: str) -> Property:
    return Property(
        variant=variant, points=6, cases=strategies.cases, check=check_saxpy, edge_cases=strategies.edge_cases
    )


SERIAL = Contestant("saxpy")


def speed(
    variant: str,
    *,
    name: str = "speed",
    learner: Contestant = SERIAL,
    n: int = N_CPU,
    points: float = 4,
    needs_gpu: bool = False,
    fallback_speedup: float = 1.0,
    kwargs=None,
):
    return Benchmark(
        variant=variant,
        points=points,
        name=name,
        inputs=baseline.make_inputs,
        params={"n": n},
        learner=learner,
        baseline_module=baseline.__name__,
        baseline=SERIAL,
        verify=verify_timed,
        fallback_speedup=fallback_speedup,
        bytes_moved=BYTES_PER_ELEMENT * n,
        operations=2 * n,  # a multiply and an add an element
        needs_gpu=needs_gpu,
        kwargs=kwargs or {},
    )


def _simd_warm_up(profile):
    return [("saxpy", strategies.SaxpyCase(n=64, a=2.0, scale=1.0, seed=1).arrays())]


ON_DEVICE = Contestant("saxpy_device", prepare=baseline.to_device, collect=baseline.from_device)

ASSIGNMENT = Assignment(
    number=2,
    name="saxpy",
    title="SAXPY: a*x + y, and why memory bandwidth decides",
    variants=("threaded", "simd", "cuda"),
    functions={"threaded": ("saxpy",), "simd": ("saxpy",), "cuda": ("saxpy", "saxpy_device")},
    tasks=(
        correctness("threaded"),
        speed("threaded", fallback_speedup=1.5, kwargs={"num_threads": os.cpu_count() or 1}),
        correctness("simd"),
        Inspection(variant="simd", name="vector instructions", inspect=simd.packed_instructions, warm_up=_simd_warm_up),
        speed("simd", fallback_speedup=1.0),
        correctness("cuda"),
        speed("cuda", name="speed (kernel only)", learner=ON_DEVICE, n=N_GPU, needs_gpu=True, fallback_speedup=20.0),
        speed(
            "cuda",
            name="end-to-end, with transfers",
            learner=SERIAL,
            n=N_GPU,
            points=0,
            needs_gpu=True,
            fallback_speedup=1.0,
        ),
    ),
)

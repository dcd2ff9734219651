"""Assignment 1, Mandelbrot: what the grader checks and times.

Each variant earns 6 points for correctness and 4 for speed. The threaded variant's speed is split over two
views (2 points each): view 1 is easy to balance, view 3 is not, on any number of cores (see baseline.py: the
course's view 2 is unbalanced on 8 cores but nearly balanced on 2, so it cannot grade the lesson on a laptop).
The CUDA variant's speed is timed twice: kernel-only (output already allocated on the GPU) for the points, and
end-to-end (copying the image back) for information, both on view 1 at 4800x3600 (9x the pixels). At the
course's 1600x1200 an H100 finishes in about 0.1 ms, no longer than the host's cost of a numba launch: identical
learner and reference code then timed 1.79x apart on an H100, and still 1.19x apart at 3200x2400 (a fixed ~50 us
a call on the learner's side). At 4800x3600 the kernel runs about 0.6 ms and that cost fades below the first
scoring band.

Correctness follows the tolerance of grader/suites/mandelbrot/oracle.py: exact counts, except at pixels where a
rounding difference (such as a GPU's fused multiply-add) can legitimately change the count.
See assignments/mandelbrot/README.md.
"""

from __future__ import annotations

import functools

import numpy as np

from grader import machine, simd
from grader.spec import Assignment, Benchmark, Call, Contestant, Inspection, Mismatch, Property
from grader.suites.mandelbrot import baseline, oracle
from grader.suites.mandelbrot import cases as strategies

GPU_WIDTH, GPU_HEIGHT = 3 * baseline.WIDTH, 3 * baseline.HEIGHT  # the GPU benchmarks' image (module doc)

# Total iterations of each benchmarked image (256 iterations at most a pixel): the sum of the oracle's counts,
# for the throughput column. tests/test_mandelbrot.py recomputes each.
PIXEL_ITERATIONS = {
    (1, 1600, 1200): 119_967_091,
    (2, 1600, 1200): 72_957_955,
    (3, 1600, 1200): 109_150_925,
    (1, 4800, 3600): 1_079_398_957,
}
# float32 operations an iteration does, for the compute roofline: |z|^2 (2 multiplies, 1 add), the new real part
# (1 subtract: the squares are reused), the new imaginary part (2 multiplies), adding c (2 adds).
OPERATIONS_PER_ITERATION = 8


@functools.lru_cache(maxsize=8)
def expected_counts(args: tuple) -> np.ndarray:
    """The oracle's counts, cached: the full views are checked for several variants and several benchmarks."""
    counts = oracle.mandelbrot(*args)
    counts.flags.writeable = False
    return counts


def check_mandelbrot(call: Call, case: strategies.MandelbrotCase) -> None:
    kwargs = {"num_threads": case.num_threads} if call.variant == "threaded" else {}
    got = call("mandelbrot", *case.args(), **kwargs)
    try:
        oracle.expect_counts(got, *case.args(), what="mandelbrot(...)", expected=expected_counts(case.args()))
    except Mismatch as wrong:
        raise Mismatch(f"input: {case}\n{wrong}") from None


def verify_timed(params: dict, inputs, output) -> None:
    what = f"timed mandelbrot (view {params['view_number']}, {params['width']}x{params['height']})"
    oracle.expect_counts(output, *inputs, what=what, expected=expected_counts(tuple(inputs)))


def correctness(variant: str) -> Property:
    return Property(
        variant=variant, points=6, cases=strategies.cases, check=check_mandelbrot, edge_cases=strategies.edge_cases
    )


SERIAL = Contestant("mandelbrot")
ON_DEVICE = Contestant("mandelbrot_device", prepare=baseline.to_device, collect=baseline.from_device)


def speed(
    variant: str,
    view_number: int,
    *,
    name: str,
    points: float,
    fallback_speedup: float,
    learner: Contestant = SERIAL,
    needs_gpu: bool = False,
    width: int = baseline.WIDTH,
    height: int = baseline.HEIGHT,
    kwargs=None,
) -> Benchmark:
    return Benchmark(
        variant=variant,
        points=points,
        name=name,
        inputs=baseline.make_inputs,
        params={"view_number": view_number, "width": width, "height": height},
        learner=learner,
        baseline_module=baseline.__name__,
        baseline=SERIAL,
        verify=verify_timed,
        fallback_speedup=fallback_speedup,
        work=("pixel-iterations", PIXEL_ITERATIONS[view_number, width, height]),
        needs_gpu=needs_gpu,
        kwargs=kwargs or {},
        operations=OPERATIONS_PER_ITERATION * PIXEL_ITERATIONS[view_number, width, height],
    )


def _simd_warm_up(profile):
    return [("mandelbrot", strategies.whole_view(1, 130, 20, 64).args())]


ASSIGNMENT = Assignment(
    number=1,
    name="mandelbrot",
    title="Mandelbrot: decomposition and load balance, lanes and masks, warps and divergence",
    variants=("threaded", "simd", "cuda"),
    functions={"threaded": ("mandelbrot",), "simd": ("mandelbrot",), "cuda": ("mandelbrot", "mandelbrot_device")},
    tasks=(
        correctness("threaded"),
        speed(
            "threaded",
            1,
            name="speed, view 1 (whole set)",
            points=2,
            fallback_speedup=1.8,
            kwargs={"num_threads": machine.cores()},
        ),
        speed(
            "threaded",
            3,
            name="speed, view 3 (unbalanced rows)",
            points=2,
            fallback_speedup=1.8,
            kwargs={"num_threads": machine.cores()},
        ),
        correctness("simd"),
        Inspection(variant="simd", name="vector instructions", inspect=simd.packed_instructions, warm_up=_simd_warm_up),
        speed("simd", 1, name="speed, view 1", points=4, fallback_speedup=5.0),
        correctness("cuda"),
        speed(
            "cuda",
            1,
            name="speed (kernel only), view 1 at 4800x3600",
            points=4,
            fallback_speedup=5000.0,
            learner=ON_DEVICE,
            needs_gpu=True,
            width=GPU_WIDTH,
            height=GPU_HEIGHT,
        ),
        speed(
            "cuda",
            1,
            name="end-to-end, with transfers, view 1 at 4800x3600",
            points=0,
            fallback_speedup=500.0,
            needs_gpu=True,
            width=GPU_WIDTH,
            height=GPU_HEIGHT,
        ),
    ),
)

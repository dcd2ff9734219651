"""Assignment 4, the circle renderer: what the grader checks and times.

Each variant earns 6 points for correctness and 4 for speed. Correctness compares every pixel (RGB and alpha)
with the oracle within the float32 tolerance derived in grader/suites/render/oracle.py, on hypothesis scenes of a
few overlapping circles in distinct colours (any out-of-order blend fails), circles off-screen, radii below a
pixel, no circles at all, and frames of 1..100 pixels a side (tiny on the CUDA simulator).

Speed, at 1024x1024: threaded and simd on rand10k (the serial baseline takes ~0.5 s a frame on one core);
cuda, kernel only (scene and frame already on the GPU), on rand100k (2 points), snowsingle (1) and
biglittle (1). See assignments/render/README.md.
"""

from __future__ import annotations

import functools
import os

import numpy as np

from assignments.render.common import SCENE_FIELDS, Scene
from grader import simd
from grader.compare import expect_array
from grader.spec import Assignment, Benchmark, Call, Contestant, Inspection, Mismatch, Property
from grader.suites.render import baseline, oracle
from grader.suites.render import cases as strategies

SIZE = 1024


@functools.lru_cache(maxsize=4)
def _benchmark_reference(scene_name: str, width: int, height: int, seed: int):
    """The oracle's frame and tolerance for a named scene: cached, several benchmarks verify the same one."""
    return oracle.reference(*baseline.make_inputs(scene_name, width, height, seed))[:2]


def expect_frame(got, scene: Scene, width: int, height: int, *, what: str, expected=None) -> None:
    """Raise :class:`Mismatch` unless ``got`` is the oracle's frame within tolerance; the message names the
    first wrong pixel and the circles that cover it, in order."""
    if expected is None:
        expected = oracle.reference(scene, width, height)[:2]
    frame, tolerance = expected
    try:
        expect_array(got, frame, what=what, tolerance=tolerance)
    except Mismatch as wrong:
        hint = ""
        if isinstance(got, np.ndarray) and got.shape == frame.shape and got.dtype == frame.dtype:
            with np.errstate(invalid="ignore"):
                bad = ~(np.abs(got.astype(np.float64) - frame) <= tolerance)
            row, column = (int(k) for k in np.argwhere(bad.any(axis=2))[0])
            hint = (
                f"\npixel (row {row}, column {column}): expected RGBA {np.round(frame[row, column], 4)}, "
                f"got {np.round(got[row, column], 4)}; circles covering it, in order: "
                f"{oracle.covering(scene, width, height, row, column)}"
            )
        raise Mismatch(f"{wrong}{hint}") from None


def check_render(call: Call, case: strategies.RenderCase) -> None:
    scene = case.scene()
    kwargs = {"num_threads": case.num_threads} if call.variant == "threaded" else {}
    got = call("render", scene, case.width, case.height, **kwargs)
    try:
        expect_frame(got, scene, case.width, case.height, what=f"render(scene, {case.width}, {case.height})")
    except Mismatch as wrong:
        raise Mismatch(f"input: {case}\n{wrong}") from None
    fresh = case.scene()  # the grader's sandbox also checks this; here it guards direct calls (tests)
    for field in SCENE_FIELDS:
        if not np.array_equal(getattr(scene, field), getattr(fresh, field)):
            raise Mismatch(f"input: {case}\nrender changed the scene's {field} array: inputs must be left unchanged")


def verify_timed(params: dict, inputs, output) -> None:
    scene, width, height = inputs
    expect_frame(
        output,
        scene,
        width,
        height,
        what=f"timed render ({params['scene']}, {width}x{height})",
        expected=_benchmark_reference(params["scene"], width, height, params.get("seed", 0)),
    )


def correctness(variant: str) -> Property:
    return Property(
        variant=variant,
        points=6,
        cases=strategies.cases,
        check=check_render,
        edge_cases=strategies.edge_cases,
        max_examples=40,
        simulator_max_examples=8,
    )


SERIAL = Contestant("render")
ON_DEVICE = Contestant("render_device", prepare=baseline.to_device, collect=baseline.from_device)


def speed(
    variant: str,
    scene: str,
    *,
    points: float,
    fallback_speedup: float,
    learner: Contestant = SERIAL,
    needs_gpu: bool = False,
    name: str | None = None,
    kwargs=None,
) -> Benchmark:
    return Benchmark(
        variant=variant,
        points=points,
        name=name or f"speed, {scene} {SIZE}x{SIZE}",
        inputs=baseline.make_inputs,
        params={"scene": scene, "width": SIZE, "height": SIZE},
        learner=learner,
        baseline_module=baseline.__name__,
        baseline=SERIAL,
        verify=verify_timed,
        fallback_speedup=fallback_speedup,
        work=("pixels", SIZE * SIZE),
        needs_gpu=needs_gpu,
        kwargs=kwargs or {},
    )


def _simd_warm_up(profile):
    case = strategies.RenderCase(40, 40, 6, "overlap", 1, falloff=False)
    falloff = strategies.RenderCase(40, 40, 6, "overlap", 2, falloff=True)
    return [("render", (case.scene(), 40, 40)), ("render", (falloff.scene(), 40, 40))]


ASSIGNMENT = Assignment(
    number=4,
    name="render",
    title="Circle renderer: order and atomicity, tiles, masks, shared memory",
    variants=("threaded", "simd", "cuda"),
    functions={"threaded": ("render",), "simd": ("render",), "cuda": ("render", "render_device")},
    tasks=(
        correctness("threaded"),
        speed("threaded", "rand10k", points=4, fallback_speedup=2.0, kwargs={"num_threads": os.cpu_count() or 1}),
        correctness("simd"),
        Inspection(variant="simd", name="vector instructions", inspect=simd.packed_instructions, warm_up=_simd_warm_up),
        speed("simd", "rand10k", points=4, fallback_speedup=2.0),
        correctness("cuda"),
        speed(
            "cuda",
            "rand100k",
            points=2,
            fallback_speedup=700.0,  # the reference on an H200: 716x its host's serial renderer
            learner=ON_DEVICE,
            needs_gpu=True,
            name=f"speed (kernel only), rand100k {SIZE}x{SIZE}",
        ),
        speed(
            "cuda",
            "snowsingle",
            points=1,
            fallback_speedup=400.0,
            learner=ON_DEVICE,
            needs_gpu=True,
            name=f"speed (kernel only), snowsingle {SIZE}x{SIZE}",
        ),
        speed(
            "cuda",
            "biglittle",
            points=1,
            fallback_speedup=1000.0,
            learner=ON_DEVICE,
            needs_gpu=True,
            name=f"speed (kernel only), biglittle {SIZE}x{SIZE}",
        ),
    ),
)

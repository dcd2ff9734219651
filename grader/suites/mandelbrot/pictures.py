"""Assignment 1's pictures for ``--images DIR``: each view as the reference and each variant draw it, where
they differ (with the count of differing pixels), the threaded variant's speedup against thread count on the
two graded views, and the roofline of the timed tasks (mandelbrot is compute-bound: a few bytes of output
for hundreds of operations a pixel)."""

from __future__ import annotations

import os
import time

import numpy as np

from grader import ceilings, machine
from grader.images import (
    RooflinePoint,
    colorize,
    save_heatmap,
    save_png,
    save_roofline,
    save_speedup_plot,
)
from grader.spec import Benchmark, Mismatch
from grader.suites.mandelbrot import baseline
from grader.suites.mandelbrot.tasks import expected_counts


def _counts_or_none(call, args, **kwargs):
    """The counts from ``call``, or None if that variant cannot run (grading has already said why)."""
    if call is None:
        return None
    try:
        counts = call("mandelbrot", *args, **kwargs)
    except Mismatch:
        return None
    width, height = args[4], args[5]
    return counts if isinstance(counts, np.ndarray) and counts.shape == (height, width) else None


def _serial_time(args, repeat: int = 3) -> float:
    baseline.mandelbrot(*args)  # compile
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        baseline.mandelbrot(*args)
        best = min(best, time.perf_counter() - start)
    return best


def pictures(context, out_dir: str) -> list[str]:
    """For each view: each runnable learner variant's fractal and its difference from the reference, and the
    reference's fractal; then the threaded variant's speedup against thread count (1 to 2x the cores)."""
    written = []
    variants = ["threaded", "simd"] + (["cuda"] if machine.cuda_gpu() else [])
    learner_calls = {variant: context.call(variant) for variant in variants}
    reference_call = context.reference("threaded")
    for number in (1, 2, 3):
        args = baseline.make_inputs(number)
        max_iters = args[-1]
        reference = _counts_or_none(reference_call, args)
        if reference is None:
            reference = expected_counts(args)  # no solutions/ here: the oracle's answer is the reference
        written.append(save_png(os.path.join(out_dir, f"view{number}_reference.png"), colorize(reference, max_iters)))
        for variant, call in learner_calls.items():
            counts = _counts_or_none(call, args)
            if counts is None:
                continue
            written.append(save_png(os.path.join(out_dir, f"view{number}_{variant}.png"), colorize(counts, max_iters)))
            written.append(
                save_heatmap(
                    os.path.join(out_dir, f"view{number}_{variant}_diff.png"), counts.astype(np.int64) - reference
                )
            )

    threads = list(range(1, 2 * context.cores + 1))
    speedups = {}
    for number in (1, 3):  # the graded views
        args = baseline.make_inputs(number)
        serial = _serial_time(args)
        for who, call in (("yours", learner_calls["threaded"]), ("reference", reference_call)):
            if _counts_or_none(call, args, num_threads=1) is None:
                continue
            try:
                speedups[f"{who}, view {number}"] = [
                    serial / context.time(call, "mandelbrot", *args, num_threads=count) for count in threads
                ]
            except Mismatch:  # it failed at some thread count: grading says why; plot the others
                continue
    if speedups:
        written.append(
            save_speedup_plot(
                os.path.join(out_dir, "speedup_threaded.png"),
                threads,
                speedups,
                f"Mandelbrot, threaded, {context.cores} cores",
                cores=context.cores,
            )
        )
    written += _roofline(context, out_dir)
    return written


def _roofline(context, out_dir: str) -> list[str]:
    """The timed tasks on this machine's roofline: operations a byte of output (the input is 7 numbers)."""
    timed = [result for result in context.results if result.timings and result.timings.learner_gflops]
    if not timed:
        return []
    benchmarks = {
        (task.variant, task.name): task for task in context.grader.assignment.tasks if isinstance(task, Benchmark)
    }
    points = []
    for result in timed:
        task, timings = benchmarks.get((result.variant, result.task)), result.timings
        if task is None:
            continue
        intensity = task.operations / (4 * task.params["width"] * task.params["height"])
        points.append(RooflinePoint(f"yours: {result.variant} {result.task}", intensity, timings.learner_gflops))
        points.append(
            RooflinePoint(
                f"{'reference' if timings.reference_measured else 'target'}: {result.variant} {result.task}",
                intensity,
                timings.reference_gflops,
            )
        )
    roof = ceilings.ceilings() if points else None
    if roof is None:
        return []
    return [
        save_roofline(
            os.path.join(out_dir, "roofline.png"),
            roof.memory_bytes_per_s / 1e9,
            roof.flops_per_s / 1e9,
            points,
            "mandelbrot: roofline of this machine",
        )
    ]

"""Pictures for ``--images DIR``: PNG frames, diff heat maps and speedup plots.

An assignment opts in with a module ``grader/suites/<name>/pictures.py`` defining
``pictures(context, out_dir) -> list[str]`` (the paths written). The
context gives it the learner's and the reference's functions through the same sandbox as grading:

* ``context.call(variant)`` -> a ``Call`` into the learner's variant (or None if it cannot be loaded)
* ``context.reference(variant)`` -> a ``Call`` into the reference solution (or None without solutions/)
* ``context.time(call, function, *args, repeat=3, **kwargs)`` -> the best wall time in seconds of ``repeat`` calls
  after one warm-up call
* ``context.cores`` -> the number of CPU cores
* ``context.results`` -> this grading's task results (their ``timings``)

After the hook, every timed CPU speed task that declares its bytes and operations a call is drawn on a roofline
chart of this machine (``roofline.png``, ceilings from grader/ceilings.py).
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass

import numpy as np


def save_png(path: str, image: np.ndarray) -> str:
    """Write a gray (h, w), RGB (h, w, 3) or RGBA (h, w, 4) image; floats are taken in [0, 1]."""
    from PIL import Image

    if image.dtype.kind == "f":
        image = np.clip(np.nan_to_num(image), 0.0, 1.0) * 255.0 + 0.5
    image = np.ascontiguousarray(image.astype(np.uint8))
    mode = {2: "L", 3: {3: "RGB", 4: "RGBA"}.get(image.shape[-1])}[image.ndim]
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    Image.fromarray(image, mode=mode).save(path)
    return path


def save_heatmap(path: str, difference: np.ndarray, what: str = "pixels") -> str:
    """Write |difference| as a heat map with its legend: black where equal, brighter yellow-red where they
    differ more, a colour bar giving the scale, and the count of differing ``what`` in the title (so an
    all-black picture reads "0 of 1,920,000 pixels differ", not as a broken file)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LinearSegmentedColormap

    magnitude = np.abs(np.nan_to_num(np.asarray(difference, dtype=np.float64), nan=np.inf))
    if magnitude.ndim == 3:
        magnitude = magnitude.max(axis=2)
    differing, total = int(np.count_nonzero(magnitude)), magnitude.size
    largest = magnitude[np.isfinite(magnitude)].max(initial=0.0)
    shown = np.where(np.isfinite(magnitude), magnitude, largest or 1.0)
    heat = LinearSegmentedColormap.from_list("difference", ["black", "red", "yellow"])
    height, width = magnitude.shape
    figure, axes = plt.subplots(figsize=(7, 7 * height / max(width, 1) + 0.8), dpi=100)
    image = axes.imshow(shown, cmap=heat, vmin=0.0, vmax=largest or 1.0, interpolation="nearest")
    figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04, label="|yours - reference|")
    axes.set_title(
        f"{differing:,} of {total:,} {what} differ" + (f" (largest difference {largest:g})" if differing else "")
    )
    axes.set_xticks([])
    axes.set_yticks([])
    figure.tight_layout()
    return _save_figure(figure, path)


def _save_figure(figure, path: str) -> str:
    import matplotlib.pyplot as plt

    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return path


@dataclass(frozen=True)
class RooflinePoint:
    """One kernel on a roofline chart: its operations per byte of memory traffic and its operations per second."""

    label: str
    intensity: float  # operations a byte
    gflops: float


def roofline_points(results) -> list[RooflinePoint]:
    """The learner's and the reference's points of every timed CPU speed task that declares both the bytes
    and the operations of a call (intensity = operations per second / bytes per second)."""
    points = []
    for result in results:
        timings = result.timings
        if timings is None or timings.memory_ceiling_gbps is None:
            continue
        sides = (
            ("yours", timings.learner_gflops, timings.learner_gbps),
            ("reference" if timings.reference_measured else "target", timings.reference_gflops, timings.reference_gbps),
        )
        for who, gflops, gbps in sides:
            if gflops and gbps:
                points.append(RooflinePoint(f"{who}: {result.variant} {result.task}", gflops / gbps, gflops))
    return points


def save_bandwidth_chart(path: str, rates: dict[str, float], ceiling_gbps: float | None, title: str) -> str:
    """GB/s of each labelled run as a bar, against the line of what this machine's memory can deliver."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 0.5 * len(rates) + 1.8), dpi=100)
    labels = list(rates)
    axes.barh(labels, [rates[label] for label in labels], color="tab:blue")
    for row, label in enumerate(labels):
        share = f" ({rates[label] / ceiling_gbps:.0%})" if ceiling_gbps else ""
        axes.annotate(f" {rates[label]:.1f} GB/s{share}", (rates[label], row), va="center", fontsize=8)
    if ceiling_gbps:
        axes.axvline(ceiling_gbps, color="black", linestyle="--", label=f"memory ceiling {ceiling_gbps:.1f} GB/s")
        axes.legend(fontsize=8, loc="lower right")
    axes.invert_yaxis()
    axes.set_xlabel("GB/s (bytes read and written by the kernel per second)")
    axes.set_xlim(0, 1.3 * max([*rates.values(), ceiling_gbps or 0.0, 1e-9]))
    axes.set_title(title)
    figure.tight_layout()
    return _save_figure(figure, path)


def save_roofline(path: str, memory_gbps: float, compute_gflops: float, points: list[RooflinePoint], title: str) -> str:
    """The roofline model of this machine: attainable GFLOP/s = min(memory GB/s x operations a byte, the
    cores' GFLOP/s), on log-log axes, with each point where a kernel ran. A point far under the slanted roof
    wastes memory bandwidth; under the flat roof, arithmetic; a point cannot rise above the roof."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ridge = compute_gflops / memory_gbps
    low = min([ridge / 100] + [p.intensity / 4 for p in points])
    high = max([ridge * 100] + [p.intensity * 4 for p in points])
    x = np.geomspace(low, high, 200)
    figure, axes = plt.subplots(figsize=(7, 4.5), dpi=100)
    axes.loglog(x, np.minimum(memory_gbps * x, compute_gflops), color="black", linewidth=2)
    axes.annotate(
        f"memory: {memory_gbps:.1f} GB/s", (ridge / 40, memory_gbps * ridge / 40 * 1.8), fontsize=9, ha="right"
    )
    axes.annotate(f"cores: {compute_gflops:.0f} GFLOP/s", (ridge * 1.3, compute_gflops * 1.15), fontsize=9)
    axes.axvline(ridge, color="gray", linestyle=":", linewidth=1)
    markers = iter("osD^vP*X")
    for point in points:
        axes.loglog(
            [point.intensity],
            [point.gflops],
            linestyle="none",
            marker=next(markers, "o"),
            markersize=8,
            label=f"{point.label}: {point.gflops:.2f} GFLOP/s "
            f"({point.gflops / min(memory_gbps * point.intensity, compute_gflops):.0%} of the roof)",
        )
    axes.set_xlabel("arithmetic intensity (float32 operations per byte of memory traffic)")
    axes.set_ylabel("GFLOP/s")
    axes.set_title(title)
    axes.grid(True, which="both", alpha=0.25)
    if points:
        axes.legend(fontsize=8, loc="lower right")
    figure.tight_layout()
    return _save_figure(figure, path)


def colorize(counts: np.ndarray, max_count: int) -> np.ndarray:
    """Map iteration counts (or any non-negative values up to ``max_count``) to an RGB palette."""
    t = np.sqrt(np.clip(counts.astype(np.float64) / max(max_count, 1), 0.0, 1.0))
    rgb = np.stack([9 * (1 - t) * t**3, 15 * (1 - t) ** 2 * t**2, 8.5 * (1 - t) ** 3 * t], axis=-1)
    return np.clip(rgb, 0.0, 1.0)


def save_speedup_plot(
    path: str, threads: list[int], speedups: dict[str, list[float]], title: str, cores: int | None = None
) -> str:
    """Speedup against thread count, one line per series, with the ideal line for reference: linear up to
    ``cores``, flat beyond (more threads than cores cannot run at once)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 4), dpi=100)
    ideal = [min(t, cores) if cores else t for t in threads]
    axes.plot(threads, ideal, linestyle=":", color="gray", label="ideal")
    for label, values in speedups.items():
        axes.plot(threads, values, marker="o", label=label)
    axes.set_xlabel("threads")
    axes.set_ylabel("speedup over serial")
    axes.set_title(title)
    axes.grid(True, alpha=0.3)
    axes.legend()
    figure.tight_layout()
    return _save_figure(figure, path)


class PictureContext:
    """What an assignment's ``pictures`` hook may use: the learner's and the reference's functions, run in
    the same sandbox as grading, and a timer. Workers start on first use and stop at ``close``."""

    def __init__(self, assignment, options, results=()):
        from grader import machine
        from grader.grading import Grader

        self.grader = Grader(assignment, options)
        self.cores = machine.cores()
        self.results = list(results)  # this grading's results: the timings a picture may plot
        self._workers = []

    def _call(self, source, variant):
        from grader import settings
        from grader.grading import limits_for, worker_options_for
        from grader.sandbox import SandboxCall, Worker, WorkerFailure

        if source is None:
            return None
        limit = settings.PICTURE_CALL_TIME_LIMIT_S
        worker = Worker(source, limits_for(self.grader.options, variant, limit), worker_options_for(variant))
        self._workers.append(worker)
        try:
            worker.start()
        except WorkerFailure:
            return None
        return SandboxCall(worker, variant, limit)

    def call(self, variant: str):
        return self._call(self.grader.learner_source(variant), variant)

    def reference(self, variant: str):
        return self._call(self.grader.reference_source(variant), variant)

    @staticmethod
    def time(call, function: str, *args, repeat: int = 3, **kwargs) -> float:
        import time

        call(function, *args, **kwargs)  # warm-up: compilation
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            call(function, *args, **kwargs)
            best = min(best, time.perf_counter() - start)
        return best

    def close(self) -> None:
        for worker in self._workers:
            worker.close()


def write_pictures(assignment, options, out_dir: str, results=()) -> list[str]:
    """Run the assignment's ``pictures`` hook into ``out_dir/<assignment>/``, then draw the roofline of the
    speed tasks in ``results`` (this grading's) that declare bytes and operations; returns the paths written.

    A picture that cannot be made (the learner's code fails) is left out; grading has already said why.
    """
    from grader import ceilings
    from grader.spec import Mismatch

    directory = os.path.join(out_dir, assignment.name)
    written = []
    try:
        hook = importlib.import_module(f"grader.suites.{assignment.name}.pictures").pictures
    except ModuleNotFoundError:
        hook = None
    if hook is not None:
        context = PictureContext(assignment, options, results)
        try:
            written += hook(context, directory)
        except Mismatch as failure:
            print(f"  pictures stopped: {failure}")
        finally:
            context.close()
    points = roofline_points(results)
    roof = ceilings.ceilings() if points else None
    if roof is not None:
        written.append(
            save_roofline(
                os.path.join(directory, "roofline.png"),
                roof.memory_bytes_per_s / 1e9,
                roof.flops_per_s / 1e9,
                points,
                f"{assignment.name}: roofline of this machine",
            )
        )
    if not written:
        timed = any(result.timings is not None for result in results)
        print(
            f"  {assignment.name}: no pictures"
            + ("" if timed else " (nothing was timed: the roofline needs the speed tasks, run without --quick)")
        )
    return written

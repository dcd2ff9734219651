"""Pictures for ``--images DIR``: PNG frames, diff heat maps and speedup plots.

An assignment opts in with a module ``grader/suites/<name>/pictures.py`` defining
``pictures(context, out_dir) -> list[str]`` (the paths written). The
context gives it the learner's and the reference's functions through the same sandbox as grading:

* ``context.call(variant)`` -> a ``Call`` into the learner's variant (or None if it cannot be loaded)
* ``context.reference(variant)`` -> a ``Call`` into the reference solution (or None without solutions/)
* ``context.time(call, function, *args, repeat=3, **kwargs)`` -> the best wall time in seconds of ``repeat`` calls
  after one warm-up call
* ``context.cores`` -> the number of CPU cores
"""

from __future__ import annotations

import importlib
import os

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


def save_heatmap(path: str, difference: np.ndarray) -> str:
    """Write |difference| as a heat map: black where equal, brighter yellow-red where they differ more."""
    magnitude = np.abs(np.nan_to_num(np.asarray(difference, dtype=np.float64), nan=np.inf))
    if magnitude.ndim == 3:
        magnitude = magnitude.max(axis=2)
    scale = magnitude[np.isfinite(magnitude)].max(initial=0.0) or 1.0
    level = np.where(np.isfinite(magnitude), magnitude / scale, 1.0)
    level = np.where(magnitude > 0, 0.25 + 0.75 * level, 0.0)  # any difference at all is visible
    heat = np.stack([np.clip(2 * level, 0, 1), np.clip(2 * level - 1, 0, 1), np.zeros_like(level)], axis=-1)
    return save_png(path, heat)


def colorize(counts: np.ndarray, max_count: int) -> np.ndarray:
    """Map iteration counts (or any non-negative values up to ``max_count``) to an RGB palette."""
    t = np.sqrt(np.clip(counts.astype(np.float64) / max(max_count, 1), 0.0, 1.0))
    rgb = np.stack([9 * (1 - t) * t**3, 15 * (1 - t) ** 2 * t**2, 8.5 * (1 - t) ** 3 * t], axis=-1)
    return np.clip(rgb, 0.0, 1.0)


def save_speedup_plot(path: str, threads: list[int], speedups: dict[str, list[float]], title: str,
                      cores: int | None = None) -> str:
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
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return path


class PictureContext:
    """What an assignment's ``pictures`` hook may use: the learner's and the reference's functions, run in
    the same sandbox as grading, and a timer. Workers start on first use and stop at ``close``."""

    def __init__(self, assignment, options):
        from grader import machine
        from grader.grading import Grader

        self.grader = Grader(assignment, options)
        self.cores = machine.cores()
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


def write_pictures(assignment, options, out_dir: str) -> list[str]:
    """Run the assignment's ``pictures`` hook into ``out_dir/<assignment>/``; returns the paths written.

    A picture that cannot be made (the learner's code fails) is left out; grading has already said why.
    """
    from grader.spec import Mismatch

    try:
        hook = importlib.import_module(f"grader.suites.{assignment.name}.pictures").pictures
    except ModuleNotFoundError:
        print(f"  {assignment.name} draws no pictures")
        return []
    context = PictureContext(assignment, options)
    try:
        return hook(context, os.path.join(out_dir, assignment.name))
    except Mismatch as failure:
        print(f"  pictures stopped: {failure}")
        return []
    finally:
        context.close()

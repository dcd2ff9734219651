"""The terminal report: one table per assignment, then the total.

For speed tasks it shows the serial, reference and learner times, the speedup over serial, and GB/s (when
the work is memory-bound) or the throughput the assignment declares.
"""

from __future__ import annotations

from grader.results import Status, TaskResult, Timings

MARKS = {Status.PASSED: "PASS", Status.PARTIAL: "PART", Status.FAILED: "FAIL", Status.SKIPPED: "SKIP",
         Status.INFO: "INFO"}


def _time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} us"


def _rate(value: float, unit: str) -> str:
    for scale, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= scale:
            return f"{value / scale:.2f} {prefix}{unit}/s"
    return f"{value:.2f} {unit}/s"


def timing_line(timings: Timings | None) -> str:
    if timings is None:
        return ""
    reference = "reference" if timings.reference_measured else "target"
    parts = [f"serial {_time(timings.serial_s)}", f"{reference} {_time(timings.reference_s)}",
             f"yours {_time(timings.learner_s)}", f"speedup {timings.speedup_vs_serial:.2f}x"]
    if timings.learner_gbps is not None and timings.reference_gbps is not None:
        parts.append(f"{timings.learner_gbps:.1f} GB/s ({reference} {timings.reference_gbps:.1f})")
    if timings.throughput is not None:
        parts.append(_rate(timings.throughput.per_second, timings.throughput.unit))
    return " | ".join(parts)


def render(title: str, results: list[TaskResult], seed: int) -> str:
    lines = [title, "-" * len(title)]
    task_width = max((len(result.task) for result in results), default=0)
    for result in results:
        points = f"{result.points:g}/{result.max_points:g}" if result.status is not Status.SKIPPED else "-"
        lines.append(f"{MARKS[result.status]}  {result.variant:<9} {result.task:<{task_width}} {points:>8}")
        detail = [timing_line(result.timings)] if result.timings else []
        detail += result.message.splitlines()
        lines.extend(f"      {text}" for text in detail if text)
    score, max_score = total(results)
    lines.append(f"score {score:g}/{max_score:g}   (seed {seed}: rerun with --seed {seed} to reproduce)")
    return "\n".join(lines)


def total(results: list[TaskResult]) -> tuple[float, float]:
    graded = [r for r in results if r.status.graded]
    return round(sum(r.points for r in graded), 2), round(sum(r.max_points for r in graded), 2)

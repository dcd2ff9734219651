"""The terminal report: one table per assignment, then the total.

A speed task's report explains itself, in four lines under the verdict:

    serial 80.00 ms | reference 40.00 ms | yours 100.00 ms | speedup 0.80x over serial | 1.2 GB/s (reference 3.0)
    ratio = your time / the reference's, within each round (run back to back), median of 7 rounds: 2.50x (...)
    roofline: 1.2 GB/s is 6% of what this machine's memory can deliver (20.0 GB/s, a copy on all 2 cores)
    warning: the machine was busy while timing (load 5.1 on 2 cores): ...

The times are medians over the rounds; the ratio is the median of the per-round ratios (grader/scoring.py),
so it need not equal the ratio of the two median times. The roofline line compares the learner with the
ceiling that bounds the kernel: memory bandwidth when it does few operations per byte, the cores' arithmetic
when it does many (grader/ceilings.py).
"""

from __future__ import annotations

from grader.results import WIDE_SPREAD, Status, TaskResult, Timings

# PARTIAL: some speed points, not all; the run then exits 1, as it does for FAIL (every point, or exit 1)
MARKS = {
    Status.PASSED: "PASS",
    Status.PARTIAL: "PARTIAL",
    Status.FAILED: "FAIL",
    Status.SKIPPED: "SKIP",
    Status.INFO: "INFO",
}
MARK_WIDTH = max(len(mark) for mark in MARKS.values())


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
    """The times, the speedup and the rate of one speed task, on one line."""
    if timings is None:
        return ""
    reference = "reference" if timings.reference_measured else "target"
    parts = [
        f"serial {_time(timings.serial_s)}",
        f"{reference} {_time(timings.reference_s)}",
        f"yours {_time(timings.learner_s)}",
        f"speedup {timings.speedup_vs_serial:.2f}x over serial",
    ]
    if timings.learner_gbps is not None and timings.reference_gbps is not None and not _compute_bound(timings):
        parts.append(f"{timings.learner_gbps:.1f} GB/s ({reference} {timings.reference_gbps:.1f})")
    if timings.throughput is not None:
        parts.append(_rate(timings.throughput.per_second, timings.throughput.unit))
    return " | ".join(parts)


def ratio_line(timings: Timings) -> str:
    """What the ratio the points come from is, and how much the rounds agreed on it."""
    reference = "the reference's" if timings.reference_measured else "the target's"
    line = (
        f"ratio = your time / {reference}, within each round (run back to back), median of "
        f"{timings.rounds} rounds: {timings.ratio_to_reference:.2f}x"
    )
    if timings.ratio_range is not None:
        low, high = timings.ratio_range
        line += f" (rounds {low:.2f}x-{high:.2f}x)"
    return line


def _compute_bound(timings: Timings) -> bool:
    """Whether the kernel does more operations per byte than the machine's ridge point (where its memory
    and its arithmetic run out together): then the cores, not the memory, bound it."""
    flops, gbps = timings.learner_gflops, timings.learner_gbps
    compute, memory = timings.compute_ceiling_gflops, timings.memory_ceiling_gbps
    if flops is None or not gbps or compute is None or memory is None:
        return False
    intensity = flops / gbps  # operations a byte
    return intensity > compute / memory


def roofline_line(timings: Timings) -> str:
    """The learner's rate as a share of the ceiling that bounds the kernel on this machine ("" if unknown)."""
    cores = f"all {timings.cores} cores"
    if _compute_bound(timings) or (timings.learner_gbps is None and timings.learner_gflops is not None):
        if timings.compute_ceiling_gflops is None or timings.learner_gflops is None:
            return ""
        share = timings.learner_gflops / timings.compute_ceiling_gflops
        return (
            f"roofline: {timings.learner_gflops:.1f} GFLOP/s is {share:.0%} of what this machine's cores can "
            f"compute ({timings.compute_ceiling_gflops:.0f} GFLOP/s of vectorized float32 multiply-adds on "
            f"{cores})"
        )
    if timings.learner_gbps is None or timings.memory_ceiling_gbps is None:
        return ""
    share = timings.learner_gbps / timings.memory_ceiling_gbps
    return (
        f"roofline: {timings.learner_gbps:.1f} GB/s is {share:.0%} of what this machine's memory can deliver "
        f"({timings.memory_ceiling_gbps:.1f} GB/s, a copy on {cores})"
    )


def busy_line(timings: Timings) -> str:
    """A warning, with advice, when the timing ran on a busy machine ("" otherwise)."""
    if not timings.busy:
        return ""
    why = []
    if timings.load is not None and timings.load > timings.cores:
        why.append(f"load {timings.load:.1f} on {timings.cores} cores")
    if timings.ratio_range is not None and timings.spread > WIDE_SPREAD:
        low, high = timings.ratio_range
        why.append(f"the rounds' ratios ranged {low:.2f}x-{high:.2f}x")
    return (
        f"warning: the machine was busy while timing ({'; '.join(why)}): other programs took cores from "
        "the timed code, so these figures are noisier than usual. Close them (or wait) and grade again before "
        "you trust a small difference."
    )


def speed_lines(timings: Timings | None) -> list[str]:
    """Everything the report says about one speed task's measurement, one string a line."""
    if timings is None:
        return []
    return [
        line for line in (timing_line(timings), ratio_line(timings), roofline_line(timings), busy_line(timings)) if line
    ]


def details(result: TaskResult) -> list[str]:
    """What the report says under a task's line: the verdict, then (for a speed task) the measurement
    explained, then the rest of the message. The other reports show the same lines."""
    message = result.message.splitlines()
    return message[:1] + speed_lines(result.timings) + message[1:]


def render(title: str, results: list[TaskResult], seed: int) -> str:
    lines = [title, "-" * len(title)]
    task_width = max((len(result.task) for result in results), default=0)
    for result in results:
        points = f"{result.points:g}/{result.max_points:g}" if result.status is not Status.SKIPPED else "-"
        mark = MARKS[result.status]
        lines.append(f"{mark:<{MARK_WIDTH}}  {result.variant:<9} {result.task:<{task_width}} {points:>8}")
        detail = details(result)
        lines.extend(f"      {text}" for text in detail if text)
    score, max_score = total(results)
    lines.append(f"score {score:g}/{max_score:g}   (seed {seed}: rerun with --seed {seed} to reproduce)")
    return "\n".join(lines)


def total(results: list[TaskResult]) -> tuple[float, float]:
    graded = [r for r in results if r.status.graded]
    return round(sum(r.points for r in graded), 2), round(sum(r.max_points for r in graded), 2)

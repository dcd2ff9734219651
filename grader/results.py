"""What grading one task produces: its :class:`Status`, its points and message, and for a speed task its
:class:`Timings`. The reports (grader/reports/) read these and nothing else of the grader.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Word(str, enum.Enum):
    """An enum whose members are their lower-case words: ``Status.PASSED == "passed"``, JSON writes
    ``"passed"``, and so does an f-string (``enum.StrEnum`` does this from Python 3.11 on)."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class Status(Word):
    """A task's verdict, as the learner sees it."""

    PASSED = "passed"  # every point earned
    PARTIAL = "partial"  # some, not all, of a speed task's points: slower than the reference
    FAILED = "failed"  # no points: wrong, crashed, hung, not implemented, or far too slow
    SKIPPED = "skipped"  # cannot run on this machine (no GPU, no MPI, --quick); the message says why
    INFO = "info"  # worth no points: shown, never fails the run

    @property
    def graded(self) -> bool:
        """Whether the task's points count in the score (its points and its maximum)."""
        return self in (Status.PASSED, Status.PARTIAL, Status.FAILED)

    @property
    def lost_points(self) -> bool:
        """Whether the task earned less than it could: the run then exits with status 1."""
        return self in (Status.PARTIAL, Status.FAILED)

    @staticmethod
    def for_points(points: float, max_points: float) -> Status:
        """The verdict of a graded task that earned ``points`` of ``max_points`` (max_points > 0)."""
        if points >= max_points:
            return Status.PASSED
        return Status.PARTIAL if points > 0 else Status.FAILED


@dataclass(frozen=True)
class Throughput:
    """Work done per second, in the unit the benchmark declares (for example pixel-iterations)."""

    unit: str
    per_second: float


# Rounds whose ratios differ by more than this factor disagree enough to move a score across a band (1.25x,
# 2x, 4x apart): the report then warns that the machine was busy.
WIDE_SPREAD = 1.3


@dataclass(frozen=True)
class Timings:
    """What one speed task measured: the median seconds per call of each side, over the rounds.

    ``reference_s`` is the reference solution's time measured in the same run when ``reference_measured``,
    otherwise the fallback target (the serial time divided by the benchmark's ``fallback_speedup``).
    ``ratio_to_reference`` is the median of the per-round ratios learner / reference (grader/scoring.py),
    the figure the points come from; it is not learner_s / reference_s.
    """

    serial_s: float
    reference_s: float
    learner_s: float
    reference_measured: bool
    ratio_to_reference: float
    learner_gbps: float | None = None  # when the benchmark declares the bytes a call moves
    reference_gbps: float | None = None
    throughput: Throughput | None = None  # the learner's, when the benchmark declares its work
    rounds: int = 0  # the interleaved rounds the ratio is the median of
    ratio_range: tuple[float, float] | None = None  # the lowest and the highest round's ratio
    load: float | None = None  # the machine's 1-minute load average when the timing ended
    cores: int = 0  # the cores this grader may use
    # The roofline (grader/ceilings.py): this machine's ceilings, and the float32 operations per second of
    # each side when the benchmark declares how many a call does. CPU variants only.
    memory_ceiling_gbps: float | None = None
    compute_ceiling_gflops: float | None = None
    learner_gflops: float | None = None
    reference_gflops: float | None = None

    @property
    def speedup_vs_serial(self) -> float:
        return self.serial_s / self.learner_s

    @property
    def spread(self) -> float:
        """The highest round's ratio over the lowest's: 1.0 when every round agreed."""
        return self.ratio_range[1] / self.ratio_range[0] if self.ratio_range and self.ratio_range[0] > 0 else 1.0

    @property
    def busy(self) -> bool:
        """Whether the figures are less trustworthy than usual: other programs kept the cores busy (load
        above the core count) or the rounds disagreed by more than WIDE_SPREAD."""
        return (self.load is not None and self.cores > 0 and self.load > self.cores) or self.spread > WIDE_SPREAD


@dataclass
class TaskResult:
    """One graded task: filled in by grader/grading.py, read by the reports."""

    assignment: str
    variant: str
    task: str
    points: float
    max_points: float
    status: Status
    message: str
    seconds: float = 0.0
    timings: Timings | None = None  # speed tasks that were timed
    # An INFO task's verdict had it been worth points: PASSED when it found what it looks for (or ran at full
    # speed), else FAILED, also when it could not run ("could not inspect"). The reports show it.
    info_verdict: Status | None = None

    def __post_init__(self) -> None:
        self.status = Status(self.status)  # "failed" becomes Status.FAILED

    @property
    def name(self) -> str:
        return f"{self.assignment} · {self.variant} · {self.task}"


def all_points_earned(results: list[TaskResult]) -> bool:
    """Whether every graded task earned all its points (the run's exit status 0)."""
    return not any(result.status.lost_points for result in results)

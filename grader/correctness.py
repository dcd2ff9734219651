"""Runs a correctness :class:`~grader.spec.Property`: fixed edge cases, then hypothesis, then shrinking.

Hypothesis runs here, in the parent; each case it draws is sent to the sandboxed worker, whose answer the
check compares with the oracle. A failing case is shrunk to the smallest one that still fails, and that one
is reported. If the learner's code crashes or hangs, the worker is gone: the search stops there and the case
that killed it is reported as it was drawn (shrinking would need a fresh process per attempt).

Whatever hypothesis ends with becomes a :class:`Verdict`, never an exception out of here: one failure, an
``ExceptionGroup`` of several distinct ones, a ``Flaky`` result (a case that failed once passed when run
again: a race, in parallel code), ``Unsatisfiable``, a failed health check or ``DeadlineExceeded``. The
verdict reads from the failures this module saw itself (each with its case), so it does not depend on the
shape of what hypothesis raises. Only an exception that is no learner's failure (the check itself broke: a
bug in the grader) is raised, for :mod:`grader.grading` to report as an internal error.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.errors import DeadlineExceeded, FailedHealthCheck, Flaky, Unsatisfiable

from grader.spec import Call, Mismatch, Profile, Property

if sys.version_info < (3, 11):  # hypothesis raises the backport's groups there (it depends on it below 3.11)
    from exceptiongroup import BaseExceptionGroup

# What hypothesis raises when it could not run the search as asked (with no failure of the learner's seen);
# any other exception with none seen is a bug in the grader's check or cases.
CANNOT_CHECK = (Unsatisfiable, FailedHealthCheck, DeadlineExceeded, Flaky)
SHOWN_OTHER_LINES = 4  # lines of each further distinct failure shown after the first one (input, call, what)
SHOWN_ELEMENTS = 8  # an array argument of a failing call is shown with its values up to this size


@dataclass(frozen=True)
class CallRecord:
    """One call a check made of the learner's function: every argument, as the sandbox received it."""

    function: str
    args: tuple
    kwargs: dict

    def __str__(self) -> str:
        shown = [_show(value) for value in self.args] + [
            f"{name}={_show(value)}" for name, value in self.kwargs.items()
        ]
        return f"{self.function}({', '.join(shown)})"


def _show(value: Any) -> str:
    if isinstance(value, np.ndarray):
        kind = f"{value.dtype}[{', '.join(map(str, value.shape))}]"
        if value.size <= SHOWN_ELEMENTS:
            return f"{kind} {np.array2string(value.ravel(), separator=', ', threshold=SHOWN_ELEMENTS)}"
        return kind
    if isinstance(value, (np.generic, int, float, bool, str)) or value is None:
        return repr(value)
    return type(value).__name__


@dataclass
class Verdict:
    passed: bool
    message: str
    cases_run: int
    distinct_failures: int = 0
    counterexample: Failure | None = None  # the failure the message shows first, to save for --replay


@dataclass
class Failure:
    """One distinct failure: the case that shows it (the smallest one found) and what the check said."""

    case: Any
    message: str
    fatal: bool  # the worker is gone (a crash or a hang): nothing more can be asked of it
    call: CallRecord | None = None  # the learner's call that failed (the check's last one)

    def describe(self) -> str:
        given = f"input: {self.case}"  # how checks state their input (a failed call's message does not)
        text = self.message if given in self.message else f"{given}\n{self.message}"
        if self.call is None:
            return text
        first, _, rest = text.partition("\n")
        return f"{first}\ncall: {self.call}" + (f"\n{rest}" if rest else "")


class _RecordingCall:
    """The check's ``call``, passed through to the sandbox, remembering the last call it made."""

    def __init__(self, call: Call):
        self.call, self.variant = call, call.variant
        self.worker = getattr(call, "worker", None)
        self.last: CallRecord | None = None

    def __call__(self, function: str, *args: Any, **kwargs: Any) -> Any:
        self.last = CallRecord(function, args, dict(kwargs))
        return self.call(function, *args, **kwargs)


class _StopSearch(BaseException):
    """Ends hypothesis's run at once, without shrinking or replaying anything: hypothesis treats every
    ``Exception`` as a failure to shrink, but lets other ``BaseException``s (like KeyboardInterrupt) through."""


def _origin(wrong: Mismatch, fatal: bool) -> tuple:
    """What makes two failures distinct: where the check raised (as hypothesis tells failures apart), and
    whether the worker died of it (a hang and an exception both come out of the same sandbox call)."""
    frame = wrong.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    where = (frame.tb_frame.f_code.co_filename, frame.tb_lineno) if frame is not None else ()
    return (type(wrong).__name__, *where, fatal)


class _Recorder:
    """Runs the check on one case and keeps one failing case of each distinct failure: the first among
    the edge cases (they come smallest first), the latest among hypothesis's (it only tries cases smaller
    than the smallest failing one it knows, and replays each one it reports last: the latest is the shrunk
    one)."""

    def __init__(self, prop: Property, call: Call):
        self.prop, self.call = prop, _RecordingCall(call)
        self.failures: dict[tuple, Failure] = {}  # in the order first found
        self.cases_run = 0

    @property
    def worker_dead(self) -> bool:
        return bool(getattr(getattr(self.call, "worker", None), "dead", None))

    def check(self, case, *, keep_first: bool = False) -> None:
        self.cases_run += 1
        self.call.last = None
        try:
            self.prop.check(self.call, case)
        except Mismatch as wrong:
            fatal = self.worker_dead
            origin = _origin(wrong, fatal)
            if not (keep_first and origin in self.failures):
                self.failures[origin] = Failure(case, str(wrong), fatal, self.call.last)
            raise

    def verdict(self, note: str = "") -> Verdict:
        first, *others = self.failures.values()
        lines = [first.describe()]
        if others:
            lines.append(
                f"({len(self.failures)} distinct failures; the first is shown above, the "
                f"other{'s' * (len(others) > 1)}:"
            )
            for other in others:
                shown = other.describe().splitlines()
                cut = " [...]" if len(shown) > SHOWN_OTHER_LINES else ""
                lines.append("  - " + "\n    ".join(shown[:SHOWN_OTHER_LINES]) + cut)
            lines[-1] += ")"
        if note:
            lines.append(note)
        return Verdict(False, "\n".join(lines), self.cases_run, len(self.failures), counterexample=first)


def run_case(prop: Property, call: Call, case: Any) -> Verdict:
    """Check ``prop`` on ``case`` alone, once (``--replay``): the same check, oracle and message as in the
    search."""
    recorder = _Recorder(prop, call)
    try:
        recorder.check(case)
    except Mismatch:
        return recorder.verdict()
    return Verdict(True, f"the case passed: {case}", recorder.cases_run)


def run_property(
    prop: Property, call: Call, profile: Profile, *, seed: int, max_examples: int | None = None
) -> Verdict:
    """Check ``prop`` against ``call``; the verdict's message shows the smallest failing case of the first
    distinct failure found, and how many distinct failures there were.

    Cost: every edge case, then up to ``max_examples`` drawn cases and the shrinking of each distinct
    failure, each one call of the learner's function; never much past ``prop.time_limit_s`` in all (the
    check of the case running then is not interrupted: the sandbox's call limit bounds it).
    """
    deadline = time.monotonic() + prop.time_limit_s
    recorder = _Recorder(prop, call)

    # Every edge case runs, not just those up to the first failure, so that a second kind of failure is
    # counted too; a worker that died ends them.
    for case in prop.edge_cases(profile):
        try:
            recorder.check(case, keep_first=True)
        except Mismatch:
            if recorder.worker_dead:
                break
        if time.monotonic() > deadline:
            break
    if recorder.failures:
        return recorder.verdict()
    if time.monotonic() > deadline:
        return Verdict(False, _over_time(prop, recorder.cases_run), recorder.cases_run)

    if max_examples is None:
        max_examples = prop.simulator_max_examples if profile.simulated else prop.max_examples
    stopped = ""  # why the search stopped early, if it did

    @hypothesis_seed(seed)
    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=True,
        print_blob=False,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
    )
    @given(prop.cases(profile))
    def property_holds(case):
        nonlocal stopped
        if time.monotonic() > deadline:
            stopped = "time"
            raise _StopSearch
        try:
            recorder.check(case)
        except Mismatch:
            if recorder.worker_dead:
                stopped = "worker"
                raise _StopSearch from None
            raise

    try:
        property_holds()
    except _StopSearch:
        pass
    except Exception as error:  # anything hypothesis reports: one failure, a group, Flaky, Unsatisfiable...
        if not recorder.failures:
            if isinstance(error, CANNOT_CHECK):
                return Verdict(
                    False,
                    f"hypothesis could not check the cases: {type(error).__name__}: "
                    f"{str(error).splitlines()[0] if str(error) else ''}",
                    recorder.cases_run,
                )
            raise  # the check broke without a Mismatch: a grader bug, reported by grading.py
        if _contains(error, Flaky):
            return recorder.verdict(
                "(a case that failed passed when run again on the same input: the "
                "answer depends on timing, as with a race between threads)"
            )
        return recorder.verdict()
    if recorder.failures:
        if stopped == "time":
            return recorder.verdict("(the search stopped before shrinking: over the time limit)")
        if stopped == "worker" and len(recorder.failures) > 1:
            return recorder.verdict("(the search stopped when the worker died: a smaller case may fail too)")
        return recorder.verdict()
    if stopped == "time":
        return Verdict(False, _over_time(prop, recorder.cases_run), recorder.cases_run)
    return Verdict(True, f"{recorder.cases_run} cases passed", recorder.cases_run)


def _contains(error: BaseException, kind: type) -> bool:
    if isinstance(error, kind):
        return True
    return isinstance(error, BaseExceptionGroup) and any(_contains(inner, kind) for inner in error.exceptions)


def _over_time(prop: Property, cases_run: int) -> str:
    return (
        f"the correctness checks took longer than {prop.time_limit_s:.0f} s in all "
        f"({cases_run} cases run): is the code far slower than it should be?"
    )

"""Runs a correctness :class:`~grader.spec.Property`: fixed edge cases, then hypothesis, then shrinking.

Hypothesis runs here, in the parent; each case it draws is sent to the sandboxed worker, whose answer the
check compares with the oracle. A failing case is shrunk to the smallest one that still fails, and that one
is reported. If the learner's code crashes or hangs, the worker is gone: the case that killed it is
reported as it was drawn (shrinking would need a fresh process per attempt).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from hypothesis import HealthCheck, Phase, given, seed as hypothesis_seed, settings

from grader.spec import Call, Mismatch, Profile, Property


@dataclass
class Verdict:
    passed: bool
    message: str
    cases_run: int


def run_property(prop: Property, call: Call, profile: Profile, *, seed: int,
                 max_examples: int | None = None) -> Verdict:
    """Check ``prop`` against ``call``; the verdict's message shows the smallest failing case."""
    deadline = time.monotonic() + prop.time_limit_s
    cases_run = 0

    for case in prop.edge_cases(profile):
        cases_run += 1
        try:
            prop.check(call, case)
        except Mismatch as wrong:
            return Verdict(False, str(wrong), cases_run)
        if time.monotonic() > deadline:
            return Verdict(False, _over_time(prop, cases_run), cases_run)

    if max_examples is None:
        max_examples = prop.simulator_max_examples if profile.simulated else prop.max_examples
    fatal: dict = {}  # the first case that killed the worker, and its message
    out_of_time = False

    @hypothesis_seed(seed)
    @settings(max_examples=max_examples, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False, print_blob=False,
              phases=[Phase.explicit, Phase.generate, Phase.shrink])
    @given(prop.cases(profile))
    def property_holds(case):
        nonlocal cases_run, out_of_time
        if fatal or time.monotonic() > deadline:
            out_of_time = out_of_time or not fatal
            if fatal:
                raise Mismatch(fatal["message"])
            return  # over time: stop trying new cases
        cases_run += 1
        try:
            prop.check(call, case)
        except Mismatch as wrong:
            if getattr(getattr(call, "worker", None), "dead", None) and not fatal:
                fatal.update(case=case, message=str(wrong))
            raise

    try:
        property_holds()
    except Mismatch as wrong:
        message = fatal["message"] if fatal else str(wrong)
        return Verdict(False, message, cases_run)
    if out_of_time:
        return Verdict(False, _over_time(prop, cases_run), cases_run)
    return Verdict(True, f"{cases_run} cases passed", cases_run)


def _over_time(prop: Property, cases_run: int) -> str:
    return (f"the correctness checks took longer than {prop.time_limit_s:.0f} s in all "
            f"({cases_run} cases run): is the code far slower than it should be?")

"""Every way a correctness search can end is one task's verdict, never the end of the run.

``run_property`` against fake calls whose failures hypothesis reports as an ``ExceptionGroup`` (a worker that
dies in the middle of the search, distinct failures), a ``Flaky`` result and an ``Unsatisfiable`` search; the
planted two-bug submission (tests/planted/two_bugs) graded end to end; and the last-resort guard: a fault of
the grader itself inside one task fails that task, and the results are still written.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import strategies as st

from grader import cli, grading
from grader.correctness import run_property
from grader.spec import Mismatch, Profile, Property

pytestmark = pytest.mark.grader

ROOT = Path(__file__).resolve().parent.parent
PLANTED = ROOT / "tests" / "planted"
CPU = Profile("cpu")
HANG = "did not finish within the time limit of 1 s (a hang, or far too slow)"


class _Worker:
    dead: str | None = None


class FakeCall:
    """Stands for SandboxCall over ``f(n)``: the learner's answer is ``answer(n)``; a case in ``hangs``
    kills the worker, as a time-out does, after which every call fails with the same reason."""

    variant = "threaded"

    def __init__(self, answer, hangs=lambda n: False, raises=lambda n: False):
        self.answer, self.hangs, self.raises = answer, hangs, raises
        self.worker = _Worker()

    def __call__(self, function, n):
        if self.worker.dead:
            raise Mismatch(f"{function}(...) {self.worker.dead}")
        if self.hangs(n):
            self.worker.dead = HANG
            raise Mismatch(f"{function}(...) {HANG}")
        if self.raises(n):
            raise Mismatch(f"{function}(...) raised IndexError: index {n} is out of bounds")
        return self.answer(n)


def check_identity(call, n):
    """The oracle: f(n) == n."""
    got = call("f", n)
    if got != n:
        raise Mismatch(f"input: {n}\nexpected {n}, got {got}")


def identity_property(cases=lambda profile: st.integers(0, 1000), **overrides) -> Property:
    return Property(variant="threaded", points=1, cases=cases, check=check_identity, **overrides)


@pytest.mark.parametrize("seed", range(4))
def test_a_worker_that_dies_mid_search_is_one_verdict(seed):
    """A hang on large n and a wrong value on odd n from 5: the search used to end in an ExceptionGroup (the
    dead worker's case failed differently when hypothesis replayed it)."""
    call = FakeCall(lambda n: n + 1 if n % 2 and n >= 5 else n, hangs=lambda n: n >= 50)
    verdict = run_property(identity_property(), call, CPU, seed=seed, max_examples=50)
    assert not verdict.passed
    assert 1 <= verdict.distinct_failures <= 2
    hang_shown = f"f(...) {HANG}" in verdict.message
    wrong_shown = "expected" in verdict.message and "got" in verdict.message
    assert hang_shown or wrong_shown, verdict.message
    if verdict.distinct_failures == 2:
        assert hang_shown and wrong_shown and "2 distinct failures" in verdict.message, verdict.message
    if hang_shown:  # reported as drawn, with its input (the worker is gone: no shrinking)
        assert "input: " in verdict.message.split(HANG)[0]


@pytest.mark.parametrize("seed", range(3))
def test_distinct_failures_are_counted_and_each_is_shrunk(seed):
    """Wrong on odd n from 5 (raised in the check), an exception on even n from 10 (raised by the call):
    two distinct failures, each shrunk to its smallest case."""
    call = FakeCall(lambda n: n + 1 if n % 2 and n >= 5 else n, raises=lambda n: n % 2 == 0 and n >= 10)
    verdict = run_property(identity_property(), call, CPU, seed=seed, max_examples=100)
    assert not verdict.passed and verdict.distinct_failures == 2, verdict
    assert "2 distinct failures" in verdict.message
    assert re.search(r"input: 5\n\s*call: f\(5\)\n\s*expected 5, got 6", verdict.message), verdict.message
    assert re.search(r"input: 10\n\s*call: f\(10\)\n\s*f\(\.\.\.\) raised IndexError: index 10 ", verdict.message), (
        verdict.message
    )


def test_a_failure_that_does_not_repeat_is_reported_as_timing_dependent():
    """Fails the first time each n from 5 is seen, then passes: hypothesis raises Flaky (an ExceptionGroup)."""
    seen = set()

    def answer(n):
        if n >= 5 and n not in seen:
            seen.add(n)
            return n + 1
        return n

    verdict = run_property(identity_property(), FakeCall(answer), CPU, seed=1, max_examples=50)
    assert not verdict.passed
    assert re.match(r"input: \d+\ncall: f\(\d+\)\nexpected \d+, got \d+\n", verdict.message), verdict.message
    assert "passed when run again on the same input" in verdict.message


def test_an_unsatisfiable_search_fails_with_the_reason():
    prop = identity_property(cases=lambda profile: st.integers(0, 10).filter(lambda n: False))
    verdict = run_property(prop, FakeCall(lambda n: n), CPU, seed=1, max_examples=10)
    assert not verdict.passed
    assert verdict.message.startswith("hypothesis could not check the cases: Unsatisfiable")


def test_a_search_over_its_time_limit_stops_and_says_so():
    prop = identity_property(time_limit_s=0.0)
    verdict = run_property(prop, FakeCall(lambda n: n), CPU, seed=1, max_examples=10)
    assert not verdict.passed and "took longer than 0 s in all" in verdict.message


def test_edge_cases_count_every_distinct_failure_until_the_worker_dies():
    prop = identity_property(edge_cases=lambda profile: [0, 1, 2, 3, 7, 8, 9])
    call = FakeCall(lambda n: n + 1 if n in (3, 7) else n, hangs=lambda n: n == 8)
    verdict = run_property(prop, call, CPU, seed=1, max_examples=10)
    assert not verdict.passed and verdict.distinct_failures == 2
    assert verdict.message.startswith("input: 3\ncall: f(3)\nexpected 3, got 4\n(2 distinct failures")
    assert f"input: 8\n    call: f(8)\n    f(...) {HANG}" in verdict.message
    assert verdict.cases_run == 6  # 9 never ran: the worker was gone


def test_a_check_that_breaks_is_raised_for_the_grader_to_report():
    def broken_check(call, n):
        raise TypeError("planted bug in a check")

    prop = Property(variant="threaded", points=1, cases=lambda profile: st.integers(0, 10), check=broken_check)
    with pytest.raises(TypeError, match="planted bug in a check"):
        run_property(prop, FakeCall(lambda n: n), CPU, seed=1, max_examples=5)


# -- end to end --------------------------------------------------------------------------------------------
CALL_LIMIT_S = 2  # PARLAB_CALL_TIME_LIMIT: what the planted hang costs
# With these seeds the search meets the hang first (the grader used to end in an ExceptionGroup there), and
# the wrong value first (then the hang too: two distinct failures).
TWO_BUG_SEEDS = (1, 7)


def _grade_two_bugs(seed: int, root: Path) -> tuple[subprocess.CompletedProcess, dict]:
    submission = root / str(seed) / "submission"
    (submission / "saxpy").mkdir(parents=True)
    shutil.copy(PLANTED / "two_bugs" / "saxpy" / "threaded.py", submission / "saxpy" / "threaded.py")
    shutil.copy(PLANTED / "good" / "saxpy" / "simd.py", submission / "saxpy" / "simd.py")
    results = root / str(seed) / "results.json"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "grader",
            "saxpy",
            "--variant",
            "threaded,simd",
            "--quick",
            "--submission",
            str(submission),
            "--seed",
            str(seed),
            "--json",
            str(results),
        ],
        cwd=ROOT,
        env={**os.environ, "PARLAB_CALL_TIME_LIMIT": str(CALL_LIMIT_S)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return run, json.loads(results.read_text()) if results.exists() else {}


def test_the_two_bug_submission_fails_its_task_and_the_run_goes_on(tmp_path):
    with ThreadPoolExecutor(max_workers=len(TWO_BUG_SEEDS)) as pool:
        graded = list(pool.map(lambda seed: _grade_two_bugs(seed, tmp_path), TWO_BUG_SEEDS))
    shown = []
    for run, results in graded:
        assert run.returncode == 1, run.stderr[-2000:]
        assert "Traceback" not in run.stdout + run.stderr
        tests = {test["name"]: test for test in results["tests"]}
        planted = tests["saxpy · threaded · correctness"]
        assert planted["status"] == "failed" and planted["score"] == 0
        output = planted["output"]
        hang = f"did not finish within the time limit of {CALL_LIMIT_S} s" in output
        wrong = "elements differ" in output  # a*x - y against the oracle's a*x + y
        assert hang or wrong, output
        if "distinct failures" in output:
            assert hang and wrong, output
        shown.append((hang, wrong))
        simd = tests["saxpy · simd · correctness"]
        assert simd["status"] == "passed" and simd["score"] == 6
        assert results["score"] == 6 and sum(test.get("max_score", 0) for test in results["tests"]) == 12
    assert any(both for both in map(all, shown)), f"no run reported both bugs: {shown}"


def test_a_grader_fault_in_one_task_fails_that_task_and_the_results_are_written(tmp_path, monkeypatch, capsys):
    honest = grading.run_property

    def faulty(prop, call, profile, **kwargs):
        if prop.variant == "threaded":
            raise RuntimeError("planted grader fault")
        return honest(prop, call, profile, **kwargs)

    monkeypatch.setattr(grading, "run_property", faulty)
    results, junit = tmp_path / "results.json", tmp_path / "junit.xml"
    status = cli.main(
        [
            "saxpy",
            "--solutions",
            "--variant",
            "threaded,simd",
            "--quick",
            "--examples",
            "3",
            "--seed",
            "1",
            "--json",
            str(results),
            "--junitxml",
            str(junit),
        ]
    )
    captured = capsys.readouterr()
    assert status == cli.EXIT_FAILED, captured.err[-2000:]
    tests = {test["name"]: test for test in json.loads(results.read_text())["tests"]}
    faulted = tests["saxpy · threaded · correctness"]
    assert faulted["status"] == "failed" and faulted["score"] == 0
    assert faulted["output"].startswith("internal error in the grader (RuntimeError: planted grader fault)")
    assert "Traceback (most recent call last)" in faulted["output"] and "in faulty" in faulted["output"]
    assert tests["saxpy · simd · correctness"]["status"] == "passed"
    failures = {
        (case.get("classname"), case.get("name")): case.find("failure").get("message")
        for case in ElementTree.parse(junit).iter("testcase")
        if case.find("failure") is not None
    }
    assert list(failures) == [("saxpy.threaded", "correctness")], failures
    assert failures["saxpy.threaded", "correctness"].startswith("internal error in the grader")

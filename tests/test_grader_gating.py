"""Which tasks wait on which: a speed task is gated on the correctness of the functions it times, and code that
hung is not run again by the later tasks of its variant.

Both are graded through :class:`grader.grading.Grader` on small versions of the real tasks (scan's and SAXPY's
checks, baselines and input makers, with tiny benchmark inputs), so each test takes seconds.
"""

from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path

import pytest

from grader import grading
from grader.results import Status
from grader.spec import Assignment, Inspection
from grader.suites.saxpy import tasks as saxpy_tasks
from grader.suites.scan import tasks as scan_tasks

pytestmark = pytest.mark.grader

ROOT = Path(__file__).resolve().parent.parent
HALF_SCAN = """
import numpy as np


def exclusive_scan(a, num_threads=None):
    out = np.zeros(a.size, dtype=np.int32)
    np.cumsum(a[:-1], dtype=np.int32, out=out[1:])
    return out


def find_repeats(a, num_threads=None):
    raise NotImplementedError("TODO: find_repeats")
"""


def _grade(assignment: Assignment, submission: Path, **options) -> dict[str, grading.TaskResult]:
    results = grading.Grader(
        assignment, grading.Options(submission=submission, solutions=None, seed=1, max_examples=5, **options)
    ).run()
    return {result.task: result for result in results}


def test_a_speed_task_waits_only_on_the_correctness_of_the_function_it_times(tmp_path):
    """exclusive_scan is correct and find_repeats is not written: exclusive_scan's speed is timed, find_repeats'
    speed is not, and says which correctness task it waits on."""
    (tmp_path / "scan").mkdir()
    (tmp_path / "scan" / "threaded.py").write_text(HALF_SCAN)
    small = [
        task
        if not hasattr(task, "params")
        else dataclasses.replace(task, params={"n": 4096}, rounds=2, bytes_moved=None)
        for task in scan_tasks.variant_tasks("threaded")
    ]
    assignment = dataclasses.replace(scan_tasks.ASSIGNMENT, tasks=tuple(small))
    results = _grade(assignment, tmp_path)
    assert results["exclusive_scan correctness"].status is Status.PASSED, results["exclusive_scan correctness"]
    assert results["find_repeats correctness"].status is Status.FAILED
    scan_speed, repeats_speed = results["exclusive_scan speed"], results["find_repeats speed"]
    assert scan_speed.timings is not None, scan_speed.message
    assert "not timed" not in scan_speed.message
    assert repeats_speed.timings is None
    assert repeats_speed.message.startswith(
        "not timed until correct: find_repeats correctness: find_repeats(...) not implemented: TODO in "
    )


def test_code_that_hung_in_correctness_is_not_run_again_by_the_variants_later_tasks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The planted hang: its correctness task is killed at the call limit; the inspection and the speed task
    of the same variant start no worker of the learner's code (each would wait out another limit)."""
    started: list[str] = []

    class CountingWorker(grading.Worker):
        def start(self) -> None:
            if self.learner:
                started.append(self.source.variant)
            super().start()

    monkeypatch.setattr(grading, "Worker", CountingWorker)
    threaded = saxpy_tasks.correctness("threaded")
    inspection = dataclasses.replace(
        next(t for t in saxpy_tasks.ASSIGNMENT.tasks if t.name == "vector instructions"), variant="threaded"
    )
    speed = dataclasses.replace(saxpy_tasks.speed("threaded"), params={"n": 4096}, rounds=2, bytes_moved=None)
    assignment = dataclasses.replace(
        saxpy_tasks.ASSIGNMENT, tasks=(dataclasses.replace(threaded, call_time_limit_s=2.0), inspection, speed)
    )
    results = _grade(assignment, ROOT / "tests" / "planted" / "hang")
    assert "did not finish within the time limit of 2 s" in results["correctness"].message
    assert started == ["threaded"]  # the correctness task's worker only
    assert results["vector instructions"].message.startswith("not inspected: the code hung in correctness")
    assert results["vector instructions"].status is Status.INFO
    assert results["speed"].message.startswith("not timed until correct: correctness: saxpy(...) did not finish")


DIES_ON_REQUEST = """
import os


def saxpy(die):
    if die:
        os._exit(3)
"""


def test_inspections_of_one_worker_group_share_a_worker_until_one_ends_it(tmp_path):
    """Consecutive inspections of one group run in one worker; one that ends the worker fails alone, with why,
    and the next starts a fresh worker; an inspection of no group has a worker of its own."""
    (tmp_path / "saxpy").mkdir()
    (tmp_path / "saxpy" / "threaded.py").write_text(DIES_ON_REQUEST)
    # The worker finds a hook by its module's name from the checkout's root: tests.support, not the `support`
    # these tests import (tests/ on the path).
    which_process = importlib.import_module("tests.support").which_process

    def inspection(name, group, die=False):
        return Inspection(
            variant="threaded",
            name=name,
            inspect=which_process,
            warm_up=lambda profile: [("saxpy", (die,))],
            points=1,
            worker_group=group,
        )

    tasks = (
        inspection("first", "g"),
        inspection("second", "g"),
        inspection("dies", "g", die=True),
        inspection("after", "g"),
        inspection("alone", None),
    )
    assignment = dataclasses.replace(
        saxpy_tasks.ASSIGNMENT, variants=("threaded",), functions={"threaded": ("saxpy",)}, tasks=tasks
    )
    results = _grade(assignment, tmp_path)
    assert results["dies"].status is Status.FAILED and "exited with status 3" in results["dies"].message
    assert all(results[name].status is Status.PASSED for name in ("first", "second", "after", "alone")), results
    processes = {name: results[name].message for name in ("first", "second", "after", "alone")}
    assert processes["first"] == processes["second"], processes
    assert len({processes["first"], processes["after"], processes["alone"]}) == 3, processes

"""Gradescope's ``results.json``, as its Autograder Specifications define it (tests/schemas/ holds the schema
the tests check it against).

How the grader's verdicts map onto it:

* a graded task (passed, partial, failed) is a test with its ``score`` and ``max_score``; status "passed" when
  it earned every point, else "failed" (the format knows no other word: partial credit shows as a failed
  test with its points);
* an informative task (0 points) is a test without score fields, "passed" when it found what it looks for
  (or ran at full speed), else "failed"; it changes no total;
* a task that cannot run here (no GPU, no MPI, ``--quick``) is left out of ``tests`` and named, with why, in
  the top-level ``output``: Gradescope adds up the tests' ``max_score``, so its total is then the points this
  machine can grade, which is what ``python -m grader bundle`` tells the instructor to set;
* ``number`` is "<assignment number>.<task position>", ``tags`` are the assignment, the variant and the kind of
  task; a timed speed task carries its timings in ``extra_data`` and a ``leaderboard`` entry: GB/s (higher
  ranks higher) for a memory-bound task, else its time relative to the reference (lower ranks higher).

``visibility`` and ``stdout_visibility`` come from a :class:`Publishing`: the defaults show everything but
stdout (Gradescope's own default for stdout); ``python -m grader bundle --visibility ...`` chooses others.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from grader import registry
from grader.reports import write_atomically
from grader.reports.terminal import details, total
from grader.results import Status, TaskResult, Word
from grader.spec import Benchmark, Inspection, Task


class Visibility(Word):
    """When Gradescope shows a test (or stdout) to the student ("Controlling Test Case Visibility")."""

    VISIBLE = "visible"
    AFTER_DUE_DATE = "after_due_date"  # after the (late) due date
    AFTER_PUBLISHED = "after_published"  # once the instructor publishes the grades
    HIDDEN = "hidden"  # never; for tests worth no points (a hidden test hides the total)


class Kind(Word):
    """What a task checks, as a tag: the three kinds of grader/spec.py."""

    CORRECTNESS = "correctness"
    SPEED = "speed"
    INSPECTION = "inspection"


@dataclass(frozen=True)
class Publishing:
    """What students see and when: every test's visibility (the top-level default), an override for the
    speed tests (noisy on shared machines: an instructor may hold them back until grades are published),
    and the visibility of run_autograder's stdout (the grader's log)."""

    visibility: Visibility = Visibility.VISIBLE
    speed_visibility: Visibility | None = None  # None: as ``visibility``
    stdout_visibility: Visibility = Visibility.HIDDEN


def _declared(result: TaskResult) -> tuple[int, int | None, Task | None]:
    """(assignment number, the task's position in its assignment, the task) as the assignment declares it;
    0 and None where it declares no such task (a result made up by a test)."""
    assignment = registry.assignments().get(result.assignment)
    if assignment is None:
        return 0, None, None
    for position, task in enumerate(assignment.tasks, 1):
        if task.variant == result.variant and task.name == result.task:
            return assignment.number, position, task
    return assignment.number, None, None


def _kind(result: TaskResult, task: Task | None) -> Kind:
    if isinstance(task, Benchmark) or result.timings is not None:
        return Kind.SPEED
    return Kind.INSPECTION if isinstance(task, Inspection) else Kind.CORRECTNESS


def _test(result: TaskResult, index: int) -> dict:
    number, position, task = _declared(result)
    test: dict[str, Any] = {"name": result.name, "number": f"{number}.{position or index}"}
    if result.status is Status.INFO:
        test["status"] = "passed" if result.info_verdict is Status.PASSED else "failed"
    else:
        test.update(
            score=result.points,
            max_score=result.max_points,
            status="passed" if result.status is Status.PASSED else "failed",
        )
    test["output"] = "\n".join(filter(None, details(result)))
    test["tags"] = [result.assignment, result.variant, str(_kind(result, task))]
    if result.timings is not None:
        test["extra_data"] = {"timings": dataclasses.asdict(result.timings)}
    return test


def _leaderboard(results: list[TaskResult]) -> list[dict]:
    entries = []
    for result in results:
        timings = result.timings
        if timings is None:
            continue
        label = f"{result.assignment} {result.variant} {result.task}"
        if timings.learner_gbps is not None:
            entries.append({"name": f"{label}: GB/s", "value": round(timings.learner_gbps, 2), "order": "desc"})
        else:
            entries.append(
                {"name": f"{label}: time / reference", "value": round(timings.ratio_to_reference, 3), "order": "asc"}
            )
    return entries


def results_json(results: list[TaskResult], seed: int, publishing: Publishing = Publishing()) -> dict:
    score, _ = total(results)
    shown = [result for result in results if result.status is not Status.SKIPPED]
    left_out = [result for result in results if result.status is Status.SKIPPED]
    output = [f"parlab grader, seed {seed} (rerun with --seed {seed} to reproduce)."]
    if left_out:
        output.append("Not graded on this machine, and not counted in the total:")
        output += [f"- {result.name}: {result.message}" for result in left_out]
    document = {
        "score": score,
        "execution_time": round(sum(result.seconds for result in results)),
        "output": "\n".join(output),
        "extra_data": {"seed": seed, "not_graded": {result.name: result.message for result in left_out}},
        "tests": [_test(result, index) for index, result in enumerate(shown, 1)],
    }
    leaderboard = _leaderboard(results)
    if leaderboard:
        document["leaderboard"] = leaderboard
    return publish(document, publishing)


def publish(document: dict, publishing: Publishing) -> dict:
    """``document`` with the visibility fields ``publishing`` chooses (each test's from its kind tag); the
    Gradescope bundle's run_autograder applies its own choice this way to the grader's results.json."""
    document["visibility"] = str(publishing.visibility)
    document["stdout_visibility"] = str(publishing.stdout_visibility)
    for test in document.get("tests", []):
        speed = str(Kind.SPEED) in test.get("tags", ())
        test["visibility"] = str(
            publishing.speed_visibility if speed and publishing.speed_visibility else publishing.visibility
        )
    return document


def write(path: str, results: list[TaskResult], seed: int) -> None:
    write_atomically(path, json.dumps(results_json(results, seed), indent=2))

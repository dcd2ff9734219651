"""JUnit XML, for CI systems that show test results: one testsuite per assignment, one testcase per task,
valid against junit-10.xsd (the schema pytest checks its own reports against; tests/schemas/ holds it).

How the grader's verdicts map onto it, so that a CI tool counts what the grader counts:

* passed: a plain testcase;
* partial or failed (points lost: the run exits 1): ``<failure>``, typed "partial" or "failed";
* skipped (cannot run here): ``<skipped type="not run here">`` with the reason;
* informative (0 points, never fails the run): a plain testcase when it found what it looks for, else
  ``<skipped type="not graded">`` with what it found, so that "could not inspect" never reads as passed.

Every testcase's ``system-out`` holds its points, timings and message. ``errors`` is always 0: a task the grader
itself broke on is a failed task (DESIGN.md), and junit-10.xsd has no ``<error>`` element for a testcase.
The standard library's ElementTree writes it: a JUnit writer package would add a dependency to write the same
handful of elements, and the schema test is what keeps the output right.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from itertools import groupby

from grader.reports import write_atomically
from grader.reports.terminal import details
from grader.results import Status, TaskResult


def _skip_type(result: TaskResult) -> str | None:
    """The ``<skipped>`` type of a task a CI tool must not count as passed, or None."""
    if result.status is Status.SKIPPED:
        return "not run here"
    if result.status is Status.INFO and result.info_verdict is not Status.PASSED:
        return "not graded"
    return None


def _seconds(results: list[TaskResult]) -> str:
    return f"{sum(result.seconds for result in results):.3f}"


def junit_xml(results: list[TaskResult]) -> ET.ElementTree[ET.Element]:
    root = ET.Element(
        "testsuites",
        name="parlab",
        tests=str(len(results)),
        failures=str(sum(result.status.lost_points for result in results)),
        errors="0",
        time=_seconds(results),
    )
    for assignment, grouped in groupby(results, key=lambda result: result.assignment):
        group = list(grouped)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=assignment,
            tests=str(len(group)),
            failures=str(sum(result.status.lost_points for result in group)),
            errors="0",
            skipped=str(sum(_skip_type(result) is not None for result in group)),
            time=_seconds(group),
        )
        for result in group:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"{assignment}.{result.variant}",
                name=result.task,
                time=f"{result.seconds:.3f}",
            )
            text = "\n".join(filter(None, details(result)))
            first_line = result.message.splitlines()[0] if result.message else str(result.status)
            if result.status.lost_points:
                ET.SubElement(case, "failure", type=str(result.status), message=first_line).text = text
            elif (skip := _skip_type(result)) is not None:
                ET.SubElement(case, "skipped", type=skip, message=first_line)
            ET.SubElement(case, "system-out").text = f"{result.points:g}/{result.max_points:g} points\n{text}"
    return ET.ElementTree(root)


def write(path: str, results: list[TaskResult]) -> None:
    root = junit_xml(results).getroot()
    ET.indent(root)
    write_atomically(path, '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode"))

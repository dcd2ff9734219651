"""JUnit XML, for CI systems that show test results: one testsuite per assignment, one testcase per task."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from itertools import groupby

from grader.results import Status, TaskResult
from grader.reports import write_atomically
from grader.reports.terminal import timing_line


def junit_xml(results: list[TaskResult]) -> ET.ElementTree:
    root = ET.Element("testsuites", name="parlab")
    for assignment, group in groupby(results, key=lambda r: r.assignment):
        group = list(group)
        suite = ET.SubElement(root, "testsuite", name=assignment, tests=str(len(group)),
                              failures=str(sum(r.status.lost_points for r in group)),
                              skipped=str(sum(r.status is Status.SKIPPED for r in group)),
                              time=f"{sum(r.seconds for r in group):.3f}")
        for result in group:
            case = ET.SubElement(suite, "testcase", classname=f"{assignment}.{result.variant}",
                                 name=result.task, time=f"{result.seconds:.3f}")
            text = "\n".join(filter(None, [timing_line(result.timings), result.message]))
            if result.status.lost_points:
                ET.SubElement(case, "failure", message=result.message.splitlines()[0] if result.message
                              else "failed").text = text
            elif result.status is Status.SKIPPED:
                ET.SubElement(case, "skipped", message=result.message)
            ET.SubElement(case, "system-out").text = f"{result.points:g}/{result.max_points:g} points\n{text}"
    return ET.ElementTree(root)


def write(path: str, results: list[TaskResult]) -> None:
    tree = junit_xml(results)
    ET.indent(tree)
    write_atomically(path, '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(tree.getroot(), encoding="unicode"))

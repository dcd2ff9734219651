"""Gradescope's ``results.json``: score, max_score and one entry per task (name, score, max_score, status,
output). A task that cannot run here is listed with status "skipped" and max_score 0, so it neither counts
against the learner nor passes as done."""

from __future__ import annotations

import json

from grader.results import Status, TaskResult
from grader.reports import write_atomically
from grader.reports.terminal import timing_line, total


def results_json(results: list[TaskResult], seed: int) -> dict:
    score, max_score = total(results)
    tests = []
    for result in results:
        output = "\n".join(filter(None, [timing_line(result.timings), result.message]))
        tests.append({
            "name": result.name,
            "score": result.points if result.status.graded else 0.0,
            "max_score": result.max_points if result.status.graded else 0.0,
            "status": Status.FAILED if result.status is Status.PARTIAL else result.status,
            "output": output,
        })
    return {"score": score, "max_score": max_score, "output": f"parlab grader, seed {seed}",
            "visibility": "visible", "tests": tests}


def write(path: str, results: list[TaskResult], seed: int) -> None:
    write_atomically(path, json.dumps(results_json(results, seed), indent=2))

"""Task verdicts and timings as the reports show them: a speed task that earned part of its points is
"partial" to the learner, counts its points in the score, and makes the run exit 1 (exit 0 only when every
graded point is earned); results.json, whose schema knows only passed and failed, calls it failed."""

import pytest

from grader.reports import gradescope, junit, terminal
from grader.results import Status, TaskResult, Throughput, Timings, all_points_earned

pytestmark = pytest.mark.grader


def _result(task: str, points: float, max_points: float, status: Status, timings: Timings | None = None):
    return TaskResult("saxpy", "threaded", task, points, max_points, status, f"{task} message", 1.0, timings)


TIMED = Timings(
    serial_s=0.080,
    reference_s=0.040,
    learner_s=0.100,
    reference_measured=True,
    ratio_to_reference=2.5,
    learner_gbps=1.2,
    reference_gbps=3.0,
    throughput=Throughput("pixel-iterations", 4.0e9),
)
RESULTS = [
    _result("correctness", 6, 6, Status.PASSED),
    _result("speed", 2, 4, Status.PARTIAL, TIMED),
    _result("cuda speed", 0, 0, Status.SKIPPED),
    _result("vector instructions", 0, 0, Status.INFO),
]


@pytest.mark.parametrize(
    "points, max_points, status",
    [(4, 4, Status.PASSED), (3, 4, Status.PARTIAL), (0.01, 4, Status.PARTIAL), (0, 4, Status.FAILED)],
)
def test_status_for_points_earned(points, max_points, status):
    assert Status.for_points(points, max_points) is status


def test_status_compares_and_formats_as_its_word():
    assert Status.PARTIAL == "partial" and f"{Status.SKIPPED}" == "skipped" and str(Status.INFO) == "info"
    assert TaskResult("a", "v", "t", 0, 1, "failed", "").status is Status.FAILED


def test_partial_credit_fails_the_run_but_skipped_and_info_do_not():
    assert not all_points_earned(RESULTS)
    assert all_points_earned([r for r in RESULTS if r.status is not Status.PARTIAL])


def test_terminal_labels_partial_credit_and_counts_its_points():
    shown = terminal.render("Assignment 2", RESULTS, seed=7)
    speed = next(line for line in shown.splitlines() if " speed " in line and "cuda" not in line)
    assert speed.startswith("PART") and speed.endswith("2/4")
    assert "score 8/10" in shown  # skipped and info tasks count neither way


def test_timing_line_shows_each_side_the_bandwidth_and_the_throughput():
    line = terminal.timing_line(TIMED)
    assert "serial 80.00 ms" in line and "reference 40.00 ms" in line and "yours 100.00 ms" in line
    assert "speedup 0.80x" in line  # 80 ms serial / 100 ms learner
    assert "1.2 GB/s (reference 3.0)" in line and "4.00 Gpixel-iterations/s" in line
    fallback = Timings(
        serial_s=0.08, reference_s=0.04, learner_s=0.04, reference_measured=False, ratio_to_reference=1.0
    )
    assert "target 40.00 ms" in terminal.timing_line(fallback) and "GB/s" not in terminal.timing_line(fallback)


def test_gradescope_calls_partial_failed_and_keeps_its_points():
    tests = {t["name"]: t for t in gradescope.results_json(RESULTS, seed=7)["tests"]}
    speed = tests["saxpy · threaded · speed"]
    assert (speed["status"], speed["score"], speed["max_score"]) == ("failed", 2, 4)
    assert "yours 100.00 ms" in speed["output"]


def test_junit_counts_partial_credit_as_a_failure():
    suite = junit.junit_xml(RESULTS).getroot().find("testsuite")
    # skipped: the task that cannot run here and the informative one with no finding (no info_verdict)
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("4", "1", "2")
    failed = [case.get("name") for case in suite.iter("testcase") if case.find("failure") is not None]
    assert failed == ["speed"]

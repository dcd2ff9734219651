"""results.json and report.xml as their consumers read them: valid against Gradescope's results schema and
junit-10.xsd (tests/schemas/), with totals that add up the way Gradescope and CI tools add them.

The results are made up here, one of every kind the grader produces, so no grading runs; the instructor
workflow tests validate real runs' files with the same two validators (:func:`validate_results_json`,
:func:`validate_junit_xml`)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from grader.reports import gradescope, junit
from grader.results import Status, TaskResult, Throughput, Timings

pytestmark = pytest.mark.grader

SCHEMAS = Path(__file__).resolve().parent / "schemas"
GRADESCOPE_SCHEMA = SCHEMAS / "gradescope-results.schema.json"
JUNIT_XSD = SCHEMAS / "junit-10.xsd"


def validate_results_json(document: dict) -> None:
    """Raises unless ``document`` is a results.json that Gradescope's specification allows."""
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(GRADESCOPE_SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(document)


def validate_junit_xml(path: Path) -> None:
    """Raises unless the file at ``path`` is valid against junit-10.xsd."""
    xmlschema = pytest.importorskip("xmlschema")
    xmlschema.XMLSchema(str(JUNIT_XSD)).validate(str(path))


TIMED_MEMORY = Timings(
    serial_s=0.08,
    reference_s=0.04,
    learner_s=0.05,
    reference_measured=True,
    ratio_to_reference=1.25,
    learner_gbps=9.6,
    reference_gbps=12.0,
)
TIMED_COMPUTE = Timings(
    serial_s=2.0,
    reference_s=0.5,
    learner_s=0.4,
    reference_measured=False,
    ratio_to_reference=0.8,
    throughput=Throughput("pixel-iterations", 1.2e9),
)


def _result(variant, task, points, max_points, status, message, timings=None, info_verdict=None):
    return TaskResult(
        "saxpy", variant, task, points, max_points, status, message, 1.4, timings, info_verdict=info_verdict
    )


# One of each: the names are saxpy's own, so numbers and kinds come from its declaration.
RESULTS = [
    _result("threaded", "correctness", 6, 6, Status.PASSED, "40 cases passed"),
    _result("threaded", "speed", 2.5, 4, Status.PARTIAL, "1.25x the time of the reference", TIMED_MEMORY),
    _result("simd", "correctness", 0, 6, Status.FAILED, "not implemented: TODO in assignments/saxpy/simd.py:12"),
    _result(
        "simd",
        "vector instructions",
        0,
        0,
        Status.INFO,
        "could not inspect: the worker crashed",
        info_verdict=Status.FAILED,
    ),
    _result("simd", "speed", 4, 4, Status.PASSED, "0.80x the time of the fallback target", TIMED_COMPUTE),
    _result("cuda", "correctness", 6, 6, Status.PASSED, "8 cases passed on numba's CUDA simulator"),
    _result("cuda", "speed (kernel only)", 0, 0, Status.SKIPPED, "no CUDA GPU"),
    _result("cuda", "end-to-end, with transfers", 0, 0, Status.SKIPPED, "no CUDA GPU"),
]
GRADED_MAX = 6 + 4 + 6 + 4 + 6  # what this machine could grade: the two CUDA speed tasks could not run
EARNED = 6 + 2.5 + 0 + 4 + 6


@pytest.fixture
def document() -> dict:
    return gradescope.results_json(RESULTS, seed=11)


def _tests(document: dict) -> dict[str, dict]:
    return {test["name"]: test for test in document["tests"]}


# -- results.json -------------------------------------------------------------------------------------------
def test_results_json_is_valid_against_gradescopes_schema(document):
    validate_results_json(document)


@pytest.mark.parametrize(
    "mistake",
    [
        {"max_score": 30},  # a key Gradescope does not read
        {"tests": [{"name": "t", "score": 1, "status": "skipped"}]},
        {"tests": [{"name": "t", "score": 1, "status": "info"}]},
        {"visibility": "after_due"},
        {"leaderboard": [{"name": "speed", "value": 1.0, "order": "ascending"}]},
    ],
)
def test_the_schema_refuses_what_gradescope_does_not_accept(document, mistake):
    jsonschema = pytest.importorskip("jsonschema")
    with pytest.raises(jsonschema.ValidationError):
        validate_results_json({**document, **mistake})


def test_tasks_that_could_not_run_are_left_out_and_named_so_the_totals_are_what_was_graded(document):
    tests = _tests(document)
    assert "saxpy · cuda · speed (kernel only)" not in tests
    assert "- saxpy · cuda · speed (kernel only): no CUDA GPU" in document["output"]
    assert "- saxpy · cuda · end-to-end, with transfers: no CUDA GPU" in document["output"]
    assert sum(test.get("max_score", 0) for test in tests.values()) == GRADED_MAX  # Gradescope's total
    assert document["score"] == sum(test.get("score", 0) for test in tests.values()) == EARNED


def test_status_is_passed_only_for_every_point_earned(document):
    statuses = {name: test["status"] for name, test in _tests(document).items()}
    assert statuses == {
        "saxpy · threaded · correctness": "passed",
        "saxpy · threaded · speed": "failed",  # partial
        "saxpy · simd · correctness": "failed",
        "saxpy · simd · vector instructions": "failed",
        "saxpy · simd · speed": "passed",
        "saxpy · cuda · correctness": "passed",
    }
    partial = _tests(document)["saxpy · threaded · speed"]
    assert (partial["score"], partial["max_score"]) == (2.5, 4)


def test_an_informative_task_has_no_score_and_passes_only_when_it_found_what_it_looks_for():
    found = _result(
        "simd", "vector instructions", 0, 0, Status.INFO, "packed instructions: vfmadd231ps", info_verdict=Status.PASSED
    )
    for result, status in ((found, "passed"), (RESULTS[3], "failed")):
        (test,) = gradescope.results_json([result], seed=1)["tests"]
        assert test["status"] == status and "score" not in test and "max_score" not in test


def test_numbers_follow_the_declared_order_and_tags_name_assignment_variant_and_kind(document):
    from grader import registry

    declared = [(task.variant, task.name) for task in registry.load("saxpy").tasks]
    for test in document["tests"]:
        _, variant, task = test["name"].split(" · ")
        assert test["number"] == f"{registry.load('saxpy').number}.{declared.index((variant, task)) + 1}"
    tags = {name: test["tags"] for name, test in _tests(document).items()}
    assert tags["saxpy · threaded · speed"] == ["saxpy", "threaded", "speed"]
    assert tags["saxpy · simd · vector instructions"] == ["saxpy", "simd", "inspection"]
    assert tags["saxpy · cuda · correctness"] == ["saxpy", "cuda", "correctness"]


def test_timed_tasks_carry_their_timings_and_a_leaderboard_entry_in_its_order(document):
    speed = _tests(document)["saxpy · threaded · speed"]
    assert speed["extra_data"]["timings"]["learner_s"] == TIMED_MEMORY.learner_s
    assert speed["extra_data"]["timings"]["ratio_to_reference"] == TIMED_MEMORY.ratio_to_reference
    assert "extra_data" not in _tests(document)["saxpy · threaded · correctness"]
    board = {entry["name"]: entry for entry in document["leaderboard"]}
    assert board["saxpy threaded speed: GB/s"] == {
        "name": "saxpy threaded speed: GB/s",
        "value": 9.6,
        "order": "desc",
    }  # memory-bound: bandwidth, higher wins
    assert board["saxpy simd speed: time / reference"] == {
        "name": "saxpy simd speed: time / reference",
        "value": 0.8,
        "order": "asc",
    }  # lower wins
    assert len(board) == 2  # untimed tasks have no entry
    assert document["execution_time"] == round(1.4 * len(RESULTS))
    assert document["extra_data"]["seed"] == 11


def test_visibility_defaults_to_visible_tests_and_hidden_stdout(document):
    assert (document["visibility"], document["stdout_visibility"]) == ("visible", "hidden")
    assert {test["visibility"] for test in document["tests"]} == {"visible"}


def test_publishing_sets_every_tests_visibility_and_holds_speed_back_when_asked(document):
    choice = gradescope.Publishing(
        visibility=gradescope.Visibility.AFTER_DUE_DATE,
        speed_visibility=gradescope.Visibility.AFTER_PUBLISHED,
        stdout_visibility=gradescope.Visibility.VISIBLE,
    )
    published = gradescope.publish(json.loads(json.dumps(document)), choice)
    validate_results_json(published)
    assert (published["visibility"], published["stdout_visibility"]) == ("after_due_date", "visible")
    for test in published["tests"]:
        expected = "after_published" if "speed" in test["tags"] else "after_due_date"
        assert test["visibility"] == expected, test["name"]


# -- report.xml ---------------------------------------------------------------------------------------------
@pytest.fixture
def report_xml(tmp_path) -> Path:
    path = tmp_path / "report.xml"
    junit.write(str(path), RESULTS)
    return path


def test_report_xml_is_valid_against_junit_10_xsd(report_xml):
    validate_junit_xml(report_xml)


def test_junit_counts_what_the_grader_counts(report_xml):
    import xml.etree.ElementTree as ET

    root = ET.parse(report_xml).getroot()
    suite = root.find("testsuite")
    counts = {key: suite.get(key) for key in ("tests", "failures", "errors", "skipped")}
    assert counts == {"tests": "8", "failures": "2", "errors": "0", "skipped": "3"}
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("8", "2", "0")
    cases = {
        case.get("name") if case.get("classname") != "saxpy.simd" else f"simd {case.get('name')}": case
        for case in suite.iter("testcase")
    }
    assert cases["speed"].find("failure").get("type") == "partial"
    assert cases["simd correctness"].find("failure").get("type") == "failed"
    inspection = cases["simd vector instructions"]
    assert inspection.find("failure") is None  # 0 points: never fails the run ...
    assert inspection.find("skipped").get("type") == "not graded"  # ... and "could not inspect" is not a pass
    assert "could not inspect" in inspection.find("skipped").get("message")
    assert cases["speed (kernel only)"].find("skipped").get("message") == "no CUDA GPU"
    assert "2.5/4 points" in cases["speed"].find("system-out").text


def test_an_informative_task_that_found_what_it_looks_for_is_a_plain_testcase():
    found = _result(
        "simd", "vector instructions", 0, 0, Status.INFO, "packed instructions: vfmadd231ps", info_verdict=Status.PASSED
    )
    case = junit.junit_xml([found]).getroot().find("testsuite/testcase")
    assert case.find("skipped") is None and case.find("failure") is None
    assert "vfmadd231ps" in case.find("system-out").text


# -- the files ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_reports_are_written_with_the_mode_the_umask_gives(tmp_path, umask, mode):
    previous = os.umask(umask)
    try:
        gradescope.write(str(tmp_path / "results.json"), RESULTS, seed=1)
        junit.write(str(tmp_path / "report.xml"), RESULTS)
    finally:
        os.umask(previous)
    for name in ("results.json", "report.xml"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == mode, name
    assert os.umask(previous) == previous  # writing left the umask as it found it

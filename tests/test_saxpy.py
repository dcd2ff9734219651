"""Assignment 2 (SAXPY): the oracle, the tolerance, the reference solutions and the grader's verdicts."""

from __future__ import annotations

import json
import textwrap
import xml.etree.ElementTree as ET
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings

from grader.spec import Mismatch, Profile
from grader.suites.saxpy import cases as strategies
from grader.suites.saxpy import oracle
from grader.suites.saxpy import tasks as spec
from solutions.saxpy import cuda as cuda_solution
from solutions.saxpy import simd as simd_solution
from solutions.saxpy import threaded as threaded_solution
from support import LocalCall

CPU = Profile("cpu")
SIMULATOR = Profile("simulator", simulated=True)


def _exactly_rounded(a, x, y):
    """a*x + y computed in exact rational arithmetic, then rounded once to float32: an independent oracle."""
    exact = [
        Fraction(float(np.float32(a))) * Fraction(float(xi)) + Fraction(float(yi)) for xi, yi in zip(x, y, strict=True)
    ]
    return np.array([np.float32(float(v)) for v in exact], dtype=np.float32)  # float() rounds to nearest


@given(strategies.cases(Profile("small")).filter(lambda case: case.n <= 64))
@settings(max_examples=60, deadline=None)
def test_oracle_is_the_correctly_rounded_answer(case):
    a, x, y = case.arrays()
    assert np.array_equal(oracle.saxpy(a, x, y), _exactly_rounded(a, x, y))


def _fma(a, x, y):  # one rounding, as a GPU's fused multiply-add
    return (np.float64(a) * x.astype(np.float64) + y).astype(np.float32)


def _two_roundings(a, x, y):  # float32 multiply, then float32 add
    return (np.float32(a) * x).astype(np.float32) + y


@pytest.mark.parametrize("correct", [_fma, _two_roundings], ids=["fma", "two-roundings"])
@given(case=strategies.cases(CPU).filter(lambda case: case.n <= 5000))
@settings(max_examples=40, deadline=None)
def test_tolerance_accepts_every_correct_float32_implementation(correct, case):
    spec.check_saxpy(LocalCall(correct), case)


WRONG_FORMULAS = {
    "a*x - y": lambda a, x, y: np.float32(a) * x - y,
    "x + a*y": lambda a, x, y: x + np.float32(a) * y,
    "a*x": lambda a, x, y: np.float32(a) * x,
    "float64 result": lambda a, x, y: np.float64(a) * x + y,
    "drops the last element": lambda a, x, y: np.concatenate(
        [(np.float32(a) * x + y)[:-1], np.zeros(min(1, x.size), np.float32)]
    ),
}


@pytest.mark.parametrize("name", list(WRONG_FORMULAS))
def test_the_edge_cases_catch_wrong_implementations(name):
    with pytest.raises(Mismatch):
        for case in strategies.edge_cases(CPU):
            spec.check_saxpy(LocalCall(WRONG_FORMULAS[name]), case)


@given(case=strategies.cases(CPU))
@settings(max_examples=25, deadline=None)
def test_threaded_and_simd_solutions_match_the_oracle(case):
    a, x, y = case.arrays()
    expected = oracle.saxpy(a, x, y)
    for got in (threaded_solution.saxpy(a, x, y, num_threads=3), simd_solution.saxpy(a, x, y)):
        assert got.dtype == np.float32
        assert np.all(np.abs(got.astype(np.float64) - expected) <= oracle.tolerance(a, x, y))


@pytest.mark.parametrize("num_threads", [1, 2, 3, 7, 64])
@pytest.mark.parametrize("n", [0, 1, 5, 63, 1000])
def test_threaded_solution_covers_every_element_for_any_thread_count(n, num_threads):
    a, x, y = strategies.SaxpyCase(n=n, a=1.5, scale=1.0, seed=n).arrays()
    got = threaded_solution.saxpy(a, x, y, num_threads=num_threads)
    assert np.all(np.abs(got.astype(np.float64) - oracle.saxpy(a, x, y)) <= oracle.tolerance(a, x, y))


@pytest.mark.parametrize("n", [0, 1, 255, 256, 257, 513])
def test_cuda_solution_matches_the_oracle(n):  # on the simulator without a GPU, on the GPU with one
    a, x, y = strategies.SaxpyCase(n=n, a=-3.0, scale=10.0, seed=n).arrays()
    got = cuda_solution.saxpy(a, x, y)
    assert got.dtype == np.float32
    assert np.all(np.abs(got.astype(np.float64) - oracle.saxpy(a, x, y)) <= oracle.tolerance(a, x, y))


# -- the grader, end to end, as a learner runs it -------------------------------------------------------------
def test_starters_score_zero_with_a_pointer_to_each_todo(grader):
    run = grader("saxpy", "--quick", "--seed", "1")
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    for variant in ("threaded", "simd", "cuda"):
        assert f"not implemented: TODO in assignments/saxpy/{variant}.py:" in run.stdout
    assert "score 0/18" in run.stdout


def _planted(tmp_path, body: str) -> str:
    folder = tmp_path / "saxpy"
    folder.mkdir()
    (folder / "threaded.py").write_text(textwrap.dedent(body))
    return str(tmp_path)


PLANTED = {
    "drops the tail": (
        """
        import numpy as np
        def saxpy(a, x, y, num_threads=None):
            result = np.zeros_like(x)
            n = x.size - x.size % 4
            result[:n] = a * x[:n] + y[:n]
            return result
        """,
        "elements differ",
    ),
    "mutates its input": (
        """
        def saxpy(a, x, y, num_threads=None):
            y *= 1  # in place: y is now the result's storage
            y += a * x
            return y.copy()
        """,
        "modified its input y",
    ),
    "wrong dtype": (
        """
        import numpy as np
        def saxpy(a, x, y, num_threads=None):
            return a * x.astype(np.float64) + y
        """,
        "expected dtype float32, got float64",
    ),
    "wrong formula": (
        """
        def saxpy(a, x, y, num_threads=None):
            return a * y + x
        """,
        "elements differ",
    ),
    "missing function": (
        """
        def sapxy(a, x, y, num_threads=None):  # misspelt
            return a * x + y
        """,
        "defines no function saxpy",
    ),
    "syntax error": (
        """
        def saxpy(a, x, y, num_threads=None)
            return a * x + y
        """,
        "syntax error in",
    ),
}


@pytest.mark.parametrize("name", list(PLANTED))
def test_planted_wrong_submissions_fail_with_a_clear_message(grader, tmp_path, name):
    body, expected_message = PLANTED[name]
    run = grader(
        "saxpy",
        "--variant",
        "threaded",
        "--quick",
        "--submission",
        _planted(tmp_path, body),
        "--seed",
        "3",
        "--examples",
        "20",
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert expected_message in run.stdout
    assert "Traceback" not in run.stdout + run.stderr


def test_a_failure_is_shrunk_to_the_smallest_input(grader, tmp_path):
    # Wrong only from n = 100 on: the reported case must be exactly the smallest failing length.
    body = """
        import numpy as np
        def saxpy(a, x, y, num_threads=None):
            result = a * x + y
            if x.size >= 100:
                result[-1] += 1.0
            return result
        """
    run = grader("saxpy", "--variant", "threaded", "--quick", "--submission", _planted(tmp_path, body))
    assert run.returncode == 1
    assert "n=255" in run.stdout  # the smallest edge-case length >= 100 (edge cases run first)


@pytest.mark.slow
def test_solutions_earn_full_marks_and_the_reports_say_so(grader, tmp_path):
    results, junit = tmp_path / "results.json", tmp_path / "report.xml"
    run = grader("saxpy", "--solutions", "--json", str(results), "--junitxml", str(junit))
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads(results.read_text())
    assert report["score"] == sum(test.get("max_score", 0) for test in report["tests"]) > 0
    for test in report["tests"]:
        assert {"name", "status", "output"} <= set(test)
        assert test["status"] == "passed" or "score" not in test  # only an informative task may find nothing
    suites = ET.parse(junit).getroot()
    assert suites.tag == "testsuites" and suites.find("testsuite").get("failures") == "0"

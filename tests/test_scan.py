"""Assignment 3 (scan): the oracle, the reference solutions, the starters and the grader's verdicts.

Every solution is compared with the oracle, and the oracle with the definition written out as a Python loop.
Planted wrong implementations (each a mistake the course sees) must each be caught by the spec's checks.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.correctness import run_property
from grader.spec import Mismatch, Profile
from grader.suites.scan import cases as strategies
from grader.suites.scan import oracle
from grader.suites.scan import tasks as spec
from solutions.scan import cuda as cuda_solution
from solutions.scan import simd as simd_solution
from solutions.scan import threaded as threaded_solution
from support import LocalCall

CPU = Profile("cpu")
SIMULATOR = Profile("simulator", simulated=True)


# -- the oracle against the definition ---------------------------------------------------------------------------
def _scan_by_definition(a):
    return [sum(int(v) for v in a[:i]) for i in range(len(a))]


def _repeats_by_definition(a):
    return [i for i in range(len(a) - 1) if a[i] == a[i + 1]]


@given(strategies.cases(CPU).filter(lambda case: case.n <= 200))
@settings(max_examples=80, deadline=None)
def test_oracle_matches_the_definition(case):
    a = case.array()
    scan, repeats = oracle.exclusive_scan(a), oracle.find_repeats(a)
    assert scan.dtype == np.int32 and scan.tolist() == _scan_by_definition(a)
    assert repeats.dtype == np.int32 and repeats.tolist() == _repeats_by_definition(a)


@given(n=st.integers(0, 2**31 - 1))
def test_value_bound_keeps_every_prefix_sum_in_int32(n):
    bound = oracle.value_bound(n)
    assert bound >= 1
    assert n <= 1 or bound * n < 2**31  # the largest |partial sum| is at most bound * n


@pytest.mark.parametrize("kind", strategies.KINDS)
def test_generated_values_respect_the_bound(kind):
    for n in (0, 1, 2, 1000, 1_000_003):
        a = strategies.ScanCase(n=n, kind=kind, seed=7).array()
        assert a.dtype == np.int32 and a.size == n
        assert n == 0 or int(np.abs(a.astype(np.int64)).max()) <= oracle.value_bound(n)


# -- the reference solutions against the oracle -----------------------------------------------------------------
CPU_SOLUTIONS = {
    "threaded-1": lambda f: getattr(threaded_solution, f),
    "threaded-3": lambda f: lambda a: getattr(threaded_solution, f)(a, num_threads=3),
    "threaded-8": lambda f: lambda a: getattr(threaded_solution, f)(a, num_threads=8),  # more threads than work
    "simd": lambda f: getattr(simd_solution, f),
}


def _agrees(implementation, case):
    a = case.array()
    before = a.copy()
    for function in ("exclusive_scan", "find_repeats"):
        got = implementation(function)(a)
        expected = getattr(oracle, function)(a)
        assert got.dtype == np.int32 and np.array_equal(got, expected), f"{function} on {case}"
    assert np.array_equal(a, before), "the input was modified"


@pytest.mark.parametrize("name", list(CPU_SOLUTIONS))
def test_cpu_solutions_match_the_oracle_on_the_edge_cases(name):
    for case in strategies.edge_cases(CPU):
        _agrees(CPU_SOLUTIONS[name], case)


@pytest.mark.parametrize("name", list(CPU_SOLUTIONS))
@given(case=strategies.cases(CPU))
@settings(max_examples=25, deadline=None)
def test_cpu_solutions_match_the_oracle_on_drawn_cases(name, case):
    _agrees(CPU_SOLUTIONS[name], case)


# On the simulator the CUDA solution uses 128-element tiles: 129 and 257 span several tiles and a second level of
# tile-offset scans; 1025 elements span 9 tiles (simulator-slow, so one kind only).
@pytest.mark.parametrize("n", [0, 1, 2, 3, 127, 128, 129, 257])
def test_cuda_solution_matches_the_oracle(n):  # on the simulator without a GPU, on the GPU with one
    for kind in ("ones", "signed", "last_pair"):
        _agrees(lambda f: getattr(cuda_solution, f), strategies.ScanCase(n=n, kind=kind, seed=n))


def test_cuda_solution_across_many_tiles():
    _agrees(lambda f: getattr(cuda_solution, f), strategies.ScanCase(n=1025, kind="runs", seed=1))


@pytest.mark.gpu
@pytest.mark.parametrize("n", [2**22 + 1, 2**24 - 1, 3 * 2**21 + 7])  # three levels of tiles on the GPU
def test_cuda_solution_on_large_inputs(n):
    for kind in ("mod10", "extreme"):
        _agrees(lambda f: getattr(cuda_solution, f), strategies.ScanCase(n=n, kind=kind, seed=n))


@pytest.mark.gpu
def test_cuda_device_entry_points_write_into_their_outputs():
    from numba import cuda

    from grader.suites.scan import baseline as baselines

    (a,) = baselines.make_inputs(1_000_003, seed=5)
    args = baselines.to_device_scan(a)
    cuda_solution.exclusive_scan_device(*args)
    assert np.array_equal(baselines.from_device_scan(args, None), oracle.exclusive_scan(a))
    args = baselines.to_device_repeats(a)
    cuda_solution.find_repeats_device(*args)
    cuda.synchronize()
    assert np.array_equal(baselines.from_device_repeats(args, None), oracle.find_repeats(a))


# -- planted wrong implementations: each must be caught ---------------------------------------------------------------
def _correct_scan(a):
    return oracle.exclusive_scan(a)


def _inclusive_scan(a):
    return np.cumsum(a, dtype=np.int32)


def _blocked_scan_dropping_the_ragged_offset(a, block=1024):
    """A blocked scan whose last, partial block forgets the sum of the blocks before it."""
    out = _correct_scan(a)
    full = a.size // block * block
    if full < a.size:
        out[full:] = _correct_scan(a[full:])
    return out


def _power_of_two_only_scan(a):
    """Up-sweep/down-sweep on the largest power-of-two prefix: right when n is a power of two, else the tail is
    left unscanned (zeros)."""
    out = np.zeros(a.size, dtype=np.int32)
    if a.size:
        size = 1 << (a.size.bit_length() - 1)
        out[:size] = _correct_scan(a[:size])
    return out


def _scan_dropping_the_tail(a):
    out = _correct_scan(a)
    return out[:-1] if a.size else out


def _scan_as_int64(a):
    return _correct_scan(a).astype(np.int64)


def _scan_that_mutates_its_input(a):
    a[:] = _correct_scan(a)  # in place, then returns the input itself
    return a


def _repeats_missing_the_last_pair(a):
    return np.flatnonzero(a[:-2] == a[1:-1]).astype(np.int32)


def _repeats_unsorted(a):
    """Two chunks' results concatenated in the wrong order (a threaded mistake)."""
    found = oracle.find_repeats(a)
    half = found.size // 2
    return np.concatenate([found[half:], found[:half]])


def _repeats_as_int64(a):
    return np.flatnonzero(a[:-1] == a[1:])


PLANTED = {
    "inclusive scan": (spec.check_exclusive_scan, _inclusive_scan),
    "ragged last block loses its offset": (spec.check_exclusive_scan, _blocked_scan_dropping_the_ragged_offset),
    "power-of-two-only scan": (spec.check_exclusive_scan, _power_of_two_only_scan),
    "scan drops the tail": (spec.check_exclusive_scan, _scan_dropping_the_tail),
    "scan returns int64": (spec.check_exclusive_scan, _scan_as_int64),
    "scan mutates its input": (spec.check_exclusive_scan, _scan_that_mutates_its_input),
    "repeats miss the last pair": (spec.check_find_repeats, _repeats_missing_the_last_pair),
    "repeats unsorted": (spec.check_find_repeats, _repeats_unsorted),
    "repeats as int64": (spec.check_find_repeats, _repeats_as_int64),
}


@pytest.mark.parametrize("name", list(PLANTED))
@pytest.mark.parametrize("profile", [CPU, SIMULATOR], ids=["cpu", "simulator"])
def test_the_edge_cases_catch_each_planted_mistake(name, profile):
    check, wrong = PLANTED[name]
    with pytest.raises(Mismatch):
        for case in strategies.edge_cases(profile):
            check(LocalCall(wrong), case)


@pytest.mark.parametrize("name", ["inclusive scan", "power-of-two-only scan", "repeats miss the last pair"])
def test_hypothesis_alone_finds_and_shrinks_each_planted_mistake(name):
    check, wrong = PLANTED[name]
    prop = next(task for task in spec.ASSIGNMENT.tasks if getattr(task, "check", None) is check)
    prop = type(prop)(**{**prop.__dict__, "edge_cases": lambda profile: ()})  # the drawn cases only
    verdict = run_property(prop, LocalCall(wrong), CPU, seed=1, max_examples=100)
    assert not verdict.passed
    first_line = verdict.message.splitlines()[0]
    n = int(first_line.split("n=")[1].split(",")[0])
    assert n <= 5, f"not shrunk to a tiny input: {first_line}"


def test_the_checks_pass_a_correct_implementation():
    for case in strategies.edge_cases(CPU):
        spec.check_exclusive_scan(LocalCall(_correct_scan), case)
        spec.check_find_repeats(LocalCall(oracle.find_repeats), case)


# -- starters and the grader, as a learner runs it ------------------------------------------------------------------
@pytest.mark.parametrize("variant", ["threaded", "simd", "cuda"])
def test_starters_raise_not_implemented(variant):
    import importlib

    module = importlib.import_module(f"assignments.scan.{variant}")
    for function in ("exclusive_scan", "find_repeats"):
        with pytest.raises(NotImplementedError, match="TODO"):
            getattr(module, function)(np.ones(5, dtype=np.int32))


def test_the_grader_reports_an_input_mutation(grader, tmp_path):
    folder = tmp_path / "scan"
    folder.mkdir()
    (folder / "simd.py").write_text(
        textwrap.dedent("""
        import numpy as np
        def exclusive_scan(a):
            out = np.zeros_like(a)
            np.cumsum(a[:-1], out=out[1:])
            a[:] = 0  # wipes its input, yet returns the right answer
            return out
        def find_repeats(a):
            return np.flatnonzero(a[:-1] == a[1:]).astype(np.int32)
        """)
    )
    run = grader(
        "scan", "--variant", "simd", "--quick", "--submission", str(tmp_path), "--seed", "3", "--examples", "5"
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "modified its input a" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr


def test_starters_score_zero_with_a_pointer_to_each_todo(grader):
    run = grader("scan", "--quick", "--seed", "1")
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    for variant in ("threaded", "simd", "cuda"):
        assert f"not implemented: TODO in assignments/scan/{variant}.py:" in run.stdout
    assert "score 0/" in run.stdout


@pytest.mark.slow
def test_solutions_pass_every_correctness_task(grader):
    run = grader("scan", "--solutions", "--quick", "--variant", "threaded,simd", "--seed", "2")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "score 12/12" in run.stdout

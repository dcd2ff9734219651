"""Feedback that never misleads: errors in a submission's threads and kernels are reported where they happen.

Each planted submission (tests/planted/<case>/saxpy/threaded.py) is graded end to end, as a learner would run
it (``python -m grader saxpy --variant threaded --quick --submission DIR``); the threaded correctness task must
fail with the exception's type, its message and the learner's file and line, never with the garbage values
an unfilled result array holds. The expected line is found in the planted file by the statement that raises.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.grader

ROOT = Path(__file__).resolve().parent.parent
PLANTED = ROOT / "tests" / "planted"


def _line_of(case: str, statement: str) -> int:
    lines = (PLANTED / case / "saxpy" / "threaded.py").read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if statement in line)


def _grade(case: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "grader",
            "saxpy",
            "--variant",
            "threaded",
            "--quick",
            "--submission",
            str(PLANTED / case),
            "--seed",
            "1",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=os.environ | env,
    )


# case -> (what the message must say, the statement whose line it must point at)
CASES = {
    "thread_exception": (
        r"raised TypeError in thread Thread-\d+ \(_work\): slice indices must be integers",
        "result[start:stop] = a * x[start:stop]",
    ),
    "future_exception": (r"raised IndexError: chunk \[\d+, \d+\) runs past the end of the array", "raise IndexError"),
    "numba_typing_error": (
        (
            r"numba could not compile \S*numba_typing_error/saxpy/threaded\.py:{line} "
            r"`result\[i\] = a \* x\[i\] \+ y` \(TypingError\): No implementation of function "
            r".*setitem.* \(in thread Thread-\d+"
        ),
        "result[i] = a * x[i] + y",
    ),
    # a starter's TODO raised in a thread still points at the TODO, as it does in the main thread
    "todo_in_thread": (
        r"not implemented: TODO in \S*todo_in_thread/saxpy/threaded\.py:{line}",
        "raise NotImplementedError",
    ),
    # numba started with one thread, as on a 1-core machine: the grader's 3 threads are more than it has
    "numba_thread_count": (
        (
            r"raised ValueError: The number of threads must be between 1 and 1 .*"
            r"numba\.config\.NUMBA_NUM_THREADS = 1 here"
        ),
        "numba.set_num_threads(",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_an_error_in_a_thread_or_kernel_is_reported_where_it_happens(case):
    pattern, statement = CASES[case]
    line = _line_of(case, statement)
    run = _grade(case, NUMBA_NUM_THREADS="1") if case == "numba_thread_count" else _grade(case)
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    report = run.stdout
    assert re.search(r"FAIL\s+threaded\s+correctness\s+0/6", report), report
    assert re.search(pattern.format(line=line), report), report
    assert f"saxpy/threaded.py:{line}" in report, report
    assert "elements differ" not in report, report  # the symptom, not the cause


# A chunking bug that shows only when the thread count does not divide n (the grader draws the thread count).
DROPS_REMAINDER = """
import threading

import numpy as np


def _work(a, x, y, result, start, stop):
    result[start:stop] = a * x[start:stop] + y[start:stop]


def saxpy(a, x, y, num_threads=None):
    num_threads = num_threads or 2
    result = np.zeros_like(x)
    chunk = x.size // num_threads  # {slip}
    bounds = [t * chunk for t in range(num_threads)] + [{last}]
    threads = [threading.Thread(target=_work, args=(np.float32(a), x, y, result, bounds[t], bounds[t + 1]))
               for t in range(num_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return result
"""


def test_a_counterexample_shows_every_argument_and_one_line_replays_exactly_that_case(tmp_path):
    """The report of a failing case names every argument of the failing call (num_threads too) and prints a
    command; the command reruns that case alone: it fails the same way, and passes once the bug is fixed.
    The saved arrays are the failing call's arguments (checked against the shrunk case's own arrays)."""
    from grader.suites.saxpy.cases import SaxpyCase

    submission = tmp_path / "submission"
    (submission / "saxpy").mkdir(parents=True)
    threaded = submission / "saxpy" / "threaded.py"
    threaded.write_text(
        DROPS_REMAINDER.format(slip="the last chunk ends at num_threads * chunk", last="num_threads * chunk")
    )
    env = os.environ | {"PARLAB_CACHE_DIR": str(tmp_path / "cache")}
    grade = [
        sys.executable,
        "-m",
        "grader",
        "saxpy",
        "--variant",
        "threaded",
        "--quick",
        "--submission",
        str(submission),
        "--seed",
        "3",
    ]
    run = subprocess.run(grade, cwd=ROOT, capture_output=True, text=True, timeout=300, env=env, check=False)
    assert run.returncode == 1, run.stdout + run.stderr
    case_line = re.search(r"input: n=(\d+), a=(\S+), \|x\|,\|y\| <= (\S+) \(data seed (\d+)\)", run.stdout)
    assert case_line, run.stdout
    n = int(case_line[1])
    call = re.search(
        rf"call: saxpy\(np\.float32\(\S+\), float32\[{n}\].*, float32\[{n}\].*, num_threads=(\d+|None)\)", run.stdout
    )
    assert call, run.stdout
    threads = 2 if call[1] == "None" else int(call[1])  # None: the submission above takes 2
    assert n % threads, run.stdout  # the failing call's thread count does not divide n: the bug shows
    command = re.search(
        r"replay it: (python -m grader saxpy --variant threaded --replay (\S+\.npz))$", run.stdout, re.MULTILINE
    )
    assert command, run.stdout
    saved = np.load(command[2], allow_pickle=False)
    drawn = SaxpyCase(n=n, a=float(case_line[2]), scale=float(case_line[3]), seed=int(case_line[4])).arrays()
    assert saved["arg0"][()] == drawn[0] and saved["arg0"].dtype == np.float32
    np.testing.assert_array_equal(saved["arg1"], drawn[1])
    np.testing.assert_array_equal(saved["arg2"], drawn[2])
    if call[1] != "None":
        assert int(saved["kwarg.num_threads"]) == threads

    replay = command[1].split()[3:] + ["--submission", str(submission)]
    again = subprocess.run(
        [sys.executable, "-m", "grader", *replay],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert again.returncode == 1, again.stdout + again.stderr
    assert f"input: n={n}, a={case_line[2]}," in again.stdout
    first_failure = next(line for line in run.stdout.splitlines() if "elements differ" in line)
    assert first_failure in again.stdout.splitlines()  # the same case, the same check, the same message

    threaded.write_text(DROPS_REMAINDER.format(slip="the last chunk ends at n", last="x.size"))
    fixed = subprocess.run(
        [sys.executable, "-m", "grader", *replay],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert re.search(r"PASS\s+threaded\s+correctness\s+6/6", fixed.stdout), fixed.stdout


@pytest.mark.parametrize("content", [b"not a zip", None])
def test_a_replay_file_that_is_not_one_is_one_line_and_exit_status_2(tmp_path, content):
    path = tmp_path / "case.npz"
    if content is not None:
        path.write_bytes(content)
    run = subprocess.run(
        [sys.executable, "-m", "grader", "saxpy", "--variant", "threaded", "--replay", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 2, run.stdout + run.stderr
    assert run.stderr.startswith("grader: --replay ") and len(run.stderr.strip().splitlines()) == 1, run.stderr

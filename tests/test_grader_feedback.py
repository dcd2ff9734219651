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

import pytest

pytestmark = pytest.mark.grader

ROOT = Path(__file__).resolve().parent.parent
PLANTED = ROOT / "tests" / "planted"


def _line_of(case: str, statement: str) -> int:
    lines = (PLANTED / case / "saxpy" / "threaded.py").read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if statement in line)


def _grade(case: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", "saxpy", "--variant", "threaded", "--quick",
                           "--submission", str(PLANTED / case), "--seed", "1"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, check=False, env=os.environ | env)


# case -> (what the message must say, the statement whose line it must point at)
CASES = {
    "thread_exception": (r"raised TypeError in thread Thread-\d+ \(_work\): slice indices must be integers",
                         "result[start:stop] = a * x[start:stop]"),
    "future_exception": (r"raised IndexError: chunk \[\d+, \d+\) runs past the end of the array",
                         "raise IndexError"),
    "numba_typing_error": ((r"numba could not compile \S*numba_typing_error/saxpy/threaded\.py:{line} "
                            r"`result\[i\] = a \* x\[i\] \+ y` \(TypingError\): No implementation of function "
                            r".*setitem.* \(in thread Thread-\d+"), "result[i] = a * x[i] + y"),
    # numba started with one thread, as on a 1-core machine: the grader's 3 threads are more than it has
    "numba_thread_count": ((r"raised ValueError: The number of threads must be between 1 and 1 .*"
                            r"numba\.config\.NUMBA_NUM_THREADS = 1 here"), "numba.set_num_threads("),
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

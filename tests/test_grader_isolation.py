"""A submission that misbehaves costs only its own task: planted submissions (tests/planted/) graded end to end.

Each case grades, in a child process as an instructor would, a submission made of one planted
``saxpy/threaded.py`` and the well-behaved ``tests/planted/good/saxpy/simd.py``. For every case: the threaded
correctness task fails with the reason the case is about, the simd task is still graded (and passes), the
grader exits 1 without a traceback, and the results file it wrote is its own. The runs go four at a time.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytestmark = pytest.mark.grader

ROOT = Path(__file__).resolve().parent.parent

PLANTED = ROOT / "tests" / "planted"
CALL_LIMIT_S = 10  # PARLAB_CALL_TIME_LIMIT for these runs: the hang case waits this long

# case -> what the threaded correctness task's message must say
CASES = {
    "os_exit": r"exited with status 3",
    "sys_exit": r"called sys\.exit\(0\)",
    "flood": r"crashed: printed \(or wrote to a file\) more than 16 MB of output",
    "hang": rf"did not finish within the time limit of {CALL_LIMIT_S} s",
    "huge_alloc": r"ran out of memory: Unable to allocate 50\.0 GiB",
    "fork": r"started another process",
    "detach": r"started another process",
    "segfault": r"crashed: a segmentation fault",
    "import_solutions": r"tried to import the reference solutions",
    "read_solutions": r"tried to read the reference solutions \(solutions/saxpy/",
    "oracle_patch": r"expected np\.float32\(-?[0-9.e-]+\), got np\.float32\(0\.0\)",
    "write_results": r"tried to write .*results\.json.*tried to write grader/suites/saxpy/oracle\.py",
    "syntax_error": r"syntax error in .*saxpy/threaded\.py:4: expected ':'",
    "missing_function": r"threaded\.py defines no function saxpy",
    "wrong_signature": r"wrong signature: saxpy\(a, x\) cannot be called as saxpy\(float32, ndarray, ndarray, "
                       r"num_threads=\.\.\.\)",
}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _grade(case: str, root: Path) -> dict:
    submission = root / case / "submission"
    (submission / "saxpy").mkdir(parents=True)
    shutil.copy(PLANTED / case / "saxpy" / "threaded.py", submission / "saxpy" / "threaded.py")
    shutil.copy(PLANTED / "good" / "saxpy" / "simd.py", submission / "saxpy" / "simd.py")
    results = root / case / "results.json"
    pid_file = root / case / "planted.pid"
    env = {**os.environ, "PARLAB_CALL_TIME_LIMIT": str(CALL_LIMIT_S), "PLANTED_PID_FILE": str(pid_file)}
    run = subprocess.run([sys.executable, "-m", "grader", "saxpy", "--submission", str(submission),
                          "--variant", "threaded,simd", "--quick", "--examples", "3", "--seed", "7",
                          "--json", str(results)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    return {"run": run, "results": results, "pid_file": pid_file, "finished": time.monotonic()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("planted")
    guarded = {path: _sha(path) for path in [ROOT / "grader" / "suites" / "saxpy" / "oracle.py",
                                             ROOT / "solutions" / "saxpy" / "threaded.py"] if path.exists()}
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {case: pool.submit(_grade, case, root) for case in CASES}
        outcomes = {case: future.result() for case, future in futures.items()}
    outcomes["_guarded"] = guarded
    return outcomes


def _tests(results: Path) -> dict:
    return {test["name"]: test for test in json.loads(results.read_text())["tests"]}


@pytest.mark.parametrize("case", sorted(CASES))
def test_planted_case_fails_only_its_task_with_a_clear_reason(graded, case):
    outcome = graded[case]
    run = outcome["run"]
    assert run.returncode == 1, (run.returncode, run.stderr[-2000:])
    assert "Traceback" not in run.stderr + run.stdout
    tests = _tests(outcome["results"])
    planted = tests["saxpy · threaded · correctness"]
    assert planted["status"] == "failed" and planted["score"] == 0
    assert re.search(CASES[case], planted["output"], re.S), planted["output"]
    other = tests["saxpy · simd · correctness"]
    assert other["status"] == "passed" and other["score"] == other["max_score"] == 6, other
    assert json.loads(outcome["results"].read_text())["score"] == 6


@pytest.mark.parametrize("case", ["write_results", "detach"])
def test_a_submission_cannot_change_the_results_file(graded, case):
    """write_results overwrites the --json file from inside the call (refused, and the grader writes last);
    detach leaves a daemon that writes it through libc two seconds later (the grader kills it first)."""
    outcome = graded[case]
    time.sleep(max(0.0, outcome["finished"] + 3.0 - time.monotonic()))  # past the daemon's two seconds
    results = json.loads(outcome["results"].read_text())
    assert "forged" not in results.get("output", "")
    assert results["score"] == 6 and results["max_score"] == 12
    assert results["output"] == "parlab grader, seed 7"


def test_a_submission_cannot_change_the_grader_or_the_solutions(graded):
    for path, digest in graded["_guarded"].items():
        assert _sha(path) == digest, f"{path} changed during the planted runs"


def test_a_forked_process_does_not_outlive_the_task(graded):
    pid = int(graded["fork"]["pid_file"].read_text())
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return  # gone
    assert state in ("Z", "X"), f"the planted fork {pid} is still running (state {state})"


def test_forged_clocks_and_skipped_repeats_do_not_buy_speed(tmp_path):
    """forge_timing freezes every clock in its process and patches its worker to skip the repeated calls of a
    timed request. The parent's clock times the requests; the repeated calls, far faster than one call, are
    refused with the reason."""
    from grader import timing
    from grader.sandbox import Limits, Source, Worker, WorkerFailure

    (tmp_path / "saxpy").mkdir()
    shutil.copy(PLANTED / "forge_timing" / "saxpy" / "threaded.py", tmp_path / "saxpy" / "threaded.py")
    with Worker(Source.learner(tmp_path, "saxpy", "threaded", ("saxpy",)), Limits(call_time_s=60)) as worker:
        worker.request(("setup", "grader.suites.saxpy.baseline:make_inputs", {"n": 2**16}, None))
        with pytest.raises(WorkerFailure, match=r"timing refused: \d+ repeated calls of saxpy took .* each, "
                                                r"but one call takes .*: the repeated calls were skipped"):
            timing.interleaved({"learner": [(worker, "saxpy", {})]}, rounds=3, time_limit=60)


# -- bad input: one line, the documented exit code --------------------------------------------------------------
@pytest.mark.parametrize("args, says", [
    (["assignment7"], "unknown assignment 'assignment7'"),
    (["saxpy", "--variant", "threads"], "unknown variant 'threads'"),
    (["saxpy", "--submission", "/no/such/submission"], "--submission /no/such/submission: no such directory"),
    (["saxpy", "--submission", str(Path(__file__).resolve())], "no such directory"),
])
def test_bad_usage_is_one_line_and_exit_2(args, says):
    run = subprocess.run([sys.executable, "-m", "grader", *args], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 2 and run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], run.stderr


def test_an_unreadable_submission_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    """chmod 000 stops everyone but root; as root (CI containers often are) the permission check is made to
    see what a learner's account would see."""
    from grader import cli

    unreadable = tmp_path / "locked"
    (unreadable / "saxpy").mkdir(parents=True)
    unreadable.chmod(0)
    try:
        if os.geteuid() == 0:
            real_access = os.access
            monkeypatch.setattr(os, "access", lambda path, mode, **kw: False if Path(path) == unreadable
                                else real_access(path, mode, **kw))
        assert cli.main(["saxpy", "--submission", str(unreadable)]) == 2
    finally:
        unreadable.chmod(0o755)
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [f"grader: --submission {unreadable}: directory is not readable"]


GUARD_PROBE = '''
import os, shutil, sys, tempfile
from grader import sandbox_child as sc
scratch = tempfile.mkdtemp()
breaches = []
sys.addaudithook(sc._Guard((str(sc.SOLUTIONS.resolve()),), (str(sc.CHECKOUT),), (), breaches))
oracle = sc.CHECKOUT / "grader" / "oracles" / "saxpy.py"
attempts = {
    "read the oracle": lambda: open(oracle).read(),
    "copy a grader file out": lambda: shutil.copyfile(oracle, os.path.join(scratch, "copy.py")),
    "write a scratch file": lambda: open(os.path.join(scratch, "mine.txt"), "w").write("x"),
    "read a solution": lambda: open(sc.SOLUTIONS / "saxpy" / "threaded.py").read(),
    "list the solutions": lambda: os.listdir(sc.SOLUTIONS),
    "append to the oracle": lambda: open(oracle, "a"),
    "open the oracle read-write": lambda: os.open(oracle, os.O_RDWR),
    "copy a file into the grader": lambda: shutil.copyfile(os.path.join(scratch, "mine.txt"),
                                                          sc.CHECKOUT / "grader" / "planted.py"),
    "rename a grader file": lambda: os.rename(oracle, os.path.join(scratch, "gone.py")),
    "remove a grader file": lambda: os.remove(sc.CHECKOUT / "grader" / "no_such_file.py"),
}
for what, attempt in attempts.items():
    try:
        attempt()
        print(what, "allowed")
    except PermissionError:
        print(what, "refused")
print(len(breaches), "breaches")
'''


def test_the_audit_hook_refuses_reading_solutions_and_writing_the_grader():
    run = subprocess.run([sys.executable, "-c", GUARD_PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60)
    verdicts = dict(line.rsplit(" ", 1) for line in run.stdout.splitlines()[:-1])
    assert {what for what, verdict in verdicts.items() if verdict == "allowed"} == {
        "read the oracle", "copy a grader file out", "write a scratch file"}, run.stdout + run.stderr
    # recorded once per path: the two solutions paths, the oracle (append, read-write, rename), planted.py,
    # no_such_file.py
    assert run.stdout.splitlines()[-1] == "5 breaches"

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
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
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
    "write_results": r"tried to write grader/suites/saxpy/oracle\.py",
    "syntax_error": r"syntax error in .*saxpy/threaded\.py:4: expected ':'",
    "missing_function": r"threaded\.py defines no function saxpy",
    "wrong_signature": r"wrong signature: saxpy\(a, x\) cannot be called as saxpy\(float32, ndarray, ndarray, "
    r"num_threads=\.\.\.\)",
    "crafted_reply": r"sent a reply the grader refuses \(a reply may not hold objects",
    "huge_message": r"raised ValueError: x+ \[\.\.\. \d+ more characters cut\]",
    "terminal_escape": r"raised ValueError: \ufffd\ufffd\[2J",
    "hardlink_read": r"tried to read the reference solutions|could not read the solutions",
}
# The attacks an operating-system boundary stops: graded only where the grader runs as root (CI, Gradescope).
# As an ordinary user the learner is not the adversary (instructors/README.md, threat model), and some of
# these would work: they read what the user may read, and signal what the user may signal.
OS_BOUNDARY_CASES = {
    "dir_fd_read": r"could not read the solutions: (No such file or directory|Permission denied)",
    "path_swap": r"could not read the solutions: (No such file or directory|Permission denied)",
    "rewrite_files": r"could not write: grader module: (Read-only file system|Permission denied); "
    r"\.pth file: (Read-only file system|Permission denied)(?!.*: written)",
    "signal_grader": r"could not signal the grader: (no grader process in sight|Operation not permitted)",
    "connect_sockets": r"could not connect to another worker: (?!.*connected)",
    "env_cleared_escape": r"started another process",
}
AS_ROOT = os.geteuid() == 0
if AS_ROOT:
    CASES.update(OS_BOUNDARY_CASES)
PASSING = ["honest_tempfile"]  # honest code that an over-eager sandbox once refused


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
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "grader",
            "saxpy",
            "--submission",
            str(submission),
            "--variant",
            "threaded,simd",
            "--quick",
            "--examples",
            "3",
            "--seed",
            "7",
            "--json",
            str(results),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return {"run": run, "results": results, "pid_file": pid_file, "finished": time.monotonic()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("planted")
    guarded = {
        path: _sha(path)
        for path in [ROOT / "grader" / "suites" / "saxpy" / "oracle.py", ROOT / "solutions" / "saxpy" / "threaded.py"]
        if path.exists()
    }
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {case: pool.submit(_grade, case, root) for case in [*CASES, *PASSING]}
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


@pytest.mark.parametrize("case", PASSING)
def test_honest_code_passes(graded, case):
    outcome = graded[case]
    assert outcome["run"].returncode == 0, outcome["run"].stderr[-2000:]
    assert _tests(outcome["results"])["saxpy · threaded · correctness"]["status"] == "passed"


def test_messages_are_bounded_and_hold_no_control_characters(graded):
    """huge_message raised 64 MB; terminal_escape printed and raised escapes, carriage returns and a fake PASS
    line. What reaches the terminal and results.json is cut to a few KB, with no control character, and the
    only PASS lines at the start of a line are the grader's own."""
    huge = graded["huge_message"]["results"]
    assert huge.stat().st_size < 64_000
    for case in ("huge_message", "terminal_escape"):
        run, results = graded[case]["run"], graded[case]["results"].read_text()
        for text in (run.stdout, run.stderr, json.loads(results)["tests"][0]["output"]):
            assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", text), case
        passes = [line for line in run.stdout.splitlines() if line.startswith("PASS")]
        assert passes == [line for line in passes if " simd " in line], run.stdout


@pytest.mark.parametrize("case", ["write_results", "detach", *(["env_cleared_escape"] if AS_ROOT else [])])
def test_a_submission_cannot_change_the_results_file(graded, case):
    """write_results overwrites the --json file from inside the call (refused, and the grader writes last);
    detach leaves a daemon that writes it through libc two seconds later (the grader kills it first)."""
    outcome = graded[case]
    time.sleep(max(0.0, outcome["finished"] + 4.0 - time.monotonic()))  # past the daemons' two and three seconds
    results = json.loads(outcome["results"].read_text())
    assert "forged" not in results.get("output", "")
    assert results["score"] == 6
    assert results["output"].startswith("parlab grader, seed 7")


def test_a_submission_cannot_change_the_grader_or_the_solutions(graded):
    for path, digest in graded["_guarded"].items():
        assert _sha(path) == digest, f"{path} changed during the planted runs"


def _alive_with(marker: bytes) -> list[int]:
    """Running processes whose environment or command line holds ``marker``."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
            seen = Path(f"/proc/{pid}/environ").read_bytes() + Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if marker in seen and state not in ("Z", "X") and int(pid) != os.getpid():
            found.append(int(pid))
    return found


def test_no_process_a_submission_started_outlives_its_grading(graded):
    """fork's sleeper, detach's daemon (its environment holds the run's PLANTED_PID_FILE), and the
    environment-cleared shell of env_cleared_escape (its command line says "forged") are all gone."""
    time.sleep(
        max(
            0.0,
            max(o["finished"] for o in graded.values() if isinstance(o, dict) and "finished" in o)
            + 1.0
            - time.monotonic(),
        )
    )
    root = str(graded["fork"]["pid_file"].parent.parent).encode()
    assert _alive_with(b"PLANTED_PID_FILE=" + root) == []
    assert _alive_with(b"echo forged") == []


@pytest.mark.skipif(not AS_ROOT, reason="the OS boundary needs root (instructors/README.md, threat model)")
def test_nothing_a_submission_wrote_reaches_the_checkout_or_the_environment(graded):
    import site
    import sysconfig

    for directory in {sysconfig.get_paths()["purelib"], *site.getsitepackages()}:
        assert not (Path(directory) / "zz_planted.pth").exists()
    oracle = ROOT / "grader" / "suites" / "saxpy" / "oracle.py"
    assert b"# planted" not in oracle.read_bytes() and b"x * 0" not in oracle.read_bytes()
    for cache in Path("/var/cache/parlab/numba").glob("trusted*"):
        assert not (cache / "planted.nbi").exists()


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
        with pytest.raises(
            WorkerFailure,
            match=r"timing refused: \d+ repeated calls of saxpy took .* each, "
            r"but one call takes .*: the repeated calls were skipped",
        ):
            timing.interleaved({"learner": [(worker, "saxpy", {})]}, rounds=3, time_limit=60)


# -- bad input: one line, the documented exit code --------------------------------------------------------------
@pytest.mark.parametrize(
    "args, says",
    [
        (["assignment7"], "unknown assignment 'assignment7'"),
        (["saxpy", "--variant", "threads"], "unknown variant 'threads'"),
        (["saxpy", "--submission", "/no/such/submission"], "--submission /no/such/submission: no such directory"),
        (["saxpy", "--submission", str(Path(__file__).resolve())], "no such directory"),
    ],
)
def test_bad_usage_is_one_line_and_exit_2(args, says):
    run = subprocess.run([sys.executable, "-m", "grader", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
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
            monkeypatch.setattr(
                os,
                "access",
                lambda path, mode, **kw: False if Path(path) == unreadable else real_access(path, mode, **kw),
            )
        assert cli.main(["saxpy", "--submission", str(unreadable)]) == 2
    finally:
        unreadable.chmod(0o755)
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [f"grader: --submission {unreadable}: directory is not readable"]


GUARD_PROBE = """
import os, shutil, sys, tempfile
from grader import sandbox_child as sc
scratch = tempfile.mkdtemp()
breaches = []
sys.addaudithook(sc._Guard((str(sc.SOLUTIONS.resolve()),), (str(sc.CHECKOUT),), (), breaches))
oracle = sc.CHECKOUT / "grader" / "suites" / "saxpy" / "oracle.py"
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
"""


def test_the_audit_hook_refuses_reading_solutions_and_writing_the_grader():
    run = subprocess.run([sys.executable, "-c", GUARD_PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60)
    verdicts = dict(line.rsplit(" ", 1) for line in run.stdout.splitlines()[:-1])
    assert {what for what, verdict in verdicts.items() if verdict == "allowed"} == {
        "read the oracle",
        "copy a grader file out",
        "write a scratch file",
    }, run.stdout + run.stderr
    # recorded once per path: the two solutions paths, the oracle (append, read-write, rename), planted.py,
    # no_such_file.py
    assert run.stdout.splitlines()[-1] == "5 breaches"


def test_remembered_answers_do_not_buy_speed(tmp_path):
    """answer_cache computes each answer once and returns it again for the same input arrays. The timed calls
    alternate between input sets, and a memory-bound result faster than this machine's memory can move the
    bytes is refused: no speed points."""
    import dataclasses

    from grader.grading import Grader, Options
    from grader.suites.saxpy import tasks

    (tmp_path / "saxpy").mkdir()
    shutil.copy(PLANTED / "answer_cache" / "saxpy" / "threaded.py", tmp_path / "saxpy" / "threaded.py")
    benchmark = dataclasses.replace(tasks.speed("threaded", n=2**22, kwargs={"num_threads": 2}), rounds=3)
    grader = Grader(
        dataclasses.replace(tasks.ASSIGNMENT, tasks=(benchmark,)), Options(submission=tmp_path, solutions=None, seed=1)
    )
    result = grader.run_task(benchmark)
    assert result.points == 0, result.message
    assert re.search(r"timing refused: .*(GB/s claimed|answered from a cache)", result.message), result.message


WHERE_PROBE = """
import os
import tempfile


def where():
    return os.getuid(), tempfile.gettempdir(), os.path.dirname(os.path.realpath(__file__))
"""


def test_workers_started_at_once_each_get_a_directory_and_a_uid_of_their_own(tmp_path):
    """Eight learner workers, each started, asked where it runs and closed in a thread of its own, all at
    once (the thread switch made as frequent as it goes, so that unguarded bookkeeping would interleave):
    eight private directories, and as root eight uids, none of them the grader's, and one staged copy of the
    submission that all of them read."""
    from grader.sandbox import Limits, Source, Worker

    (tmp_path / "saxpy").mkdir()
    (tmp_path / "saxpy" / "threaded.py").write_text(WHERE_PROBE)
    source = Source.learner(tmp_path, "saxpy", "threaded", ("where",))
    count = 8
    ready = threading.Barrier(count, timeout=60)

    def start_and_ask() -> tuple:
        worker = Worker(source, Limits(call_time_s=60))
        ready.wait()
        try:
            worker.start()
            return worker.call("where", (), {})[0]
        finally:
            worker.close()

    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        with ThreadPoolExecutor(max_workers=count) as pool:
            answers = list(pool.map(lambda _: start_and_ask(), range(count)))
    finally:
        sys.setswitchinterval(previous)
    uids, directories, staged = zip(*answers, strict=True)
    assert len(set(directories)) == count, directories
    if AS_ROOT:
        assert len(set(uids)) == count and os.geteuid() not in uids, uids
        assert len(set(staged)) == 1 and not staged[0].startswith(str(tmp_path)), staged


@pytest.mark.skipif(not AS_ROOT, reason="the OS boundary needs root (instructors/README.md, threat model)")
def test_a_submission_can_neither_list_nor_read_the_references_numba_cache(tmp_path):
    """The reference's worker compiles (or loads) its saxpy kernel into the trusted cache, so that its entries
    exist; then read_reference_cache, as learner code, tries to list that cache and the reference's entries in
    it: both refused."""
    from grader import isolation
    from grader.sandbox import Limits, Source, Worker, WorkerFailure

    x = np.arange(64, dtype=np.float32)
    reference = Source.learner(ROOT / "solutions", "saxpy", "threaded", ("saxpy",))
    with Worker(reference, Limits(call_time_s=60)) as worker:
        assert reference.role is isolation.Role.TRUSTED
        worker.call("saxpy", (np.float32(2), x, x), {"num_threads": 2})
    entries = [path for path in isolation.boundary().trusted_cache.glob("saxpy_*/threaded.*") if path.is_file()]
    assert entries, "the reference's kernel is not in the trusted cache"
    (tmp_path / "saxpy").mkdir()
    shutil.copy(PLANTED / "read_reference_cache" / "saxpy" / "threaded.py", tmp_path / "saxpy" / "threaded.py")
    with Worker(Source.learner(tmp_path, "saxpy", "threaded", ("saxpy",)), Limits(call_time_s=60)) as worker:
        with pytest.raises(WorkerFailure) as refused:
            worker.call("saxpy", (np.float32(2), x, x), {"num_threads": 2})
    message = str(refused.value)
    # Refused (0711, another uid) or out of sight (a cache under /tmp, behind the namespace's private /tmp).
    refused_or_hidden = r"(Permission denied|No such file or directory)"
    assert re.search(
        rf"could not read the reference's numba cache: listing it: {refused_or_hidden}; "
        rf"its saxpy entries: {refused_or_hidden}",
        message,
    ), message
    assert "listed" not in message, message


def _our_children() -> set[int]:
    """This process's child processes, zombies included."""
    children: set[int] = set()
    for thread in os.listdir("/proc/self/task"):
        children.update(int(pid) for pid in Path(f"/proc/self/task/{thread}/children").read_text().split())
    return children


def test_a_speed_task_whose_worker_fails_to_start_names_its_side_and_leaves_no_process(tmp_path):
    """The reference's module raises when imported, while the serial baseline's and the learner's workers, all
    started at once, come up: the task fails with the reference's error, said to be the reference's, and once it
    has ended no process it started is left, not even a zombie."""
    import dataclasses

    from grader.grading import Grader, Options
    from grader.suites.saxpy import tasks

    broken, honest = tmp_path / "broken", tmp_path / "honest"
    (broken / "saxpy").mkdir(parents=True)
    (broken / "saxpy" / "threaded.py").write_text("raise ValueError('broken at import')\n")
    (honest / "saxpy").mkdir(parents=True)
    (honest / "saxpy" / "threaded.py").write_text("def saxpy(a, x, y, num_threads=None):\n    return a * x + y\n")
    benchmark = dataclasses.replace(tasks.speed("threaded", n=2**16, kwargs={"num_threads": 2}), rounds=3)
    grader = Grader(
        dataclasses.replace(tasks.ASSIGNMENT, tasks=(benchmark,)), Options(submission=honest, solutions=broken, seed=1)
    )
    before = _our_children()
    result = grader.run_task(benchmark)
    assert re.match(r"reference: raised ValueError: broken at import", result.message), result.message
    assert result.points == 0
    assert _our_children() <= before

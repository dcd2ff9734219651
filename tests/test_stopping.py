"""Stopping the grader stops everything it started (issue 18).

Each case starts the grader on one speed task (the threaded SAXPY one, or graph's MPI BFS under mpiexec), waits
until that task's workers run, stops the grader (SIGTERM, SIGINT, SIGHUP, its own time limit, or SIGKILL), and
checks that no process it started is left (every one carries the case's marker in its environment: bwrap,
mpiexec, hydra_pmi_proxy, the ranks, the workers) and, for every stop it can catch, that it exited with the
documented status and wrote a valid results.json. The driver grades only the speed tasks (it filters the
assignment's tasks), so that a case reaches its speed task in seconds.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from grader import machine

pytestmark = pytest.mark.grader

ROOT = Path(__file__).resolve().parent.parent
# The grader, on the first speed task of the assignment only, made small (SAXPY n = 2^20, R-MAT scale 14):
# the stop comes while its workers set up or time, a few seconds in. Rounds and a rounds budget large enough
# that the timing outlasts every stop, the 15 s time limit included, on a fast machine too.
DRIVER = """
import dataclasses, functools, sys
from grader import cli, grading, timing
from grader.spec import Benchmark

timing.interleaved = functools.partial(timing.interleaved, budget_s=600)

SMALL = {"n": 2**20, "scale": 14}
every_task = grading.Grader.tasks
grading.Grader.tasks = lambda self: [
    dataclasses.replace(t, params={k: SMALL.get(k, v) for k, v in t.params.items()}, rounds=5000)
    for t in every_task(self) if isinstance(t, Benchmark)][:1]
sys.exit(cli.main(sys.argv[1:]))
"""
SPEED_TASKS = {"threaded": ["saxpy", "--variant", "threaded"], "mpi": ["graph", "--variant", "mpi"]}
STOPS = {"SIGTERM": 128 + signal.SIGTERM, "SIGINT": 128 + signal.SIGINT, "SIGHUP": 128 + signal.SIGHUP}


def _marked(marker: str) -> list[str]:
    """What runs with ``marker`` in its environment: 'pid command' for each live process."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
            environ = Path(f"/proc/{pid}/environ").read_bytes()
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if f"STOP_TEST_MARK={marker}".encode() in environ.split(b"\0") and state not in ("Z", "X"):
            found.append(f"{pid} {command[:100]}")
    return found


def _wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def _stop(variant: str, stop: str, tmp: Path, env: dict | None = None) -> dict:
    marker = uuid.uuid4().hex
    results = tmp / f"{variant}-{stop}.json"
    environment = {**os.environ, "STOP_TEST_MARK": marker, **(env or {})}
    grader = subprocess.Popen(
        [sys.executable, "-c", DRIVER, *SPEED_TASKS[variant], "--solutions", "--json", str(results)],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert grader.stdout is not None and grader.stderr is not None  # both piped above
    grader_stderr, grader_stdout = grader.stderr, grader.stdout
    stderr: list[str] = []
    reader = threading.Thread(target=lambda: stderr.extend(grader_stderr), daemon=True)
    reader.start()
    launched = "hydra_pmi_proxy" if variant == "mpi" else "sandbox_child"
    seen: set[str] = set()

    def running() -> bool:
        processes = _marked(marker)
        seen.update(line.split(" ", 1)[1][:60] for line in processes)
        timing = any("speed" in line and line.rstrip().endswith(" ...") for line in stderr)
        return timing and any(launched in line for line in processes)

    started = _wait_for(lambda: running() or grader.poll() is not None, timeout=240) and grader.poll() is None
    if started and stop != "time limit":
        time.sleep(1.0)  # well inside the task: inputs being built, or timed calls
        grader.send_signal(getattr(signal, stop))
    try:
        grader.wait(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(grader.pid, signal.SIGKILL)
        grader.wait()
    reader.join(timeout=10)
    ended = _wait_for(lambda: not _marked(marker), timeout=15)
    return {
        "started": started,
        "seen": sorted(seen),
        "status": grader.returncode,
        "results": results,
        "left": _marked(marker),
        "ended": ended,
        "stderr": "".join(stderr),
        "stdout": grader_stdout.read(),
    }


CASES = [(variant, stop) for variant in SPEED_TASKS for stop in [*STOPS, "SIGKILL"]]
CASES.append(("threaded", "time limit"))


@pytest.fixture(scope="module")
def stopped(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("stopped")
    wanted = [(v, s) for v, s in CASES if v != "mpi" or machine.mpi_launcher() is not None]
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {
            case: pool.submit(_stop, *case, tmp, {"PARLAB_TIME_LIMIT": "15"} if case[1] == "time limit" else None)
            for case in wanted
        }
        return {case: future.result() for case, future in futures.items()}


@pytest.mark.parametrize("variant, stop", CASES)
def test_a_stopped_grader_leaves_nothing_running(stopped, variant, stop):
    if (variant, stop) not in stopped:
        pytest.skip(f"no MPI here ({machine.MPI_INSTALL_HINT})")
    outcome = stopped[(variant, stop)]
    assert outcome["started"], (outcome["seen"], outcome["stderr"][-3000:])
    assert outcome["ended"], f"still running after the grader ended: {outcome['left']}"
    if stop == "SIGKILL":
        assert outcome["status"] == -signal.SIGKILL
        return
    assert outcome["status"] == (124 if stop == "time limit" else STOPS[stop]), outcome["stderr"][-3000:]
    results = json.loads(outcome["results"].read_text())  # valid JSON, written although the grader was stopped
    assert results["score"] == 0
    assert "not graded" in json.dumps(results)
    assert "Traceback" not in outcome["stderr"]
    last = outcome["stderr"].strip().splitlines()[-1]
    assert last.startswith("grader: ") and "every process it started was ended" in last, last


def test_leftovers_of_a_killed_run_are_ended_at_the_next_start(tmp_path):
    """Without namespaces nothing tears the workers down with a SIGKILLed grader but their parent-death
    signals; what still runs (an MPI launcher's ranks, say) carries the dead run's token, and the next run of
    this checkout ends it and says so in one line."""
    outcome = _stop("mpi" if machine.mpi_launcher() else "threaded", "SIGKILL", tmp_path, {"PARLAB_SANDBOX": "off"})
    assert outcome["started"], outcome["stderr"][-3000:]
    good = ROOT / "tests" / "planted" / "good"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "grader",
            "saxpy",
            "--submission",
            str(good),
            "--variant",
            "simd",
            "--quick",
            "--examples",
            "1",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PARLAB_SANDBOX": "off"},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert not outcome["left"] or "left running by" in run.stderr
    assert _wait_for(lambda: not outcome["left"] or not _marked_any(outcome["left"]), timeout=10)


def _marked_any(lines: list[str]) -> list[str]:
    alive = []
    for line in lines:
        pid = line.split()[0]
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            continue
        if state not in ("Z", "X"):
            alive.append(line)
    return alive


@pytest.mark.parametrize("path", ["/proc/self/status", "/sys/kernel/notes", "{tmp}"])
def test_a_results_path_that_cannot_be_a_regular_file_is_refused(path, tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "grader", "saxpy", "--quick", "--json", path.format(tmp=tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2 and run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "it is not, and cannot be, a regular file" in lines[0], run.stderr

"""The planted attacks through the Gradescope bundle: ``run_autograder``, set up with the paths it documents.

A bundle of SAXPY (``--quick``) is built once; each case stages one planted ``threaded.py`` next to the good
``simd.py`` as the student's upload and runs ``run_autograder`` as Gradescope would (as root). The planted
task fails with its reason, the simd task passes, and results.json is the grader's, also seconds after the
grader has exited (when the escaped writers of the planted cases would strike).
"""

from __future__ import annotations

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

pytestmark = [
    pytest.mark.grader,
    pytest.mark.skipif(os.geteuid() != 0, reason="the OS boundary needs root (Gradescope runs as root)"),
]

ROOT = Path(__file__).resolve().parent.parent
PLANTED = ROOT / "tests" / "planted"
CASES = {
    "dir_fd_read": r"could not read the solutions: (No such file or directory|Permission denied)",
    "signal_grader": r"could not signal the grader",
    "env_cleared_escape": r"started another process",
}


def _autograde(bundle: Path, root: Path, case: str) -> dict:
    upload = root / "submission" / "saxpy"
    upload.mkdir(parents=True)
    shutil.copy(PLANTED / case / "saxpy" / "threaded.py", upload / "threaded.py")
    shutil.copy(PLANTED / "good" / "saxpy" / "simd.py", upload / "simd.py")
    env = {
        **os.environ,
        "AUTOGRADER_ROOT": str(root),
        "AUTOGRADER_SOURCE": str(bundle),
        "AUTOGRADER_PYTHON": sys.executable,
        "PARLAB_CALL_TIME_LIMIT": "20",
    }
    run = subprocess.run([str(bundle / "run_autograder")], env=env, capture_output=True, text=True, timeout=600)
    return {"run": run, "results": root / "results" / "results.json", "finished": time.monotonic()}


@pytest.fixture(scope="module")
def autograded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bundle")
    bundle = tmp / "bundle"
    built = subprocess.run(
        [sys.executable, "-m", "grader", "bundle", str(bundle), "--assignments", "saxpy", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {case: pool.submit(_autograde, bundle, tmp / case, case) for case in CASES}
        return {case: future.result() for case, future in futures.items()}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_planted_submission_fails_only_its_task_through_run_autograder(autograded, case):
    outcome = autograded[case]
    assert outcome["run"].returncode == 0, outcome["run"].stderr[-2000:]
    time.sleep(max(0.0, outcome["finished"] + 4.0 - time.monotonic()))  # past the escaped writers' delays
    results = json.loads(outcome["results"].read_text())
    tests = {test["name"]: test for test in results["tests"]}
    planted = tests["saxpy · threaded · correctness"]
    assert planted["status"] == "failed" and planted["score"] == 0
    assert re.search(CASES[case], planted["output"]), planted["output"]
    assert tests["saxpy · simd · correctness"]["status"] == "passed"
    assert "forged" not in json.dumps(results)

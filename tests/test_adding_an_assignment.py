"""Adding an assignment is three folders and no edit of the grader (grader/README.md, "Adding an assignment").

The checkout is copied to a temporary directory (the files git knows, nothing ignored), the toy assignment
of tests/toy_assignment/ is laid over the copy (grader/suites/toy/, assignments/toy/, solutions/toy/), and
the copy's own grader lists it and grades it end to end: the reference passes correctness and is timed and
scored, the starter fails with "not implemented" and a pointer to its TODO. Every file the copy shares with the
checkout is left as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOY = Path(__file__).resolve().parent / "toy_assignment"
TOY_FOLDERS = ("grader/suites/toy", "assignments/toy", "solutions/toy")

pytestmark = pytest.mark.grader


def _checkout_files() -> list[str]:
    """The checkout's files as a clone has them, plus new files not yet committed (git's view)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [
        name
        for name in listed.split("\0")
        if name and (ROOT / name).is_file() and not name.startswith("tests/toy_assignment/")
    ]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def copied():
    """The copy, and the digest of each file copied from the checkout as it was copied.

    Not in pytest's tmp_path: that is private to this user (0700), and the sandbox runs learner code as
    another user, who must be able to read the checkout (instructors/README.md)."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout (the copy is made of the files git knows)")
    copy, digests = Path(tempfile.mkdtemp(prefix="parlab-toy-")), {}
    copy.chmod(0o755)
    for name in _checkout_files():
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, copy / name)
        digests[name] = _digest(copy / name)
    for folder in TOY_FOLDERS:
        assert not (copy / folder).exists(), f"{folder} exists already: the toy must be new"
        shutil.copytree(TOY / folder, copy / folder)
    yield copy, digests
    shutil.rmtree(copy, ignore_errors=True)


@pytest.fixture
def copy(copied) -> Path:
    return copied[0]


def _grader(copy: Path, *args: str) -> subprocess.CompletedProcess:
    """The copy's own grader: run from the copy, importing the copy (not this checkout)."""
    env = {**os.environ, "PYTHONPATH": str(copy)}
    return subprocess.run(
        [sys.executable, "-m", "grader", *args], cwd=copy, env=env, capture_output=True, text=True, timeout=900
    )


def test_the_copy_runs_its_own_grader(copy):
    run = subprocess.run(
        [sys.executable, "-c", "import grader; print(grader.__file__)"],
        cwd=copy,
        env={**os.environ, "PYTHONPATH": str(copy)},
        capture_output=True,
        text=True,
    )
    assert Path(run.stdout.strip()).is_relative_to(copy), run.stdout + run.stderr


def test_list_shows_the_new_assignment_and_its_tasks(copy):
    run = _grader(copy, "list")
    assert run.returncode == 0, run.stderr
    assert "7  toy" in run.stdout and "Toy: double(x)  [3 points]" in run.stdout
    assert "threaded  correctness (2), speed (1)" in run.stdout


def test_the_reference_solution_is_graded_end_to_end(copy, tmp_path):
    """Correctness earns its points; the speed task is timed against the reference and scored. Its points
    are a timing (the reference against itself, 1.0x but for the machine's noise), so they are not asserted;
    the exit status says whether every point was earned."""
    results = tmp_path / "results.json"
    run = _grader(copy, "toy", "--solutions", "--json", str(results))
    report = json.loads(results.read_text())
    tests = {test["name"]: test for test in report["tests"]}
    assert list(tests) == ["toy · threaded · correctness", "toy · threaded · speed"], run.stdout + run.stderr
    correctness, speed = tests.values()
    assert (correctness["status"], correctness["score"], correctness["max_score"]) == ("passed", 2, 2)
    assert speed["max_score"] == 1 and "the time of the reference" in speed["output"], speed
    assert speed["extra_data"]["timings"]["reference_measured"] is True
    assert run.returncode == (0 if report["score"] == 3 else 1), run.stdout + run.stderr


def test_the_starter_fails_not_implemented_with_a_pointer_to_its_todo(copy):
    run = _grader(copy, "7")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "not implemented: TODO in assignments/toy/threaded.py:9" in run.stdout, run.stdout
    assert "not timed until correct" in run.stdout and "score 0/3" in run.stdout


def test_no_file_of_the_checkout_was_edited(copied):
    # runs last in this module: grading has written what it writes (caches, results) by now
    copy, digests = copied
    changed = [name for name, digest in digests.items() if _digest(copy / name) != digest]
    assert not changed, changed

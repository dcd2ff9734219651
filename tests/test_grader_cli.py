"""The command line: usage errors are one line and exit 2; list; the exit status follows the verdicts."""

from pathlib import Path

import pytest

from grader import registry

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.grader


@pytest.mark.parametrize(
    "args, says",
    [
        (["assignment9"], "unknown assignment 'assignment9'"),
        (["nonsense"], "unknown assignment 'nonsense'"),
        (["saxpy", "--variant", "gpu"], "unknown variant 'gpu'"),
        (["saxpy", "--submission", "/no/such/dir"], "no such directory"),
        (["saxpy", "--solutions", "--submission", "."], "not both"),
        (["saxpy", "--seed", "abc"], "invalid int value"),
        (["saxpy", "--json", "/no/such/dir/results.json"], "not a writable directory"),
        ([], "required: assignment"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(grader, args, says):
    run = grader(*args)
    assert run.returncode == 2
    assert run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("grader: ") and says in lines[0], run.stderr


def test_list_names_every_assignment_folder_and_the_saxpy_tasks(grader):
    run = grader("list")
    assert run.returncode == 0
    folders = [path.parent.name for path in sorted((ROOT / "grader" / "suites").glob("*/tasks.py"))]
    assert "saxpy" in folders
    for name in folders:
        assert f"{registry.load(name).number}  {name} " in run.stdout
    assert "threaded  correctness (6), speed (4)" in run.stdout


@pytest.mark.parametrize("alias", ["2", "assignment2", "saxpy", "SAXPY"])
def test_assignment_aliases_mean_the_same(grader, alias):
    run = grader(alias, "--variant", "threaded", "--quick", "--solutions", "--examples", "2")
    assert run.returncode == 0, run.stderr
    assert "Assignment 2: SAXPY" in run.stdout


def test_the_seed_is_printed_and_reproduces_the_run(grader):
    first = grader("saxpy", "--variant", "simd", "--quick", "--solutions", "--seed", "42")
    assert "seed 42" in first.stdout and "seed 42" in first.stderr

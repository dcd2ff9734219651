"""The grader's settings: every PARLAB_* name in the project is declared (and documented) in
grader/settings.py, and a bad value of one is a usage error, one line and exit 2, before anything runs."""

import re
from pathlib import Path

import pytest

from grader import settings

pytestmark = pytest.mark.grader

ROOT = Path(__file__).resolve().parent.parent
SEARCHED = ("grader", "tests", "instructors", ".ci", "README.md", "pyproject.toml")


def _names_used() -> dict[str, str]:
    """Every PARLAB_* name written in the project's code and docs -> one file that writes it."""
    found: dict[str, str] = {}
    for top in SEARCHED:
        paths = [ROOT / top] if (ROOT / top).is_file() else sorted((ROOT / top).rglob("*"))
        for path in paths:
            if path == Path(__file__).resolve():
                continue  # it names a misspelt setting on purpose
            if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".png"):
                for name in re.findall(r"\bPARLAB_[A-Z_]*[A-Z]\b", path.read_text(errors="replace")):
                    found.setdefault(name, str(path.relative_to(ROOT)))
    return found


def test_every_parlab_name_in_the_project_is_declared_in_settings():
    declared = {variable.name for variable in settings.USER_VARIABLES + settings.CHILD_VARIABLES}
    undeclared = {name: where for name, where in _names_used().items() if name not in declared}
    assert not undeclared, f"PARLAB_* names not declared in grader/settings.py: {undeclared}"


def test_every_setting_says_what_it_does():
    for variable in settings.USER_VARIABLES + settings.CHILD_VARIABLES:
        assert variable.name.startswith("PARLAB_") and len(variable.meaning) > 20, variable


@pytest.mark.parametrize(
    "name, value, says",
    [
        ("PARLAB_CALL_TIME_LIMIT", "abc", "must be a positive number of seconds"),
        ("PARLAB_CALL_TIME_LIMIT", "-5", "must be a positive number of seconds"),
        ("PARLAB_CALL_TIME_LIMIT", "nan", "must be a positive number of seconds"),
        ("PARLAB_MEMORY_LIMIT_MB", "0", "must be a positive number of MiB"),
        ("PARLAB_TIME_LIMIT", "10s", "must be a positive number of seconds"),
        ("PARLAB_NO_GPU", "yes", "must be 1 or 0"),
        ("PARLAB_SANDBOX", "docker", "must be one of auto, bwrap, uid, off"),
        ("PARLAB_TRUSTED_UID", "0", "must be a user id"),
        ("PARLAB_CALL_TIMELIMIT", "5", "PARLAB_CALL_TIMELIMIT is not a setting of the grader"),
        ("PARLAB_MPI", "1", "only the grader sets it, for its workers"),
    ],
)
def test_a_bad_setting_is_one_usage_error_line_and_exit_2(grader, name, value, says):
    run = grader("saxpy", "--quick", "--variant", "threaded", env={name: value})
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"grader: {name}") and says in lines[0], run.stderr


@pytest.mark.parametrize(
    "name, value, expected",
    [
        ("PARLAB_CALL_TIME_LIMIT", " 2.5 ", 2.5),
        ("PARLAB_MEMORY_LIMIT_MB", "512", 512.0),
        ("PARLAB_NO_MPI", "0", False),
        ("PARLAB_NO_MPI", "1", True),
        ("PARLAB_SANDBOX", "OFF", "off"),
        ("PARLAB_TRUSTED_UID", "65533", 65533),
        ("PARLAB_TIME_LIMIT", "", None),
    ],
)
def test_good_settings_are_read_as_their_values(name, value, expected):
    variable = next(v for v in settings.USER_VARIABLES if v.name == name)
    assert variable.read({name: value}) == expected
    settings.check_environment({name: value})  # and the whole environment is accepted

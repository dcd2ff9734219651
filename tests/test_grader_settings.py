"""The grader's settings: every PARLAB_* name in the project is declared (and documented) in
grader/settings.py, and a bad value of one is a usage error, one line and exit 2, before anything runs."""

import ast
import os
import re
from pathlib import Path

import pytest

from grader import isolation, sandbox, settings

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


def _names_in_code(path: Path) -> list[str]:
    """The PARLAB_* names a module writes as a whole string in its code (a key it reads or sets), not in
    its docstrings or in messages."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and re.fullmatch(r"PARLAB_[A-Z_]*[A-Z]", node.value)
    ]


def test_only_settings_names_a_parlab_variable_in_the_graders_code():
    """Every other module reads a setting through grader/settings.py (``settings.X.read()``) and writes a
    worker's by ``settings.CHILD_X.name``: one reader, one default and one parsing per variable."""
    named = {
        str(path.relative_to(ROOT)): names
        for path in sorted((ROOT / "grader").rglob("*.py"))
        if path.name != "settings.py" and (names := _names_in_code(path))
    }
    assert not named, f"PARLAB_* names in code outside grader/settings.py: {named}"


def test_the_cache_directories(monkeypatch, tmp_path):
    """PARLAB_CACHE_DIR when set, for both; else the user's ~/.cache/parlab, and /var/cache/parlab for the
    cache that a grader running as root shares with the trusted uid (instructors/README.md)."""
    monkeypatch.setenv("PARLAB_CACHE_DIR", str(tmp_path / "chosen"))
    assert settings.cache_root() == settings.shared_cache_root() == tmp_path / "chosen"
    monkeypatch.delenv("PARLAB_CACHE_DIR")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert settings.cache_root() == tmp_path / "home" / ".cache" / "parlab"
    assert settings.shared_cache_root() == Path("/var/cache/parlab")


def test_unset_settings_read_as_their_documented_defaults():
    assert settings.SANDBOX.read({}) == "auto"
    assert settings.TRUSTED_UID.read({}) == 65533
    assert settings.CALL_TIME_LIMIT.read({}) is None  # no cap
    assert settings.TRACEBACK.read({}) is False
    assert settings.CHILD_MEMORY_LIMIT.read({}) == 0  # no limit
    assert settings.CHILD_PROTECTED.read({}) == ()


def test_a_variable_the_parent_must_set_is_an_error_when_unset():
    with pytest.raises(settings.SettingError, match="PARLAB_WORKER_GID is not set"):
        settings.CHILD_WORKER_GID.require({"PARLAB_WORKER_UID": "10000001"})
    assert settings.CHILD_WORKER_GID.require({"PARLAB_WORKER_GID": " 10000002 "}) == 10000002
    with pytest.raises(settings.SettingError, match="must be an integer"):
        settings.CHILD_WORKER_GID.require({"PARLAB_WORKER_GID": "staff"})


def test_what_the_parent_writes_for_a_worker_the_worker_reads_back(monkeypatch, tmp_path):
    """A learner's worker in the namespaces mode under MPI, pinned to a core: every variable the parent
    sets for it is one of settings' CHILD_VARIABLES, each of them is set, and each reads back as the value
    the parent meant."""
    protected = {f"{tmp_path}/results.json", f"{tmp_path}/report.xml"}
    monkeypatch.setattr(sandbox, "_PROTECTED_PATHS", protected)
    made = isolation.Boundary(isolation.Mode.NAMESPACES, "", tmp_path, "run-token", bwrap="/usr/bin/bwrap")
    worker = sandbox.Worker(
        sandbox.Source.learner(tmp_path, "saxpy", "threaded"),
        sandbox.Limits(memory_bytes=3 * 2**30, output_bytes=5 * 2**20),
        sandbox.WorkerOptions(pin_cpu=1, ranks=2),
    )
    worker.uid = 10_000_001
    try:
        env = worker._environment(made, tmp_path, tmp_path / "cache", 10_000_002)
    finally:
        worker._tmp.cleanup()
    set_here = {name for name in env if name.startswith("PARLAB_") and name not in os.environ}
    assert set_here == {variable.name for variable in settings.CHILD_VARIABLES}
    read = {variable.name: variable.read(env) for variable in settings.CHILD_VARIABLES}
    assert read == {
        "PARLAB_MEMORY_LIMIT": 3 * 2**30,
        "PARLAB_OUTPUT_LIMIT": 5 * 2**20,
        "PARLAB_PIN_CPU": 1,
        "PARLAB_MPI": True,
        "PARLAB_PROTECTED": tuple(sorted(protected)),
        "PARLAB_SANDBOX_TOKEN": "run-token",
        "PARLAB_SHOWN_CWD": os.getcwd(),
        "PARLAB_NAMESPACED": True,
        "PARLAB_WORKER_UID": 10_000_001,
        "PARLAB_WORKER_GID": 10_000_002,
    }

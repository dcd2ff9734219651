"""The assignments are named in one place, the registry (grader/registry.py, which reads each suite's
tasks.py): none of the files that adding an assignment would otherwise have to touch (the grader outside its
suites, the READMEs, the instructors' files, CI, the packaging, the tests' conftest) keeps a list of their
names, and README.md's assignment table (written for readers) says what the registry says, number for number,
in order. An assignment's own folders and tests name it, as they should."""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import pytest

from grader import registry

ROOT = Path(__file__).resolve().parent.parent
NAMES = frozenset(registry.names())
TEXT_SUFFIXES = {".md", ".toml", ".yml", ".yaml", ".cfg", ".txt", ".sh", ""}
SHARED = ("grader", "instructors", ".ci", "README.md", "pyproject.toml", "tests/conftest.py")

pytestmark = pytest.mark.grader


def _shared_files() -> list[Path]:
    """The files of SHARED a clone has, plus new ones not yet committed (without git: every file there),
    less the assignments' own suites (grader/suites/<name>/)."""
    try:
        listed = (
            subprocess.run(
                ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                cwd=ROOT,
                capture_output=True,
                check=True,
            )
            .stdout.decode()
            .split("\0")
        )
        paths = [ROOT / name for name in listed if name]
    except (OSError, subprocess.CalledProcessError):
        paths = list(ROOT.rglob("*"))
    shared = [ROOT / top for top in SHARED]
    return [
        path
        for path in paths
        if path.is_file()
        and "__pycache__" not in path.parts
        and any(path == top or top in path.parents for top in shared)
        and (ROOT / "grader" / "suites") not in path.parents
    ]


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings (prose may name several assignments)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _lists_in_python(path: Path, source: str) -> list[str]:
    """Sequence literals holding two or more assignment names, and strings (not docstrings) naming three."""
    try:
        tree = ast.parse(source, filename=str(path))
    except SyntaxError:  # a planted broken submission: nothing reads a list from it
        return []
    docstrings, found = _docstrings(tree), []
    for node in ast.walk(tree):
        if isinstance(node, (ast.List, ast.Tuple, ast.Set, ast.Dict)):
            items = node.keys if isinstance(node, ast.Dict) else node.elts
            named = {item.value for item in items if isinstance(item, ast.Constant) and item.value in NAMES}
            if len(named) >= 2:
                found.append(f"line {node.lineno}: {sorted(named)}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            named = set(re.findall(r"[a-z]+", node.value)) & NAMES
            if len(named) >= 3:
                found.append(f"line {node.lineno}: {sorted(named)} in a string")
    return found


def _lists_in_text(text: str) -> list[str]:
    """Lines naming three or more assignments."""
    return [
        f"line {number}: {line.strip()[:80]}"
        for number, line in enumerate(text.splitlines(), 1)
        if len(set(re.findall(r"\b[a-z]+\b", line)) & NAMES) >= 3
    ]


def test_no_file_but_the_registry_keeps_a_list_of_the_assignment_names():
    assert len(NAMES) >= 3, "the check needs three names to look for"
    offenders = {}
    for path in _shared_files():
        if path == ROOT / "grader" / "registry.py":
            continue
        text = path.read_text(errors="replace") if path.suffix in TEXT_SUFFIXES | {".py"} else None
        if text is None:
            continue
        found = _lists_in_python(path, text) if path.suffix == ".py" else _lists_in_text(text)
        if found:
            offenders[str(path.relative_to(ROOT))] = found
    assert not offenders, f"lists of assignment names outside grader/registry.py: {offenders}"


def test_the_check_finds_a_hand_kept_list():
    assert _lists_in_python(Path("x.py"), 'ASSIGNMENTS = ("saxpy", "scan")\n')
    assert _lists_in_python(Path("x.py"), 'HELP = "mandelbrot, saxpy, scan or render"\n')
    assert not _lists_in_python(Path("x.py"), '"""SAXPY, scan and render share the checks."""\n')
    assert _lists_in_text("python -m grader saxpy|scan|render")


def _readme_table() -> list[tuple[int, str]]:
    """README.md's assignment table as (number, name) rows: ``| 2 | `saxpy` | ...``."""
    rows = re.findall(r"^\|\s*(\d+)\s*\|\s*`([a-z0-9_]+)`\s*\|", (ROOT / "README.md").read_text(), flags=re.M)
    return [(int(number), name) for number, name in rows]


def test_the_readme_table_lists_the_registrys_assignments_in_order():
    expected = [(assignment.number, name) for name, assignment in registry.assignments().items()]
    assert _readme_table() == expected

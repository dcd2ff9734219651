"""grader/README.md's module table names every module of the grader (a new module without a row fails here),
and every row names a module that exists."""

import re
from pathlib import Path

import pytest

GRADER = Path(__file__).resolve().parent.parent / "grader"

pytestmark = pytest.mark.grader


def test_the_module_table_lists_every_module_of_the_grader():
    readme = (GRADER / "README.md").read_text()
    readme = readme[readme.index("## The modules") : readme.index("One package per assignment")]  # the first table
    listed = set(re.findall(r"^\| `([a-z_/]+\.py)` \|", readme, flags=re.MULTILINE))
    modules = {
        str(path.relative_to(GRADER))
        for path in GRADER.rglob("*.py")
        if "suites" not in path.relative_to(GRADER).parts[:1] and path.name != "__init__.py"
    }
    modules.add("suites/__init__.py")
    assert sorted(modules - listed) == [], "modules without a row in grader/README.md"
    assert sorted(listed - modules) == [], "rows of grader/README.md naming no module"

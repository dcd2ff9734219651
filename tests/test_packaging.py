"""The package as it is shipped: an sdist that holds the handouts and what `pytest` needs, whose tests run from
the unpacked copy; metadata that says what the project is; extras that install what they promise."""

from __future__ import annotations

import ast
import email
import importlib.metadata
import importlib.util
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import tomllib

pytestmark = pytest.mark.ci

ROOT = Path(__file__).resolve().parent.parent
FAST_TESTS = ["tests/test_reports.py", "tests/test_grader_results.py"]  # seconds, and they read tests/schemas/


@pytest.fixture(scope="module")
def sdist(tmp_path_factory) -> Path:
    """The sdist built from this checkout (no build isolation: no download), unpacked."""
    out = tmp_path_factory.mktemp("sdist")
    if importlib.util.find_spec("build") is not None:
        command = [sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", str(out), str(ROOT)]
    else:  # setuptools' own backend, as build would call it
        command = [sys.executable, "-c", "import sys, setuptools.build_meta as b; b.build_sdist(sys.argv[1])", str(out)]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    (archive,) = out.glob("parlab-*.tar.gz")
    with tarfile.open(archive) as tar:
        tar.extractall(out, filter="data")
    (unpacked,) = [path for path in out.iterdir() if path.is_dir()]
    return unpacked


def test_the_sdist_holds_the_handouts_and_what_pytest_needs(sdist):
    for needed in (
        "LICENSE",
        "README.md",
        "pyproject.toml",
        "tests/conftest.py",
        "tests/support.py",
        "tests/planted/README.md",
        "tests/planted/good/saxpy/simd.py",
        "tests/schemas/gradescope-results.schema.json",
        "tests/schemas/junit-10.xsd",
        "instructors/README.md",
        "instructors/github/grade.yml",
        "grader/README.md",
    ):
        assert (sdist / needed).is_file(), needed
    for handout in (ROOT / "assignments").glob("*/README.md"):
        assert (sdist / handout.relative_to(ROOT)).is_file(), handout
    assert not list(sdist.rglob("__pycache__")) and not list(sdist.rglob("*.nbi"))


def test_tests_run_from_the_unpacked_sdist_against_its_own_grader(sdist):
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    where = subprocess.run(
        [sys.executable, "-c", "import grader; print(grader.__file__)"],
        cwd=sdist,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where).resolve().is_relative_to(sdist.resolve()), where  # not this checkout's grader
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *FAST_TESTS],
        cwd=sdist,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and "skipped" not in run.stdout.splitlines()[-1], run.stdout[-500:]


def test_the_metadata_says_what_the_project_is(sdist):
    metadata = email.message_from_string((sdist / "PKG-INFO").read_text())
    assert metadata["License-Expression"] == "MIT" and "LICENSE" in metadata.get_all("License-File")
    classifiers = metadata.get_all("Classifier")
    assert "Intended Audience :: Education" in classifiers
    assert any(c.startswith("Programming Language :: Python :: 3.") for c in classifiers)
    assert {"dev", "gpu", "gpu-cu12", "mpi"} <= set(metadata.get_all("Provides-Extra"))


def _requirement_names(requirements: list[str]) -> set[str]:
    return {
        re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-") for requirement in requirements
    }


def _imported_modules(paths) -> set[str]:
    found = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module is not None:
                found.add(node.module.split(".")[0])
            elif (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", "") == "importorskip"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value.split(".")[0])
    return found


def test_the_dev_extra_installs_every_package_the_tests_import():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    installed = _requirement_names(project["dependencies"] + extras["dev"])
    # the checkout's own packages (grader, assignments, solutions, benchmarks) and the tests' helpers
    ours = {path.parent.name for path in ROOT.glob("*/__init__.py")} | {"support", "conftest"}
    ours |= {path.stem for path in (ROOT / "tests").glob("*.py")}
    # what an extra for a GPU (or for PyTorch) provides: the tests that import it are marked and skip without it
    elsewhere = {"cupy": "gpu", "torch": "torch"}
    distributions = importlib.metadata.packages_distributions()
    missing = []
    for module in sorted(_imported_modules((ROOT / "tests").rglob("test_*.py")) - ours - set(sys.stdlib_module_names)):
        names = {name.lower().replace("_", "-") for name in distributions.get(module, [module])}
        if not names & installed and elsewhere.get(module) not in extras:
            missing.append(f"{module} (from {', '.join(sorted(names))})")
    assert not missing, f"the tests import what pip install -e '.[dev]' does not install: {missing}"


def test_the_gpu_extra_is_on_one_cuda_major():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for extra, major in (("gpu", "13"), ("gpu-cu12", "12")):
        requirements = " ".join(extras[extra])
        assert f"numba-cuda[cu{major}]" in requirements and f"cupy-cuda{major}x" in requirements, extra

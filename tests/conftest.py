"""Shared test fixtures: running the grader as a learner would, and GPU/MPI skips with reasons."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader import machine, registry, simulator

if machine.cuda_gpu() is None:
    # Without a GPU, CUDA code imported by the tests runs on numba's simulator. This must be set before
    # numba.cuda is first imported anywhere in the test session.
    os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")
simulator.quicken()

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config):
    for name, assignment in registry.assignments().items():
        config.addinivalue_line("markers", f"{name}: assignment {assignment.number}, {assignment.title}")


def _assignment_of(item) -> str | None:
    """``tests/test_<name>.py`` and ``tests/test_<name>_*.py`` test assignment <name>."""
    stem = item.path.stem.removeprefix("test_")
    return next((name for name in registry.names() if stem == name or stem.startswith(f"{name}_")), None)


def pytest_collection_modifyitems(config, items):
    for item in items:
        name = _assignment_of(item)
        if name:
            item.add_marker(getattr(pytest.mark, name))
    no_gpu = pytest.mark.skip(reason="no CUDA GPU on this machine (run these on the GPU machine)")
    no_mpi = pytest.mark.skip(reason=f"no MPI here ({machine.MPI_INSTALL_HINT})")
    for item in items:
        if "gpu" in item.keywords and machine.cuda_gpu() is None:
            item.add_marker(no_gpu)
        if "mpi" in item.keywords and machine.mpi_launcher() is None:
            item.add_marker(no_mpi)


def run_grader(*args: str, timeout: float = 600, env: dict | None = None) -> subprocess.CompletedProcess:
    """``python -m grader ARGS`` in a child process, as a learner runs it; returns the completed process."""
    return subprocess.run(
        [sys.executable, "-m", "grader", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def grader():
    return run_grader

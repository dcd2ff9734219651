"""Assignment 5 (graph), MPI variant: the reference at 1, 2 and 4 ranks against the oracle, and the starter."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.mpi

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _mpiexec():
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        pytest.skip('mpi4py is not installed (pip install -e ".[mpi]")')
    launcher = shutil.which("mpiexec")
    if launcher is None:
        pytest.skip('no mpiexec here (pip install -e ".[mpi]")')
    return launcher


@pytest.mark.parametrize("ranks", [1, 2, 4])
def test_reference_agrees_with_the_oracle(ranks):
    done = subprocess.run(
        [_mpiexec(), "-n", str(ranks), sys.executable, "-m", "grader.mpi_launch", "check"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env=dict(os.environ, NUMBA_NUM_THREADS="1"),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"on {ranks} ranks: 0 wrong" in done.stdout


def test_starter_fails_the_check_with_todo():
    done = subprocess.run(
        [_mpiexec(), "-n", "2", sys.executable, "-m", "grader.mpi_launch", "check", "assignments.graph.mpi"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode != 0
    assert "TODO" in done.stdout + done.stderr

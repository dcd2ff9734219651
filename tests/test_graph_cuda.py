"""Assignment 5 (graph), CUDA variant: the reference kernels on numba's simulator (tiny graphs) and on a GPU."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

SIMULATOR_SCRIPT = r"""
import numpy as np
from grader.spec import Mismatch
from grader.suites.graph import tasks as spec
from grader.suites.graph.cases import GraphCase
from solutions.graph import cuda as reference
from assignments.graph import cuda as starter
from assignments.graph.common import chain
from tests.support import LocalCall

# tiny graphs: one or two blocks of threads on the simulator
for case in [GraphCase("chain", 4, 0, False, 0, 0), GraphCase("broom", 9, 0, True, 1, 2),
             GraphCase("star", 6, 5, False, 2, 3), GraphCase("random", 7, 3, True, 3, 1)]:
    spec.check_bfs(LocalCall(reference, "cuda"), case)
    spec.check_pagerank(LocalCall(reference, "cuda"), case)

# a kernel that drops the dangling mass is caught
broken = LocalCall(reference, "cuda", pagerank=lambda g, **k: np.full(g.num_vertices, 1.0 / g.num_vertices))
try:
    spec.check_pagerank(broken, GraphCase("star", 6, 5, False, 2, 3))
    raise SystemExit("a wrong pagerank passed the check")
except Mismatch:
    pass

for function in ("bfs_top_down", "bfs_bottom_up", "bfs_hybrid"):
    try:
        getattr(starter, function)(chain(3), 0)
        raise SystemExit(f"starter {function} did not raise")
    except NotImplementedError as todo:
        assert "TODO" in str(todo)
try:
    starter.pagerank(chain(3))
    raise SystemExit("starter pagerank did not raise")
except NotImplementedError:
    pass
print("simulator ok")
"""


def test_reference_kernels_on_the_simulator_and_starters_raise_todo():
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    done = subprocess.run(
        [sys.executable, "-c", SIMULATOR_SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    assert done.returncode == 0 and "simulator ok" in done.stdout, done.stdout + done.stderr


def _gpu_available() -> bool:
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        return False
    try:
        from numba import cuda

        return cuda.is_available()
    except Exception:
        return False


@pytest.mark.gpu
@pytest.mark.skipif(not _gpu_available(), reason="no CUDA GPU here")
def test_reference_kernels_on_a_gpu_agree_with_the_oracle():
    from grader.spec import Profile
    from grader.suites.graph import cases as strategies
    from grader.suites.graph import tasks as spec
    from solutions.graph import cuda as reference
    from support import LocalCall

    for case in strategies.edge_cases(Profile("gpu")):
        spec.check_bfs(LocalCall(reference, "cuda"), case)
        spec.check_pagerank(LocalCall(reference, "cuda"), case)

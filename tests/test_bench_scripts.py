"""The handouts' tools: each CPU bench script takes --n and --threads and shows the serial baseline, numpy where
there is a numpy way, and the variants side by side (here the reference's, tiny inputs, one round); the GPU
scripts say in one line that there is no GPU, and exit with status 2, never a traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# script -> (its tiny --n, the rows that must be timed with both thread counts asked for)
CPU_SCRIPTS = {
    "saxpy": (
        "5000",
        ["serial loop", "numpy a \\* x \\+ y", "threaded saxpy, 1 threads", "threaded saxpy, 2 threads", "simd saxpy"],
    ),
    "scan": (
        "5000",
        [
            "serial loop",
            "numpy",
            "threaded exclusive_scan, 2 threads",
            "threaded find_repeats, 1 threads",
            "simd find_repeats",
        ],
    ),
    "mandelbrot": (
        "64",
        ["serial loop", "numpy", "threaded mandelbrot, 1 threads", "threaded mandelbrot, 2 threads", "simd mandelbrot"],
    ),
    "render": ("64", ["serial renderer", "threaded render, 2 threads", "simd render"]),
    "graph": ("10", ["scipy BFS", "threaded bfs_hybrid, 1 threads", "threaded pagerank, 2 threads", "simd bfs_hybrid"]),
}


def _run(module: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env=os.environ | env,
        check=False,
    )


@pytest.mark.parametrize("name", sorted(CPU_SCRIPTS))
def test_a_cpu_bench_script_shows_serial_numpy_and_the_variants_side_by_side(name):
    n, rows = CPU_SCRIPTS[name]
    run = _run(f"assignments.{name}.bench_cpu", "--solutions", "--n", n, "--threads", "1", "2", "--rounds", "1")
    assert run.returncode == 0, run.stdout + run.stderr
    for row in rows:  # each row timed: its name, then milliseconds
        assert re.search(rf"^{row}.*?\s\d+\.\d\d\s", run.stdout, re.MULTILINE), (row, run.stdout)


@pytest.mark.parametrize("name", ["saxpy", "scan"])
def test_a_gpu_bench_script_without_a_gpu_says_so_in_one_line(name):
    run = _run(f"assignments.{name}.bench_gpu", PARLAB_NO_GPU="1")
    assert run.returncode == 2
    assert run.stdout == "" and run.stderr.count("\n") == 1 and "no CUDA GPU here" in run.stderr

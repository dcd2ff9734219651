"""grader/simulator.py: on numba's CUDA simulator every thread of a block gets the same shared array, even when
a thread switch falls inside the array's allocation, in any process that calls ``simulator.quicken()``."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from numba import cuda, int32, int64

from grader import simulator

ROOT = Path(__file__).resolve().parent.parent
THREADS = 8

pytestmark = pytest.mark.skipif(not simulator.enabled(), reason="tests numba's CUDA simulator (NUMBA_ENABLE_CUDASIM=1)")


class SlowSize:
    """An array size whose conversion to an int sleeps, releasing the GIL: every allocation of a shared array
    of this size is interrupted by a thread switch, between numba's look-up of the call site and its insert."""

    def __init__(self, n: int):
        self.n = n

    def __index__(self) -> int:
        time.sleep(0.02)  # long enough for the other threads to reach the site
        return self.n


@cuda.jit
def _sum_of_shared_slots(size, salt, sums):
    slots = cuda.shared.array(size, int32)
    t = cuda.threadIdx.x
    slots[t] = salt * (t + 1)
    cuda.syncthreads()
    total = int64(0)  # uninitialised slots add up without overflow
    for i in range(cuda.blockDim.x):
        total += slots[i]
    sums[t] = total


def sums_seen_by_each_thread(salt: int) -> list[int]:
    """Each thread of one block writes salt * (t + 1) to its slot of a shared array, then sums every slot: with
    one array for all, each sees salt * (1 + ... + THREADS); a thread on an array of its own sees uninitialised
    memory, and so do the others where its slot should be. (Each test its own salt: numpy may hand a new array
    the memory of one just freed, which holds an earlier launch's slots.)"""
    sums = np.zeros(THREADS, dtype=np.int64)
    _sum_of_shared_slots[1, THREADS](SlowSize(THREADS), salt, sums)
    return sums.tolist()


def one_array(salt: int) -> list[int]:
    return [salt * THREADS * (THREADS + 1) // 2] * THREADS


def test_a_thread_switch_inside_allocation_still_gives_every_thread_one_array():
    assert sums_seen_by_each_thread(salt=3) == one_array(salt=3)


def test_numbas_own_allocation_splits_the_block_under_the_same_switches(monkeypatch):
    # What the test above guards against: without grader/simulator.py's insert, the forced switches do split
    # the block (so a pass above is the fix's doing, not a switch that never happened).
    from numba.cuda.simulator.kernelapi import FakeCUDAShared

    monkeypatch.setattr(FakeCUDAShared, "array", FakeCUDAShared.array.__wrapped__)
    assert sums_seen_by_each_thread(salt=5) != one_array(salt=5), (
        "numba's simulator shared one array despite the switches: if its FakeCUDAShared.array is atomic now, "
        "grader/simulator.py's fix can go"
    )


@pytest.mark.parametrize("numba_first", [False, True], ids=["quicken, then import numba", "import numba, then quicken"])
def test_quicken_fixes_the_allocation_whether_numba_is_imported_before_or_after(numba_first):
    quicken = "from grader import simulator; simulator.quicken()"
    imports = ["import numba.cuda", quicken] if numba_first else [quicken, "import numba.cuda"]
    run_kernel = "from tests.test_simulator import sums_seen_by_each_thread; print(sums_seen_by_each_thread(7))"
    script = "; ".join([*imports, run_kernel])
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(one_array(salt=7))

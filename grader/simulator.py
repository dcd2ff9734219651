"""numba's CUDA simulator: whether it is on, and how to make it run at a useful speed.

The simulator runs every GPU thread of a block as a Python thread, and the launching thread polls them in a
busy loop until all have finished (numba_cuda/numba/cuda/simulator/kernel.py, ``BlockManager.run``). That loop
holds the GIL for CPython's whole switch interval (5 ms by default) before a GPU thread may take a step, so a
block that meets ``cuda.syncthreads()`` a few times costs a quarter of a second. A 0.1 ms interval hands the GIL
over fifty times as often.

Measured on this project's 2-core CI machine (quiet), the reference solutions on the simulator, default
interval -> 0.1 ms:

    graph pagerank, R-MAT of 16 vertices (31 launches)   10.2 s -> 1.2 s
    graph bfs_hybrid, the same graph                      1.7 s -> 0.17 s
    mandelbrot 40x40, max_iters 64 (no barriers)          0.33 s -> 0.34-0.45 s

Shorter still (10 us) is slower again: the threads then spend their time handing the GIL round.
"""

from __future__ import annotations

import os
import sys

SWITCH_INTERVAL_S = 1e-4


def enabled() -> bool:
    """Whether numba.cuda in this process is (or, once imported, will be) the simulator."""
    return os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"


def quicken() -> None:
    """Shorten CPython's thread switch interval when the simulator is on (this process only)."""
    if enabled():
        sys.setswitchinterval(SWITCH_INTERVAL_S)

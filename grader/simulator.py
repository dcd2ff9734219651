"""numba's CUDA simulator: whether it is on, and how to make it run at a useful speed, and correctly at that speed.

**Speed.** The simulator runs every GPU thread of a block as a Python thread, and the launching thread polls them
in a busy loop until all have finished (numba_cuda/numba/cuda/simulator/kernel.py, ``BlockManager.run``). That
loop holds the GIL for CPython's whole switch interval (5 ms by default) before a GPU thread may take a step, so
a block that meets ``cuda.syncthreads()`` a few times costs a quarter of a second. A 0.1 ms interval hands the
GIL over fifty times as often.

Measured on this project's 2-core CI machine (quiet), the reference solutions on the simulator, default
interval -> 0.1 ms:

    graph pagerank, R-MAT of 16 vertices (31 launches)   10.2 s -> 1.2 s
    graph bfs_hybrid, the same graph                      1.7 s -> 0.17 s
    mandelbrot 40x40, max_iters 64 (no barriers)          0.33 s -> 0.34-0.45 s

Shorter still (10 us) is slower again: the threads then spend their time handing the GIL round.

**Shared arrays.** The simulator gives the threads of a launch one array per ``cuda.shared.array`` call site (file
and line) by looking the site up in a dict and, when it is missing, creating the array and inserting it
(kernelapi.py, ``FakeCUDAShared.array``). Look-up and insert are two steps: a thread switch between them, in the
first thread to reach the site, lets another thread look up, miss too and create an array of its own. One of the
two then reads and writes memory no other thread sees, uninitialised, for the launch's first block (later blocks
find the site inserted). In gradings, the scan reference returned 4 wrong elements of 513 (one thread's outputs,
offset by garbage for the tile's prefix), and PageRank's one-vertex case (d = 0.99, tol 1e-10) ran past the 60 s
call limit: a split there starts it from a garbage score (~1e240 when forced), which takes ~57,000 iterations to
decay. Such switches come with the switch interval: a block of 32 threads declaring the scan's four shared arrays,
60 frames deep as in a grading worker, on the 2-core machine at load ~11, had a thread on an array of its own in 17
launches of 8,000 at 0.1 ms and in 0 of 3,000 at 5 ms; 128 threads, in 5 of 2,000 at 0.1 ms.
``_atomic_shared_array`` inserts with ``dict.setdefault``, one step under the GIL, so the first insert wins and
every thread gets that array (0 of 8,000 at 0.1 ms); it also names the site from the caller's frame instead of
``traceback.extract_stack`` (which stats every file on the stack, 25-120 us a call).
"""

from __future__ import annotations

import functools
import importlib.abc
import os
import sys

import numpy as np

SWITCH_INTERVAL_S = 1e-4
_KERNEL_API = "numba.cuda.simulator.kernelapi"  # the module that defines FakeCUDAShared


def enabled() -> bool:
    """Whether numba.cuda in this process is (or, once imported, will be) the simulator."""
    return os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"


def quicken() -> None:
    """When the simulator is on (this process only): shorten CPython's thread switch interval, and make shared
    arrays one per call site for certain (now if the simulator is imported already, else as it is imported, so
    that a process that never uses it does not pay numba's import)."""
    if not enabled():
        return
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    kernel_api = sys.modules.get(_KERNEL_API)
    if kernel_api is not None:
        _install(kernel_api)
    elif not any(isinstance(finder, _InstallOnImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _InstallOnImport())


def _install(kernel_api) -> None:
    """Put ``_atomic_shared_array`` in place of numba's ``FakeCUDAShared.array``, once."""
    shared = kernel_api.FakeCUDAShared
    if not hasattr(shared.array, "__wrapped__"):
        shared.array = _atomic_shared_array(shared.array, kernel_api)


def _atomic_shared_array(numba_array, kernel_api):
    """``FakeCUDAShared.array`` with the look-up and insert of a call site's array in one atomic step."""

    @functools.wraps(numba_array)
    def array(self, shape, dtype, alignment=None):
        if shape == 0 or alignment is not None:
            return numba_array(self, shape, dtype, alignment)  # dynamic shared memory (one buffer), or its error
        if isinstance(dtype, kernel_api.types.Type):
            dtype = kernel_api.numpy_support.as_dtype(dtype)
        caller = sys._getframe(1)
        site = (caller.f_code.co_filename, caller.f_lineno)  # numba's key: the call's file and line
        allocation = self._allocations.get(site)
        if allocation is None:
            allocation = self._allocations.setdefault(site, np.empty(shape, dtype))
        return allocation

    return array


class _InstallOnImport(importlib.abc.MetaPathFinder):
    """Finds numba's simulator kernel API as the finders after it do, and has ``_install`` run on the module as
    soon as its code has run; finds nothing else, and leaves ``sys.meta_path`` at its first call for the API."""

    def find_spec(self, name, path, target=None):
        if name != _KERNEL_API:
            return None
        sys.meta_path.remove(self)
        spec = next(
            (
                found
                for finder in sys.meta_path
                if hasattr(finder, "find_spec") and (found := finder.find_spec(name, path, target)) is not None
            ),
            None,
        )
        if spec is None or spec.loader is None:
            return spec
        run_module = spec.loader.exec_module

        def exec_module(module):
            run_module(module)
            _install(module)

        spec.loader.exec_module = exec_module
        return spec

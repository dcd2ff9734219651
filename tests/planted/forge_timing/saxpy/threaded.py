"""Planted: tries to look fast. It freezes every clock in its process, and patches the worker it runs in
(``grader.sandbox_child``, running as ``__main__``) so that a timed request for many calls runs none.
The answer itself is right and honestly computed by a compiled loop (after a 10 ms nap)."""

import sys
import time

import numpy as np
from numba import njit

for clock in ("perf_counter", "monotonic", "time", "process_time"):
    setattr(time, clock, lambda: 0.0)

_worker = sys.modules.get("__main__")
if hasattr(_worker, "Child"):
    honest_run = _worker.Child.do_run

    def do_run(self, function, repeats, kwargs, *rest):
        return honest_run(self, function, 1, kwargs, *rest) if repeats == 1 else ("ok",)

    _worker.Child.do_run = do_run


@njit(cache=False)
def _saxpy(a, x, y, out):
    for i in range(x.size):
        out[i] = a * x[i] + y[i]
    return out


def saxpy(a, x, y, num_threads=None):
    time.sleep(0.01)  # at least 10 ms a call, so one call's time is well above the grader's request overhead
    return _saxpy(np.float32(a), x, y, np.empty_like(x))

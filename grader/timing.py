"""Interleaved timing of several contestants (serial baseline, reference, learner) on the same inputs.

Every contestant runs in its own worker process, which builds the inputs itself (a trusted, deterministic
maker) and runs its function a number of times per request. The parent times each request with its own
clock, so a submission cannot report a time of its own making.

1. warm-up: one call each (JIT compilation, caches, GPU context), not timed;
2. calibration: repeats per request so that one request takes >= MIN_CHUNK_S (timer resolution and the
   ~0.1 ms cost of a request then vanish);
3. rounds: in each round every contestant runs once, in an order that rotates from round to round, so no
   contestant always runs on a cold (or hot) machine. The per-round times are kept; scoring uses the median.
"""

from __future__ import annotations

import math
import time

from grader.sandbox import Worker

MIN_CHUNK_S = 0.05
MAX_REPEATS = 2000


def _timed(worker: Worker, function: str, repeats: int, kwargs: dict, time_limit: float) -> float:
    start = time.perf_counter()
    worker.request(("run", function, repeats, kwargs), time_limit)
    return (time.perf_counter() - start) / repeats


def interleaved(contestants: dict[str, tuple[Worker, str, dict]], rounds: int,
                time_limit: float) -> dict[str, list[float]]:
    """Seconds per call for each contestant in each round. ``contestants``: name -> (worker, function,
    kwargs), each worker already set up with its inputs."""
    repeats = {}
    for name, (worker, function, kwargs) in contestants.items():
        _timed(worker, function, 1, kwargs, time_limit)  # warm-up: compile, fault in pages
        single = _timed(worker, function, 1, kwargs, time_limit)
        repeats[name] = max(1, min(MAX_REPEATS, math.ceil(MIN_CHUNK_S / max(single, 1e-9))))
    names = list(contestants)
    times = {name: [] for name in names}
    for round_index in range(rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            worker, function, kwargs = contestants[name]
            times[name].append(_timed(worker, function, repeats[name], kwargs, time_limit))
    return times

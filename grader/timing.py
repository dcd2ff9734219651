"""Interleaved timing of several contestants (serial baseline, reference, learner) on the same inputs.

Every contestant runs in its own worker process, which builds the inputs itself (a trusted, deterministic
maker) and runs its function a number of times per request. The parent times each request with its own
clock, so a submission cannot report a time of its own making.

1. warm-up: one call each (JIT compilation, caches, GPU context), not timed;
2. calibration: repeats per request so that one request takes >= MIN_CHUNK_S (timer resolution and the
   ~0.1 ms cost of a request then vanish); the learner and the reference repeat the same number of times;
3. rounds: in each round every contestant runs TIMINGS_PER_ROUND times, interleaved, in an order that
   rotates from round to round, so no contestant always runs on a cold (or hot) machine. A round keeps
   each contestant's fastest timing: other programs only ever slow a timing down, so the minimum of two
   drops most interference spikes. Scoring then takes the median over rounds of the within-round ratio
   (grader/scoring.py), which cancels slow drifts shared by everyone.
"""

from __future__ import annotations

import math
import time

from grader.sandbox import Worker

MIN_CHUNK_S = 0.05
MAX_CHUNK_S = 2.0
MAX_REPEATS = 2000
TIMINGS_PER_ROUND = 2


def _timed(worker: Worker, function: str, repeats: int, kwargs: dict, time_limit: float) -> float:
    start = time.perf_counter()
    worker.request(("run", function, repeats, kwargs), time_limit)
    return (time.perf_counter() - start) / repeats


def _repeats(single_call_s: float) -> int:
    return max(1, min(MAX_REPEATS, math.ceil(MIN_CHUNK_S / max(single_call_s, 1e-9))))


def interleaved(contestants: dict[str, tuple[Worker, str, dict]], rounds: int, time_limit: float,
                informative: frozenset[str] = frozenset()) -> dict[str, list[float]]:
    """Seconds per call for each contestant in each round. ``contestants``: name -> (worker, function,
    kwargs), each worker already set up with its inputs. Contestants named in ``informative`` feed no
    score (the serial baseline, when the reference is measured): they are timed once a round, not
    TIMINGS_PER_ROUND times, which matters when the serial baseline takes seconds a call."""
    single = {}
    for name, (worker, function, kwargs) in contestants.items():
        _timed(worker, function, 1, kwargs, time_limit)  # warm-up: compile, fault in pages
        samples = 1 if name in informative else 2  # a serial baseline may take seconds a call
        single[name] = min(_timed(worker, function, 1, kwargs, time_limit) for _ in range(samples))
    repeats = {name: _repeats(seconds) for name, seconds in single.items()}
    # The contestants that are scored against each other repeat their calls the same number of times, so
    # whatever a request costs beyond its calls (a GPU synchronization, waking the process) weighs the
    # same on both sides. The slower one's chunk is capped at MAX_CHUNK_S.
    scored = [name for name in contestants if name not in informative]
    if scored:
        shared = max(repeats[name] for name in scored)
        for name in scored:
            repeats[name] = max(1, min(shared, math.floor(MAX_CHUNK_S / max(single[name], 1e-9))))
    names = list(contestants)
    times = {name: [] for name in names}
    for round_index in range(rounds):
        shift = round_index % len(names)
        order = names[shift:] + names[:shift]
        best = {name: float("inf") for name in names}
        for timing_index in range(TIMINGS_PER_ROUND):
            for name in order:
                if timing_index and name in informative:
                    continue
                worker, function, kwargs = contestants[name]
                best[name] = min(best[name], _timed(worker, function, repeats[name], kwargs, time_limit))
        for name in names:
            times[name].append(best[name])
    return times

"""Interleaved timing of several contestants (serial baseline, reference, learner) on the same inputs.

Every contestant runs in worker processes of its own, each of which builds the inputs itself (a trusted,
deterministic maker) and runs the function a number of times per request. The parent times each request
with its own clock, so a submission cannot report a time of its own making. The calls alternate between
input sets (``grader.sandbox_child.vary_inputs``: fresh arrays, rotated contents where the inputs allow it),
the same for every contestant of a round, so that remembering the last answer gains nothing; a memory-bound
result faster than this machine's memory can deliver (:func:`memory_bandwidth`, grader/ceilings.py) is refused
by the grader.

1. warm-up: one call in each process (JIT compilation, caches, GPU context), not timed;
2. calibration: repeats per request so that one request takes >= MIN_CHUNK_S (timer resolution and the
   ~0.1 ms cost of a request then vanish); the learner and the reference repeat the same number of times;
3. rounds: in each round every process is timed once, in an order that rotates from round to round, so no
   contestant always runs on a cold (or hot) machine. A round keeps each contestant's fastest timing.

Why several processes for one contestant (PROCESSES_PER_SIDE, for the scored ones): the same compiled code
can run persistently slower in one process than in another: where the code lands in memory changes how the
CPU's front end and branch predictors treat the hot loop. Measured here on the render SIMD reference: 205-245
ms a frame in most processes, 270-340 ms in about one in four, every round; recompiling the same source in
the same process moved it from 311 ms to 205 ms, or from 210 ms to 339 ms. Timing each scored side in three
processes and keeping the fastest makes it unlikely (about one grading in a hundred, for code this
sensitive) that a side is graded on an unlucky placement. Other programs only ever slow a timing down, so the minimum
also drops interference spikes. Scoring then takes the median over rounds of the within-round ratio
(grader/scoring.py), which cancels slow drifts shared by everyone.
"""

from __future__ import annotations

import math
import time

from grader import ceilings
from grader.sandbox import Worker
from grader.sandbox_child import INPUT_SETS

MIN_CHUNK_S = 0.05
MAX_CHUNK_S = 2.0
MAX_REPEATS = 2000
PROCESSES_PER_SIDE = 3
# A CPU benchmark moving memory faster than this many times what every core copying at once achieved did
# not do its work (caches explain a little beyond 1x; nothing honest explains 4x on 64 MiB arrays).
BANDWIDTH_MARGIN = 4.0


def _timed(worker: Worker, function: str, repeats: int, kwargs: dict, time_limit: float, first: int = 0) -> float:
    start = time.perf_counter()
    worker.request(("run", function, repeats, kwargs, first), time_limit)
    return (time.perf_counter() - start) / repeats


def memory_bandwidth() -> float:
    """Bytes per second this machine's memory moves (read plus write): every core copying its own part of a
    256 MiB array at once, measured once per machine (grader/ceilings.py). What a CPU benchmark claims beyond
    a small multiple of it (grader/grading.py) was not computed from memory."""
    measured = ceilings.ceilings()
    return measured.memory_bytes_per_s if measured is not None else math.inf  # unmeasured: refuse nothing


def _repeats(single_call_s: float) -> int:
    return max(1, min(MAX_REPEATS, math.ceil(MIN_CHUNK_S / max(single_call_s, 1e-9))))


def interleaved(
    contestants: dict[str, list[tuple[Worker, str, dict]]],
    rounds: int,
    time_limit: float,
    informative: frozenset[str] = frozenset(),
) -> dict[str, list[float]]:
    """Seconds per call for each contestant in each round. ``contestants``: name -> its processes, each
    (worker, function, kwargs) with the worker already set up with its inputs. Contestants named in
    ``informative`` feed no score (the serial baseline, when the reference is measured); give them one
    process, as their calls may take seconds."""
    single = {}
    for name, processes in contestants.items():
        for worker, function, kwargs in processes:
            _timed(worker, function, 1, kwargs, time_limit)  # warm-up: compile (every set's pages are written)
        samples = 1 if name in informative else 2  # a serial baseline may take seconds a call
        single[name] = min(
            _timed(worker, function, 1, kwargs, time_limit)
            for worker, function, kwargs in processes
            for _ in range(samples)
        )
    repeats = {name: _repeats(seconds) for name, seconds in single.items()}
    # The contestants that are scored against each other repeat their calls the same number of times, so
    # whatever a request costs beyond its calls (a GPU synchronization, waking the process) weighs the
    # same on both sides. The slower one's chunk is capped at MAX_CHUNK_S.
    scored = [name for name in contestants if name not in informative]
    if scored:
        shared = max(repeats[name] for name in scored)
        for name in scored:
            repeats[name] = max(1, min(shared, math.floor(MAX_CHUNK_S / max(single[name], 1e-9))))
    slots = [(name, process) for name, processes in contestants.items() for process in processes]
    times: dict[str, list[float]] = {name: [] for name in contestants}
    for round_index in range(rounds):
        shift = round_index % len(slots)
        best = {name: float("inf") for name in contestants}
        for name, (worker, function, kwargs) in slots[shift:] + slots[:shift]:
            best[name] = min(
                best[name], _timed(worker, function, repeats[name], kwargs, time_limit, first=round_index % INPUT_SETS)
            )
        for name in contestants:
            times[name].append(best[name])
    return times

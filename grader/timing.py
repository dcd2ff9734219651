"""Interleaved timing of several contestants (serial baseline, reference, learner) on the same inputs.

Every contestant runs in worker processes of its own, each of which builds the inputs itself (a trusted,
deterministic maker) and runs the function a number of times per request. The parent times each request
with its own clock, so a submission cannot report a time of its own making. The calls alternate between
input sets (``grader.sandbox_child.vary_inputs``: fresh arrays, rotated contents where the inputs allow it),
the same for every contestant of a round, so that remembering the last answer gains nothing; a memory-bound
result faster than this machine's memory can deliver (:func:`memory_bandwidth`, grader/ceilings.py) is refused
by the grader.

1. warm-up: one call in each process (JIT compilation, caches, GPU context), not timed, so the processes
   warm up all at once (:class:`Concurrently`), on every core; then each one-core process (the SIMD variant,
   the serial baseline) is pinned to its core (:meth:`Worker.pin`) for all the calls that follow;
2. calibration: a round (below) of one call a request; from each contestant's fastest, the repeats per
   request so that one request takes >= MIN_CHUNK_S (timer resolution and the ~0.1 ms cost of a request then
   vanish); the learner and the reference repeat the same number of times. Where that is one call for every
   contestant, the calibration was timed exactly as a round is, and counts as the first;
3. rounds: in each round every process is timed once, in an order that rotates from round to round, so no
   contestant always runs on a cold (or hot) machine. A round keeps each contestant's fastest timing. The
   rounds stop at the benchmark's count (7: their median is what scores), or earlier, once MIN_ROUNDS are
   done, when one more would take the rounds past ROUNDS_BUDGET_S: the stop reads the clock, never the ratios,
   so it favours no contestant. A contestant that feeds no score (the serial baseline, when the reference is
   measured) is timed in the first INFORMATIVE_ROUNDS rounds only.

What a speed task costs, then: starting its processes and building their inputs (in parallel, see
grader/grading.py), one warm-up call per process (in parallel), one calibration call per process, and per
round one chunk per process (>= MIN_CHUNK_S each, one call where a call is longer). A benchmark's inputs are
sized so that a call of the reference takes well over the ~0.1 ms a request costs (milliseconds at least:
the sandbox's check of skipped repeats needs a single call >= 5 ms) and a memory-bound one's arrays
exceed a laptop's last-level cache (tens of MiB), and no larger: each doubling doubles every round.

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

import functools
import math
import threading
import time
from collections.abc import Callable
from typing import Any

from grader import ceilings
from grader.sandbox import Worker
from grader.sandbox_child import INPUT_SETS

MIN_CHUNK_S = 0.05
MAX_CHUNK_S = 2.0
MAX_REPEATS = 2000
PROCESSES_PER_SIDE = 3
MIN_ROUNDS = 5  # the fewest rounds a ratio's median is taken over, whatever the budget
ROUNDS_BUDGET_S = 10.0  # past MIN_ROUNDS, no round starts that would end the rounds later than this
INFORMATIVE_ROUNDS = 3  # rounds that time a contestant feeding no score (the median it shows is of these)
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


class Concurrently:
    """Jobs run at once, one thread each, each started when it is added (for requests to different workers,
    which wait on their own sockets: nothing run this way is timed). :meth:`wait` returns their results
    once all have ended, or raises the first job's exception (in the order added). A stop signal interrupts
    the wait in the main thread; the caller then closes the workers, which ends the threads' requests."""

    def __init__(self) -> None:
        self._threads: list[threading.Thread] = []
        self._results: list[Any] = []
        self._errors: list[BaseException | None] = []

    def add(self, job: Callable[[], Any]) -> None:
        index = len(self._threads)
        self._results.append(None)
        self._errors.append(None)

        def run() -> None:
            try:
                self._results[index] = job()
            except BaseException as error:  # re-raised in the waiting thread
                self._errors[index] = error

        thread = threading.Thread(target=run, daemon=True)
        self._threads.append(thread)
        thread.start()

    def wait(self) -> list[Any]:
        for thread in self._threads:
            thread.join()
        for error in self._errors:
            if error is not None:
                raise error
        return self._results


def interleaved(
    contestants: dict[str, list[tuple[Worker, str, dict]]],
    rounds: int,
    time_limit: float,
    informative: frozenset[str] = frozenset(),
    budget_s: float = ROUNDS_BUDGET_S,
) -> dict[str, list[float]]:
    """Seconds per call for each contestant in each round (up to ``rounds`` rounds; fewer, but at least
    MIN_ROUNDS, when they would run past ``budget_s``). ``contestants``: name -> its processes, each
    (worker, function, kwargs) with the worker already set up with its inputs. Contestants named in
    ``informative`` feed no score (the serial baseline, when the reference is measured): give them one
    process, as their calls may take seconds; they are timed in the first INFORMATIVE_ROUNDS rounds."""
    processes = [(name, process) for name, group in contestants.items() for process in group]

    def timed_round(index: int, repeats: dict[str, int]) -> dict[str, float]:
        """Each contestant's fastest chunk of round ``index``: every process once, in rotated order, on
        input set ``index % INPUT_SETS`` (a contestant that feeds no score only in the first rounds)."""
        shift = index % len(processes)
        best: dict[str, float] = {}
        for name, (worker, function, kwargs) in processes[shift:] + processes[:shift]:
            if name not in informative or index < INFORMATIVE_ROUNDS:
                seconds = _timed(worker, function, repeats[name], kwargs, time_limit, first=index % INPUT_SETS)
                best[name] = min(best.get(name, math.inf), seconds)
        return best

    warm_up = Concurrently()  # compile (every set's pages are written); untimed, so all at once
    for _, (worker, function, kwargs) in processes:
        warm_up.add(functools.partial(_timed, worker, function, 1, kwargs, time_limit))
    warm_up.wait()
    for _, (worker, _, _) in processes:
        worker.pin()
    started = time.perf_counter()
    single = timed_round(0, dict.fromkeys(contestants, 1))  # calibration: one call a request
    repeats = {name: _repeats(seconds) for name, seconds in single.items()}
    # The contestants that are scored against each other repeat their calls the same number of times, so
    # whatever a request costs beyond its calls (a GPU synchronization, waking the process) weighs the
    # same on both sides. The slower one's chunk is capped at MAX_CHUNK_S.
    scored = [name for name in contestants if name not in informative]
    if scored:
        shared = max(repeats[name] for name in scored)
        for name in scored:
            repeats[name] = max(1, min(shared, math.floor(MAX_CHUNK_S / max(single[name], 1e-9))))
    # Where every call is a chunk by itself (long calls), the calibration was round 0 exactly as the
    # rounds time it: it counts as one.
    times: dict[str, list[float]] = {name: [] for name in contestants}
    first_round = 0
    if all(count == 1 for count in repeats.values()):
        times = {name: [seconds] for name, seconds in single.items()}
        first_round = 1
    for round_index in range(first_round, rounds):
        round_started = time.perf_counter()
        for name, seconds in timed_round(round_index, repeats).items():
            times[name].append(seconds)
        now = time.perf_counter()
        if round_index + 1 >= MIN_ROUNDS and now + (now - round_started) - started > budget_s:
            break
    return times

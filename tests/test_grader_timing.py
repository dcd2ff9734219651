"""The interleaved timing protocol (grader/timing.py), on stand-in workers that record what they are asked: how
many rounds run, which contestant is timed in which, and that the untimed warm-up runs before any timed call;
and, on a real worker, that a one-core worker's timed calls run on its one core. No clock is asserted on."""

from __future__ import annotations

import math
import os
import threading
from typing import Any, cast

import pytest

from grader import timing
from grader.sandbox import Limits, Source, Worker, WorkerOptions

pytestmark = pytest.mark.grader


PIN = "(pin)"  # what the log holds for a pin instead of a function's name


class Recorder:
    """A worker that answers every "run" request at once and records it (process, function, repeats), and
    records its pin as (process, PIN, 0)."""

    def __init__(self, log: list[tuple[str, str, int]], name: str):
        self.log, self.name = log, name

    def request(self, message: tuple, time_limit: float | None = None) -> tuple:
        assert message[0] == "run"
        self.log.append((self.name, message[1], message[2]))
        return ()

    def pin(self) -> None:
        self.log.append((self.name, PIN, 0))


def _contestants(log: list, processes: dict[str, int]) -> dict[str, list[tuple[Worker, str, dict]]]:
    return {
        name: [(cast(Worker, Recorder(log, f"{name}{index}")), "f", {}) for index in range(count)]
        for name, count in processes.items()
    }


def _runs(log: list) -> list[tuple[str, str, int]]:
    return [entry for entry in log if entry[1] != PIN]


def _timed_calls(log: list, name: str) -> int:
    """The timed requests of one process: all of its "run" requests but the warm-up (its first)."""
    return sum(1 for entry in _runs(log) if entry[0] == name) - 1


def test_every_round_runs_within_the_budget_and_each_process_is_timed_once_a_round():
    log: list = []
    times = timing.interleaved(_contestants(log, {"reference": 3, "learner": 3}), rounds=5, time_limit=60)
    assert [len(times[name]) for name in ("reference", "learner")] == [5, 5]
    # one calibration call, then one call a round
    assert all(_timed_calls(log, f"{side}{i}") == 1 + 5 for side in ("reference", "learner") for i in range(3))


def test_rounds_past_the_budget_stop_but_never_below_the_minimum():
    log: list = []
    times = timing.interleaved(_contestants(log, {"reference": 3, "learner": 3}), rounds=9, time_limit=60, budget_s=0)
    assert len(times["reference"]) == len(times["learner"]) == timing.MIN_ROUNDS


def test_a_contestant_that_feeds_no_score_is_timed_in_the_first_rounds_only():
    log: list = []
    contestants = _contestants(log, {"serial": 1, "reference": 3, "learner": 3})
    times = timing.interleaved(contestants, rounds=5, time_limit=60, informative=frozenset({"serial"}))
    assert len(times["serial"]) == timing.INFORMATIVE_ROUNDS < len(times["learner"]) == 5
    assert _timed_calls(log, "serial0") == 1 + timing.INFORMATIVE_ROUNDS


def test_the_warm_up_of_every_process_comes_before_any_timed_call():
    log: list = []
    contestants = _contestants(log, {"serial": 1, "reference": 3, "learner": 3})
    timing.interleaved(contestants, rounds=3, time_limit=60)
    processes = {cast(Recorder, worker).name for group in contestants.values() for worker, _, _ in group}
    assert {entry[0] for entry in log[: len(processes)]} == processes


def test_every_process_is_pinned_once_after_all_warm_ups_and_before_any_timed_call():
    log: list = []
    contestants = _contestants(log, {"serial": 1, "reference": 3, "learner": 3})
    timing.interleaved(contestants, rounds=3, time_limit=60, informative=frozenset({"serial"}))
    processes = {cast(Recorder, worker).name for group in contestants.values() for worker, _, _ in group}
    count = len(processes)
    assert all(function != PIN for _, function, _ in log[:count])  # the warm-ups
    assert {name for name, function, _ in log[count : 2 * count] if function == PIN} == processes
    assert all(function != PIN for _, function, _ in log[2 * count :])


def test_scored_contestants_repeat_their_calls_equally_often():
    log: list = []
    timing.interleaved(_contestants(log, {"reference": 3, "learner": 3}), rounds=3, time_limit=60)
    timed = [repeats for name, _, repeats in _runs(log)[6 + 6 :]]  # after the warm-ups and the calibration calls
    assert len(set(timed)) == 1 and timed[0] == timing.MAX_REPEATS  # instant calls: the most repeats


def test_concurrently_runs_jobs_at_once_and_returns_their_results_in_order():
    barrier = threading.Barrier(3, timeout=30)  # passes only if all three jobs run at the same time

    def job(value: int) -> int:
        barrier.wait()
        return value

    jobs = timing.Concurrently()
    for value in (3, 1, 2):
        jobs.add(lambda value=value: job(value))
    assert jobs.wait() == [3, 1, 2]


def test_concurrently_raises_the_first_failure_in_order_after_all_ended():
    ended: list[int] = []

    def job(index: int) -> Any:
        ended.append(index)
        if index > 0:
            raise ValueError(f"job {index}")
        return math.nan

    jobs = timing.Concurrently()
    for index in range(3):
        jobs.add(lambda index=index: job(index))
    with pytest.raises(ValueError, match="job 1"):
        jobs.wait()
    assert sorted(ended) == [0, 1, 2]


def test_where_every_call_is_a_chunk_by_itself_the_calibration_counts_as_the_first_round(monkeypatch):
    monkeypatch.setattr(timing, "MIN_CHUNK_S", 0.0)  # every call long enough: one call a request
    log: list = []
    times = timing.interleaved(_contestants(log, {"reference": 3, "learner": 3}), rounds=5, time_limit=60)
    assert len(times["learner"]) == 5
    assert all(_timed_calls(log, f"{side}{i}") == 5 for side in ("reference", "learner") for i in range(3))


ONE_CORE_PROBE = """
import os
import threading

import numpy as np

_asked, _answered, _helper_cores = threading.Event(), threading.Event(), []


def _helper():  # a thread started at import, long before the worker is pinned
    while True:
        _asked.wait()
        _asked.clear()
        _helper_cores[:] = sorted(os.sched_getaffinity(0))
        _answered.set()


threading.Thread(target=_helper, daemon=True).start()


def saxpy(a, x, y):
    _answered.clear()
    _asked.set()
    _answered.wait(30)
    return np.array([*sorted(os.sched_getaffinity(0)), -1, *_helper_cores])
"""


@pytest.mark.skipif(
    not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2, reason="one core cannot tell"
)
def test_a_one_core_worker_warms_up_on_every_core_and_is_timed_on_its_one(tmp_path):
    """The probe reports the cores its calling thread and a thread it started at import may run on. A worker
    with a core of its own (the SIMD variant's, the serial baseline's) runs its warm-up on all of this process's
    cores and every timed call, both threads, on that core alone."""
    cores = sorted(os.sched_getaffinity(0))
    core = cores[-1]  # not the first: a pin to it cannot be a default
    (tmp_path / "saxpy").mkdir()
    (tmp_path / "saxpy" / "simd.py").write_text(ONE_CORE_PROBE)
    source = Source.learner(tmp_path, "saxpy", "simd", ("saxpy",))
    with Worker(source, Limits(call_time_s=60), WorkerOptions(pin_cpu=core)) as worker:
        worker.request(("setup", "grader.suites.saxpy.baseline:make_inputs", {"n": 64}, None))
        worker.request(("run", "saxpy", 1, {}, 0))  # as interleaved's warm-up is
        warm_up = worker.request(("collect", None))[0]
        timing.interleaved({"learner": [(worker, "saxpy", {})]}, rounds=2, time_limit=60)
        timed = worker.request(("collect", None))[0]
    assert list(warm_up) == [*cores, -1, *cores]
    assert list(timed) == [core, -1, core]

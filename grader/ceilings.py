"""This machine's ceilings: the most its memory and its cores can deliver, for the roofline of speed reports.

A speed report says what the learner's code achieved against what this machine could do at best, the way a
performance engineer reads a profile: a memory-bound kernel (SAXPY, scan) against the memory bandwidth, a
compute-bound one (mandelbrot) against the arithmetic the cores can do. Two figures, measured once per
machine and cached (``ceilings.json`` in the grader's cache directory, ``settings.cache_root()``; keyed by
host name, CPU model, core count and memory size):

* memory: bytes per second (read plus written) of a STREAM-like copy, every core copying its own part of a
  256 MiB array at once (far past every cache), best of five; the same count as the reports' GB/s (SAXPY's
  12 bytes an element), so a kernel that streams at the copy's speed reads 100%;
* compute: float32 operations per second of a vectorized multiply-add loop (what numba compiles for
  ``r[j] = r[j] * c + d`` over 256 values that stay in L1), one thread per core at once, best of five.
  A multiply-add counts as two operations.

Both are measured in a child process (numba never loads into the grader's own process) and take about two
seconds. Other programs only ever lower a ceiling, so the cache keeps the highest figure seen: one measured
while the machine was busy (load above its core count) is measured again when the machine is quieter.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import platform
import subprocess
import sys
from dataclasses import asdict, dataclass

from grader import machine, settings

COPY_BYTES = 256 * 2**20  # each of source and target: far past any cache
MEASURE_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Ceilings:
    """What this machine can deliver at best (see the module docstring for how each is measured)."""

    memory_bytes_per_s: float  # read plus written, every core at once
    flops_per_s: float  # float32 operations (a multiply-add is two), every core at once
    cores: int
    load: float  # the 1-minute load average when they were measured

    @property
    def busy_when_measured(self) -> bool:
        return self.load > self.cores


def machine_key() -> str:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), model)
    except OSError:
        pass
    return f"{platform.node()} | {model} | {machine.cores()} cores | {machine.total_memory_bytes() // 2**20} MiB"


def load_average() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return 0.0


@functools.cache
def ceilings() -> Ceilings | None:
    """This machine's ceilings, from the cache or measured now (and cached); None if they cannot be measured.

    A ceiling only ever rises: a measurement taken while the machine was busy is repeated at the next run
    that finds it at most half as loaded, and the cache keeps the higher of each figure."""
    path = settings.cache_root() / "ceilings.json"
    key = machine_key()
    try:
        known = json.loads(path.read_text())
        known = known if isinstance(known, dict) else {}
    except (OSError, ValueError):
        known = {}
    try:
        cached = Ceilings(**known[key])
    except (KeyError, TypeError):
        cached = None
    if cached is not None and not (cached.busy_when_measured and load_average() <= cached.load / 2):
        return cached
    measured = _measure_in_child()
    if measured is None:
        return cached
    if cached is not None:
        measured = Ceilings(
            max(measured.memory_bytes_per_s, cached.memory_bytes_per_s),
            max(measured.flops_per_s, cached.flops_per_s),
            measured.cores,
            min(measured.load, cached.load),
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.partial")
        partial.write_text(json.dumps(known | {key: asdict(measured)}, indent=1))
        partial.replace(path)
    except OSError:
        pass  # measured, not cached: the next run measures again
    return measured


def _measure_in_child() -> Ceilings | None:
    try:
        run = subprocess.run(
            [sys.executable, "-m", "grader.ceilings"],
            capture_output=True,
            text=True,
            timeout=MEASURE_TIMEOUT_S,
            check=False,
        )
        return Ceilings(**json.loads(run.stdout))
    except (OSError, subprocess.TimeoutExpired, ValueError, TypeError):
        return None


# -- the measurements (run in the child) ----------------------------------------------------------------
def _parallel_best(work, parts: list[tuple], tries: int = 5) -> float:
    """The fastest of ``tries`` wall-clock times of ``work(*part)`` run on every part at once, one thread each."""
    import threading
    import time

    best = float("inf")
    for _ in range(tries):
        threads = [threading.Thread(target=work, args=part) for part in parts]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        best = min(best, time.perf_counter() - started)
    return best


def measure_memory(cores: int) -> float:
    import numpy as np

    source = np.ones(COPY_BYTES // 8, np.float64)
    target = np.zeros_like(source)  # touched once here, so the copy measures memory, not page faults
    bounds = np.linspace(0, source.size, cores + 1).astype(int)

    def copy(lo, hi):
        np.copyto(target[lo:hi], source[lo:hi])  # numpy releases the GIL for the copy

    seconds = _parallel_best(copy, list(itertools.pairwise(bounds)))
    return 2 * source.nbytes / seconds


def measure_compute(cores: int) -> float:
    import numpy as np
    from numba import njit

    @njit(nogil=True, fastmath=True)
    def multiply_add(values, repeats):
        for _ in range(repeats):
            for j in range(values.size):
                values[j] = values[j] * np.float32(0.999999) + np.float32(1e-6)

    repeats = 20000
    rows = [np.ones(256, np.float32) for _ in range(cores)]
    multiply_add(rows[0], 1)  # compile
    seconds = _parallel_best(multiply_add, [(row, repeats) for row in rows])
    return 2 * 256 * repeats * cores / seconds


def _measure() -> Ceilings:
    cores = machine.cores()
    return Ceilings(
        memory_bytes_per_s=measure_memory(cores), flops_per_s=measure_compute(cores), cores=cores, load=load_average()
    )


if __name__ == "__main__":
    print(json.dumps(asdict(_measure())))

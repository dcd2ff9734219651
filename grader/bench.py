"""What the assignments' bench scripts share: their command line, interleaved timing and the table they print.

A bench script (``python -m assignments.<name>.bench_cpu``) is a learner's tool for the handout's questions:
it times the serial baseline, the numpy way (where there is one) and the learner's variants side by side, on
inputs and a thread count of the learner's choosing, so that a question like "plot GB/s against the thread
count" or "why do threads lose at n = 4096?" has a command that answers it. It runs the learner's code in
this process (it is no grader: nothing is sandboxed or scored) and prints one table:

    n = 16,777,216, 2 threads, 2 cores, median of 11 interleaved rounds (load 0.4)
    what                                      ms   GB/s  vs serial  vs numpy
    serial loop (one core)                 16.02   12.6      1.00x     1.02x
    ...

The GPU scripts (``bench_gpu``) need a CUDA GPU; without one, :func:`require_gpu` says so in one line and
the script exits with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from grader import machine

NO_GPU_EXIT_STATUS = 2


def require_gpu(script: str) -> None:
    """Exit with one line (status 2) when there is no CUDA GPU here; return when there is one."""
    if machine.cuda_gpu() is None:
        print(
            f"{script}: no CUDA GPU here (this script times kernels on a GPU; the grader checks your CUDA "
            "code's correctness on numba's simulator without one)",
            file=sys.stderr,
        )
        sys.exit(NO_GPU_EXIT_STATUS)


def parser(description: str, default_n: int, n_help: str) -> argparse.ArgumentParser:
    """The options every CPU bench script takes: --n, --threads, --rounds and --solutions."""
    options = argparse.ArgumentParser(description=description)
    options.add_argument("--n", type=int, default=default_n, help=f"{n_help} (default {default_n:,})")
    options.add_argument(
        "--threads",
        type=int,
        nargs="+",
        default=[machine.cores()],
        help="thread counts for your threaded variant, one row each (default: this machine's "
        f"cores, {machine.cores()})",
    )
    options.add_argument("--rounds", type=int, default=11, help="interleaved rounds; medians are printed")
    options.add_argument("--solutions", action="store_true", help="time the reference solutions instead of yours")
    return options


def variant(assignment: str, name: str, solutions: bool):
    """The learner's (or with ``solutions`` the reference's) variant module, or None if it cannot be used yet
    (not written: the table then says so instead of the script failing)."""
    package = "solutions" if solutions else "assignments"
    try:
        return importlib.import_module(f"{package}.{assignment}.{name}")
    except Exception as error:  # noqa: BLE001 -- a learner's module that does not import is a row, not a crash
        print(f"({package}/{assignment}/{name}.py not used: {type(error).__name__}: {error})")
        return None


@dataclass(frozen=True)
class Row:
    """One line of the table: a name and the call to time (it is called once untimed first, to compile)."""

    name: str
    run: Callable[[], object]


def table(
    rows: list[Row],
    *,
    rounds: int,
    title: str,
    bytes_per_call: float | None = None,
    work: tuple[str, float] | None = None,
    serial: str | None = None,
    numpy: str | None = None,
) -> None:
    """Time ``rows`` interleaved (one call of each per round, after a warm-up call of each) and print the
    medians with GB/s (``bytes_per_call``), a throughput (``work`` = unit, amount a call) and ratios against
    the rows named ``serial`` and ``numpy``. A row whose call raises is shown with the error, not timed."""
    usable, failed = [], {}
    for row in rows:
        try:
            row.run()
        except NotImplementedError as todo:
            failed[row.name] = f"not implemented yet ({todo})"
        except Exception as error:  # noqa: BLE001 -- the learner's bug is a row of the table
            failed[row.name] = f"raised {type(error).__name__}: {error}"
        else:
            usable.append(row)
    times: dict[str, list[float]] = {row.name: [] for row in usable}
    for _ in range(rounds):
        for row in usable:
            started = time.perf_counter()
            row.run()
            times[row.name].append(time.perf_counter() - started)
    medians = {name: statistics.median(values) for name, values in times.items()}
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    print(f"{title}, {machine.cores()} cores, median of {rounds} interleaved rounds (load {load:.1f})")
    header = f"{'what':<44}{'ms':>9}"
    header += f"{'GB/s':>8}" if bytes_per_call else ""
    header += f"{work[0] + '/s':>20}" if work else ""
    header += f"{'vs serial':>11}" if serial in medians else ""
    header += f"{'vs numpy':>10}" if numpy in medians else ""
    print(header)
    for row in rows:
        if row.name in failed:
            print(f"{row.name:<44}  {failed[row.name]}")
            continue
        seconds = medians[row.name]
        line = f"{row.name:<44}{seconds * 1e3:>9.2f}"
        line += f"{bytes_per_call / seconds / 1e9:>8.1f}" if bytes_per_call else ""
        line += f"{work[1] / seconds:>20.3g}" if work else ""
        line += f"{medians[serial] / seconds:>10.2f}x" if serial in medians else ""
        line += f"{medians[numpy] / seconds:>9.2f}x" if numpy in medians else ""
        print(line)
    if load > machine.cores():
        print(
            f"warning: the load ({load:.1f}) is above the core count: other programs were running, the times "
            "are noisier than usual"
        )

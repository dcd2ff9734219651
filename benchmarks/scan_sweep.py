"""The CUDA scan's candidate builds (solutions/scan/cuda.py) against ``cupy.cumsum``, int32 at 2^28, on one GPU.

    python3 -m benchmarks.scan_sweep [--budget S] [--rounds R]

Built blind (no GPU where they were written), so every candidate is here to be compared: the single pass
(decoupled look-back) with the block-wide transpose of the previous default (``block``) and with each warp
transposing its own segment (``warp``), with the scan done while warp 0 looks back or after it (``late scan``),
over tile shapes, with tiles numbered by an atomic counter or by block index, and with a thread's items held
in registers or re-read from shared memory; reduce-then-scan as a floor.

For each candidate, in order (a candidate that would start past ``--budget`` seconds is listed as not run):
compile, then check against numpy's cumsum at awkward sizes (1, 2, ragged last tiles, one tile, one more than a
tile, a few million odd) and at 2^28, into an output filled with garbage first. Correct candidates are then
timed interleaved with ``cupy.cumsum`` and ``cupy.copyto`` (the copy ceiling: a scan moves the same 8 bytes an
element): a warm-up call each, then ``--rounds`` rounds of one sample each, a sample being ``BATCH`` back-to-
back calls between two CUDA events on the default stream (the host's cost of a numba launch overlaps the
previous kernel instead of counting). Each candidate writes its own output, checked again after the timing (the
last of many calls, where a race would show).

The table, printed last: ``ms`` the median a call (``best`` the fastest sample), GB/s as 8 bytes an element,
``x cumsum`` cupy.cumsum's median over the candidate's (the target is >= 2), ``of copy`` the copy's median over
the candidate's, ``regs``/``local B`` what ptxas gave a thread (local bytes > 0: spills, or items held in local
memory rather than registers), ``correct``. A candidate that never finishes (a look-back that waits forever)
trips a watchdog, which prints the table so far and exits 3. Exit 2 with one line where there is no GPU.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import sys
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

N = 2**28
BATCH = 4  # calls a sample, for kernels of about a millisecond
# Tile sizes run 512 (64x8) to 4,096 (128x32, 256x16) elements: ragged last tiles, one tile, one more.
CHECK_SIZES = (1, 2, 31, 33, 511, 513, 2047, 2048, 2049, 4095, 4096, 4097, 8193, 1_000_003, 3 * 2**21 + 7)
HANG_S = 30.0  # one candidate's compile and check; far longer than any correct one takes


@dataclass
class Result:
    """One candidate's line of the table."""

    name: str
    correct: bool | None = None  # None: not checked (not run)
    why: str = ""
    registers: int | None = None
    local_bytes: int | None = None
    samples_ms: list[float] = field(default_factory=list)

    @property
    def median_ms(self) -> float | None:
        return statistics.median(self.samples_ms) if self.samples_ms else None


def candidates():
    """(name, build or None for reduce-then-scan), most wanted first: the previous default, the module's."""
    from solutions.scan.cuda import LOOK_BACK, Exchange, LookBackConfig, TileOrder

    block, warp = Exchange.BLOCK, Exchange.WARP
    # ptxas (sm_90, numba-cuda 0.30) gives every one 32 registers (40 with ``registers``) and no spills, its
    # load and store loops fully unrolled up to 32 items.
    builds = [
        # The previous default's structure and tile (1.248 ms on the H200 with signed indices, 56 registers)
        LookBackConfig(256, 16, block, early_scan=False),
        LookBackConfig(128, 16, block, early_scan=False),  # its best tile shape then (1.187 ms)
        LOOK_BACK,
        LookBackConfig(128, 16, warp),
        LookBackConfig(128, 16, warp, early_scan=False),
        LookBackConfig(128, 16, block),
        LookBackConfig(256, 16, block),
        LookBackConfig(256, 16, warp),
        LookBackConfig(128, 8, warp),
        LookBackConfig(128, 24, warp),
        LookBackConfig(128, 32, warp),
        LookBackConfig(256, 32, warp),
        LookBackConfig(256, 8, warp),
        LookBackConfig(64, 16, warp),
        LookBackConfig(128, 16, warp, registers=True),
        LookBackConfig(256, 16, warp, registers=True),
        LookBackConfig(128, 32, warp, registers=True),
        LookBackConfig(128, 16, warp, order=TileOrder.BLOCK_INDEX),
        LookBackConfig(128, 16, block, order=TileOrder.BLOCK_INDEX),
        LookBackConfig(256, 16, warp, order=TileOrder.BLOCK_INDEX),
    ]
    unique = list(dict.fromkeys(builds))
    return [(build.label + (" (default)" if build == LOOK_BACK else ""), build) for build in unique] + [
        ("reduce-then-scan", None)
    ]


def _scan_function(build) -> Callable:
    from solutions.scan import cuda as reference

    if build is None:
        return reference.reduce_then_scan_device
    return lambda a, out: reference.look_back_scan_device(a, out, build)


def _kernel_resources(build) -> tuple[int | None, int | None]:
    """ptxas's registers and local-memory bytes a thread for the build's kernel (None where numba cannot say)."""
    if build is None:
        return None, None
    from solutions.scan import cuda as reference

    kernel = reference.look_back_kernel(build)

    def one(value):
        return next(iter(value.values())) if isinstance(value, dict) else value

    try:
        return one(kernel.get_regs_per_thread()), one(kernel.get_local_mem_per_thread())
    except Exception:  # an older numba without these queries: the columns read "-"
        return None, None


def _check(scan: Callable, big_input, out_big, big_is_right: Callable[[object], bool]) -> None:
    """Raise AssertionError naming the first size where ``scan`` disagrees with numpy (at 2^28, where
    ``big_is_right(out_big)`` says no)."""
    import cupy
    from numba import cuda

    for n in CHECK_SIZES:
        host = np.random.default_rng(n).integers(-1000, 1000, n, dtype=np.int32)
        expected = np.zeros(n, dtype=np.int32)
        np.cumsum(host[:-1], dtype=np.int32, out=expected[1:])
        a = cuda.to_device(host)
        out = cuda.to_device(np.full(n, -7, dtype=np.int32))
        scan(a, out)
        if not np.array_equal(out.copy_to_host(), expected):
            raise AssertionError(f"wrong at n = {n}")
        if not np.array_equal(a.copy_to_host(), host):
            raise AssertionError(f"the input was modified at n = {n}")
    cupy.asarray(out_big).fill(-7)
    scan(big_input, out_big)
    if not big_is_right(out_big):
        raise AssertionError("wrong at n = 2^28")


def _event_ms(launch: Callable[[], object]) -> float:
    from numba import cuda

    start, stop = cuda.event(), cuda.event()
    start.record()
    for _ in range(BATCH):
        launch()
    stop.record()
    stop.synchronize()
    return cuda.event_elapsed_time(start, stop) / BATCH


def _load() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def _timing_cells(ms: float | None, best_ms: float | None, cumsum_ms: float | None, copy_ms: float | None):
    """ms, best ms, GB/s, x cumsum, of copy: "-" where not measured."""
    if ms is None:
        return ["-"] * 5
    return [
        f"{ms:.3f}",
        "-" if best_ms is None else f"{best_ms:.3f}",
        f"{8 * N / ms / 1e6:,.0f}",
        "-" if cumsum_ms is None else f"{cumsum_ms / ms:.2f}",
        "-" if copy_ms is None else f"{copy_ms / ms:.2f}",
    ]


def table(results: list[Result], cumsum_ms: float | None, copy_ms: float | None) -> str:
    """The sweep's table, one line a candidate then the two peers, and the fastest correct candidate."""
    header = ["config", "ms", "best ms", "GB/s", "x cumsum", "of copy", "regs", "local B", "correct"]
    lines = []
    for result in results:
        best_ms = min(result.samples_ms) if result.samples_ms else None
        lines.append(
            [
                result.name,
                *_timing_cells(result.median_ms, best_ms, cumsum_ms, copy_ms),
                "-" if result.registers is None else str(result.registers),
                "-" if result.local_bytes is None else str(result.local_bytes),
                {True: "yes", False: "NO", None: "-"}[result.correct] + (f" ({result.why})" if result.why else ""),
            ]
        )
    for peer, ms in (("cupy.cumsum", cumsum_ms), ("cupy.copyto", copy_ms)):
        if ms is not None:
            lines.append([peer, *_timing_cells(ms, None, cumsum_ms, copy_ms), "-", "-", "-"])
    widths = [max(len(row[column]) for row in [header, *lines]) for column in range(len(header))]

    def format_line(row: list[str]) -> str:
        return " | ".join(
            cell.ljust(width) if column in (0, len(header) - 1) else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()

    text = [format_line(header), "-+-".join("-" * width for width in widths), *map(format_line, lines)]
    timed = [(ms, result.name) for result in results if (ms := result.median_ms) is not None]
    if timed and cumsum_ms is not None:
        fastest_ms, fastest = min(timed)
        ratio = cumsum_ms / fastest_ms
        text.append(
            f"fastest correct: {fastest}, {ratio:.2f}x cupy.cumsum ({'meets' if ratio >= 2 else 'misses'} >= 2x)"
        )
    return "\n".join(text)


class Watchdog:
    """Prints the table so far and ends the process (status 3) if a step outlasts its allowance: a look-back
    that waits forever blocks the host in a synchronize that never returns."""

    def __init__(self, results: list[Result]):
        self._results = results
        self._timer: threading.Timer | None = None

    def arm(self, seconds: float, what: str) -> None:
        self.disarm()
        self._timer = threading.Timer(seconds, self._fire, args=(seconds, what))
        self._timer.daemon = True
        self._timer.start()

    def disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _fire(self, seconds: float, what: str) -> None:
        print(f"\n{what}: no result in {seconds:.0f} s (hung?); the table so far:", flush=True)
        print(table(self._results, None, None), flush=True)
        os._exit(3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m benchmarks.scan_sweep", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--budget", type=float, default=85.0, metavar="S", help="seconds for compiling and checking (default 85)"
    )
    parser.add_argument("--rounds", type=int, default=20, help="timed samples a candidate (default 20)")
    options = parser.parse_args(argv)

    from grader import bench

    bench.require_gpu(parser.prog)
    from numba import config, cuda
    from numba.core.errors import NumbaPerformanceWarning

    warnings.simplefilter("ignore", NumbaPerformanceWarning)  # the checks' small grids would warn each launch
    if config.ENABLE_CUDASIM:
        print(f"{parser.prog}: NUMBA_ENABLE_CUDASIM is set: unset it to time the GPU", file=sys.stderr)
        return bench.NO_GPU_EXIT_STATUS
    try:
        import cupy
    except ImportError:
        print(f"{parser.prog}: needs CuPy (cupy.cumsum is the peer)", file=sys.stderr)
        return bench.NO_GPU_EXIT_STATUS

    from grader.suites.scan import baseline

    started = time.perf_counter()
    name = cuda.get_current_device().name
    name = name.decode() if isinstance(name, bytes) else name
    print(f"{name}; n = 2^28 int32; host load {_load()}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    (host,) = baseline.make_inputs(N)
    expected = np.zeros(N, dtype=np.int32)
    np.cumsum(host[:-1], dtype=np.int32, out=expected[1:])  # values 0..9: no int32 overflow at 2^28
    a = cuda.to_device(host)
    a_cupy = cupy.asarray(a)
    expected_cupy = cupy.asarray(expected)

    def is_right(out) -> bool:  # compared on the device: a second instead of a copy of 1 GiB a candidate
        return bool(cupy.array_equal(cupy.asarray(out), expected_cupy))

    results: list[Result] = []
    launches: dict[str, Callable[[], object]] = {}
    outputs = {}
    watchdog = Watchdog(results)
    for label, build in candidates():
        result = Result(label)
        results.append(result)
        if time.perf_counter() - started > options.budget:
            result.why = f"not run: past the {options.budget:.0f} s budget"
            continue
        scan = _scan_function(build)
        out = cuda.device_array(N, dtype=np.int32)
        watchdog.arm(HANG_S, label)
        try:
            _check(scan, a, out, is_right)
            result.correct = True
        except AssertionError as wrong:
            result.correct, result.why = False, str(wrong)
        except Exception as failure:  # a build that does not compile or launch here: its row says why
            result.correct, result.why = False, f"{type(failure).__name__}: {str(failure).splitlines()[0][:80]}"
        watchdog.disarm()
        result.registers, result.local_bytes = _kernel_resources(build)
        print(
            f"  {label}: {'correct' if result.correct else 'WRONG: ' + result.why}"
            f" ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
        if result.correct:
            launches[label] = functools.partial(scan, a, out)
            outputs[label] = out

    out_cupy, out_copy = cupy.empty(N, dtype=cupy.int32), cupy.empty(N, dtype=cupy.int32)
    launches["cupy.cumsum"] = lambda: baseline.cupy_exclusive_scan(a_cupy, out_cupy)
    launches["cupy.copyto"] = lambda: cupy.copyto(out_copy, a_cupy)
    watchdog.arm(HANG_S, "timing")
    for launch in launches.values():
        launch()
    cuda.synchronize()
    samples: dict[str, list[float]] = {label: [] for label in launches}
    for _ in range(options.rounds):
        for label, launch in launches.items():
            samples[label].append(_event_ms(launch))
    watchdog.disarm()
    for result in results:
        if result.name in outputs:
            if is_right(outputs[result.name]):
                result.samples_ms = samples[result.name]
            else:
                result.correct, result.why = False, "wrong after the timed calls"
    cumsum_ms = statistics.median(samples["cupy.cumsum"])
    copy_ms = statistics.median(samples["cupy.copyto"])
    print(f"\nsweep took {time.perf_counter() - started:.0f} s; host load {_load()}")
    print(table(results, cumsum_ms, copy_ms))
    return 0


if __name__ == "__main__":
    sys.exit(main())

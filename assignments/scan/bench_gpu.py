"""Time a CUDA scan against CuPy and against the GPU's copy bandwidth (needs a CUDA GPU and CuPy).

    python -m assignments.scan.bench_gpu                       # your assignments/scan/cuda.py
    python -m assignments.scan.bench_gpu --module solutions.scan.cuda --module assignments.scan.cuda

Each row is the median of ``--repeats`` timed calls (CUDA events around each call, after a warm-up call), on
arrays already on the GPU. GB/s counts the bytes a scan must move at least: 4 read + 4 written per element (the
copy moves the same 8 bytes, so "of copy" is the fraction of the achievable bandwidth); find_repeats counts the
4 bytes an element it must read. Outputs are checked against grader/suites/scan/oracle.py before anything is timed.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import os
import statistics
import sys

import numpy as np

# Run as a script, Python would put this folder first on the path, and its cuda.py would shadow the ``cuda``
# package numba imports: put the project root there instead.
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path[:] = [_ROOT] + [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

CHECK_SIZES = (1, 2, 2047, 2048, 2049, 1_000_003, 2**24 - 1, 3 * 2**21 + 7)


def median_ms(function, repeats: int) -> float:
    from numba import cuda

    function()  # warm-up: compilation, allocation of cached scratch space
    cuda.synchronize()
    times = []
    for _ in range(repeats):
        start, stop = cuda.event(), cuda.event()
        start.record()
        function()
        stop.record()
        stop.synchronize()
        times.append(cuda.event_elapsed_time(start, stop))
    return statistics.median(times)


def check(module, sizes) -> None:
    """Both device entry points against the oracle at awkward sizes (ragged tiles, several levels)."""
    from numba import cuda

    from grader.suites.scan import baseline as baselines
    from grader.suites.scan import oracle

    for n in sizes:
        (host,) = baselines.make_inputs(n, seed=n)
        host[-2:] = 7  # the last pair repeats
        args = baselines.to_device_scan(host)
        module.exclusive_scan_device(*args)
        assert np.array_equal(baselines.from_device_scan(args, None), oracle.exclusive_scan(host)), (
            f"{module.__name__}.exclusive_scan_device is wrong at n = {n}"
        )
        args = baselines.to_device_repeats(host)
        module.find_repeats_device(*args)
        cuda.synchronize()
        assert np.array_equal(baselines.from_device_repeats(args, None), oracle.find_repeats(host)), (
            f"{module.__name__}.find_repeats_device is wrong at n = {n}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", action="append", help="module(s) to time (default assignments.scan.cuda)")
    parser.add_argument("--n", type=int, default=2**28)
    parser.add_argument("--repeats", type=int, default=20)
    options = parser.parse_args()

    import cupy
    from numba import cuda

    from grader.suites.scan import baseline as baselines
    from grader.suites.scan import oracle

    modules = [importlib.import_module(name) for name in options.module or ["assignments.scan.cuda"]]
    n = options.n
    (host,) = baselines.make_inputs(n)
    expected_scan, expected_repeats = oracle.exclusive_scan(host), oracle.find_repeats(host)
    a = cuda.to_device(host)
    out = cuda.device_array(n, dtype=np.int32)
    repeats_out, count = cuda.device_array(max(n - 1, 0), dtype=np.int32), cuda.device_array(1, dtype=np.int32)
    a_cupy, out_cupy = cupy.asarray(a), cupy.asarray(out)  # zero-copy views of the same device memory

    rows = [
        ("device copy (cupy)", 8, "scan", lambda: cupy.copyto(out_cupy, a_cupy)),
        ("cupy.cumsum int32", 8, "scan", lambda: cupy.cumsum(a_cupy, dtype=cupy.int32, out=out_cupy)),
        ("cupy flatnonzero(a[:-1] == a[1:])", 4, "repeats", lambda: cupy.flatnonzero(a_cupy[:-1] == a_cupy[1:])),
    ]
    for module in modules:
        try:
            check(module, CHECK_SIZES)
            module.exclusive_scan_device(a, out)
            assert np.array_equal(out.copy_to_host(), expected_scan), f"{module.__name__}: wrong scan at {n}"
            module.find_repeats_device(a, repeats_out, count)
            k = int(count.copy_to_host()[0])
            assert np.array_equal(repeats_out[:k].copy_to_host(), expected_repeats), (
                f"{module.__name__}: wrong repeats at {n}"
            )
        except AssertionError as wrong:
            print(f"not timed: {wrong}")
            continue
        rows.append(
            (
                f"{module.__name__}.exclusive_scan_device",
                8,
                "scan",
                functools.partial(module.exclusive_scan_device, a, out),
            )
        )
        rows.append(
            (
                f"{module.__name__}.find_repeats_device",
                4,
                "repeats",
                functools.partial(module.find_repeats_device, a, repeats_out, count),
            )
        )
    measured = [
        (name, per_element, kind, median_ms(function, options.repeats)) for name, per_element, kind, function in rows
    ]
    copy_gbps = 8 * n / measured[0][3] / 1e6
    peers = {"scan": measured[1][3], "repeats": measured[2][3]}
    device = cuda.get_current_device().name
    device = device.decode() if isinstance(device, bytes) else device
    print(
        f"\n{device}: n = {n:,} int32, median of {options.repeats} calls, "
        f"{expected_repeats.size:,} repeats; checked at n = {', '.join(map(str, CHECK_SIZES))} and {n}"
    )
    print(f"{'':46s} {'ms':>7s} {'Gelem/s':>8s} {'GB/s':>7s} {'of copy':>8s} {'vs cupy':>8s}")
    for name, per_element, kind, ms in measured:
        gbps = per_element * n / ms / 1e6
        print(f"{name:46s} {ms:7.3f} {n / ms / 1e6:8.1f} {gbps:7.0f} {gbps / copy_gbps:8.2f} {peers[kind] / ms:7.2f}x")


if __name__ == "__main__":
    from grader import bench

    bench.require_gpu("python -m assignments.scan.bench_gpu")
    main()

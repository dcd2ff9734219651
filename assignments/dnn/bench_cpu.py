"""Your threaded and SIMD operators against torch's CPU operators, timed interleaved at the grader's sizes.

    python -m assignments.dnn.bench_cpu               # your assignments/dnn/{threaded,simd}.py
    python -m assignments.dnn.bench_cpu --solutions   # the reference

Each round times every contestant once (best of a few calls, after a warm-up), in turn, so a busy machine slows
them all alike; the table shows the median over rounds of each time and of each ratio to torch's on every core.
The machine's load (``os.getloadavg``) is printed with the figures: on a machine that is busy they mean little.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import os
import statistics
import time


def _best(function, calls: int = 3) -> float:
    best = float("inf")
    for _ in range(calls):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    import torch

    from grader import machine
    from grader.suites.dnn import baseline, tasks

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--solutions", action="store_true", help="time the reference solutions")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    package = "solutions" if args.solutions else "assignments"
    threaded = importlib.import_module(f"{package}.dnn.threaded")
    simd = importlib.import_module(f"{package}.dnn.simd")
    cores = machine.cores()
    torch.set_num_threads(cores)
    print(f"{package}/dnn on {cores} cores, load average {os.getloadavg()[0]:.2f} (torch {torch.__version__})")
    for function in tasks.FUNCTIONS:
        params = tasks.CPU_SIZES[function]
        inputs = getattr(baseline, f"make_{function}_inputs")(**params)
        tensors = tuple(torch.from_numpy(a) if hasattr(a, "dtype") else a for a in inputs)
        contestants = {
            f"torch ({cores} threads)": functools.partial(getattr(baseline, f"torch_{function}"), *tensors),
            "threaded": functools.partial(getattr(threaded, function), *inputs, num_threads=cores),
            "simd (1 core)": functools.partial(getattr(simd, function), *inputs),
        }
        for run in contestants.values():
            run()  # compile, warm the caches
        times: dict[str, list[float]] = {name: [] for name in contestants}
        for _ in range(args.rounds):
            for name, run in contestants.items():
                times[name].append(_best(run))
        torch_times = times[f"torch ({cores} threads)"]
        print(f"  {function} {params}")
        for name, samples in times.items():
            ratio = statistics.median(t / r for t, r in zip(samples, torch_times, strict=True))
            print(f"    {name:<18} {statistics.median(samples) * 1e3:9.2f} ms   {ratio:5.2f}x torch's time")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

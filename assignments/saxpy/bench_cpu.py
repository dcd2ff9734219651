"""Your threaded SAXPY against numpy's ``a * x + y``, on this machine's cores.

    python -m assignments.saxpy.bench_cpu [log2_n] [--solutions]     (default n = 2^24; --solutions: the reference)

Times, interleaved (one of each per round) after a warm-up, 15 rounds of: numpy, your threaded ``saxpy``
(all cores), and the same threads writing into a result allocated once beforehand, which shows what the
operating system's fresh pages cost (see the handout). Prints medians, GB/s and ratios.
"""

import importlib
import os
import statistics
import sys
import threading
import time

import numpy as np


def main(log2_n: int = 24, package: str = "assignments") -> None:
    threaded = importlib.import_module(f"{package}.saxpy.threaded")
    n = 2**log2_n
    rng = np.random.default_rng(0)
    a = np.float32(2.5)
    x = rng.standard_normal(n, dtype=np.float32)
    y = rng.standard_normal(n, dtype=np.float32)
    result = np.empty_like(x)
    cores = os.cpu_count() or 1
    bounds = [n * t // cores for t in range(cores + 1)]

    def into_preallocated():
        chunks = [slice(bounds[t], bounds[t + 1]) for t in range(cores)]
        threads = [threading.Thread(target=threaded._saxpy_chunk, args=(a, x[c], y[c], result[c])) for c in chunks]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    cases = {"numpy a*x + y": lambda: a * x + y,
             f"threaded saxpy ({cores} threads)": lambda: threaded.saxpy(a, x, y, num_threads=cores),
             "same, into a preallocated result": into_preallocated}
    for run in cases.values():
        run()
    times = {name: [] for name in cases}
    for _ in range(15):
        for name, run in cases.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    numpy_s = statistics.median(times["numpy a*x + y"])
    print(f"n = 2^{log2_n}, {package}, {cores} cores")
    print(f"{'what':<36}{'ms':>9}{'GB/s':>8}{'vs numpy':>10}")
    for name, values in times.items():
        seconds = statistics.median(values)
        print(f"{name:<36}{seconds * 1e3:>9.2f}{12 * n / seconds / 1e9:>8.1f}{numpy_s / seconds:>9.2f}x")


if __name__ == "__main__":
    numbers = [word for word in sys.argv[1:] if word.isdigit()]
    main(int(numbers[0]) if numbers else 24, "solutions" if "--solutions" in sys.argv else "assignments")

"""SAXPY side by side: the serial loop, numpy's ``a * x + y`` and your variants, on the n and threads you choose.

    python -m assignments.saxpy.bench_cpu                        # n = 2^24, one row per core count you give
    python -m assignments.saxpy.bench_cpu --threads 1 2 4 8      # the GB/s against threads of question 1
    python -m assignments.saxpy.bench_cpu --n 4096               # 48 KiB: fits in L2 (question 3)
    python -m assignments.saxpy.bench_cpu --solutions            # the reference instead of yours

Rows: the serial baseline the grader times (one compiled loop, one core), numpy, your threaded ``saxpy`` at each
thread count, the same threads writing into a result allocated once beforehand (what the operating system's
fresh pages cost: see the handout), and your SIMD ``saxpy``. GB/s counts 12 bytes an element, as the grader does.
"""

import functools
import itertools
import threading

import numpy as np

from grader import bench
from grader.suites.saxpy import baseline


def main() -> None:
    options = bench.parser(__doc__.splitlines()[0], 2**24, "array length").parse_args()
    a, x, y = baseline.make_inputs(options.n)
    rows = [
        bench.Row("serial loop (one core)", lambda: baseline.saxpy(a, x, y)),
        bench.Row("numpy a * x + y", lambda: a * x + y),
    ]
    threaded = bench.variant("saxpy", "threaded", options.solutions)
    if threaded is not None:
        for threads in options.threads:
            rows.append(
                bench.Row(
                    f"threaded saxpy, {threads} threads",
                    functools.partial(threaded.saxpy, a, x, y, num_threads=threads),
                )
            )
        result = np.empty_like(x)
        bounds = [options.n * t // options.threads[-1] for t in range(options.threads[-1] + 1)]

        def into_preallocated():
            workers = [
                threading.Thread(target=threaded._saxpy_chunk, args=(a, x[lo:hi], y[lo:hi], result[lo:hi]))
                for lo, hi in itertools.pairwise(bounds)
            ]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()

        try:  # the row needs your _saxpy_chunk (threads would swallow its exception)
            threaded._saxpy_chunk(a, x[:8], y[:8], result[:8])
            rows.append(bench.Row(f"same, {options.threads[-1]} threads, preallocated result", into_preallocated))
        except NotImplementedError:
            pass
    simd = bench.variant("saxpy", "simd", options.solutions)
    if simd is not None:
        rows.append(bench.Row("simd saxpy (one core)", lambda: simd.saxpy(a, x, y)))
    bench.table(
        rows,
        rounds=options.rounds,
        title=f"SAXPY, n = {options.n:,}",
        bytes_per_call=12 * options.n,
        serial="serial loop (one core)",
        numpy="numpy a * x + y",
    )


if __name__ == "__main__":
    main()

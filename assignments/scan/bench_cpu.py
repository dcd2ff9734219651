"""Scan and find_repeats side by side: the serial loops, numpy and your variants, on the n and threads you choose.

    python -m assignments.scan.bench_cpu                         # n = 2^24, rand() % 10 as graded
    python -m assignments.scan.bench_cpu --threads 1 2 4         # how your two passes scale
    python -m assignments.scan.bench_cpu --n 100000              # where threads stop paying
    python -m assignments.scan.bench_cpu --solutions             # the reference instead of yours

Rows for each function: the serial loop (the simd variant's baseline), numpy (``np.cumsum`` /
``np.flatnonzero``, the threaded variant's baseline), your threaded function at each thread count and your SIMD
one. GB/s counts what the grader counts: 8 bytes an element for a scan (read a, write out), 4 for find_repeats.
"""

import functools

from grader import bench
from grader.suites.scan import baseline


def main() -> None:
    options = bench.parser(__doc__.splitlines()[0], 2**24, "array length").parse_args()
    (a,) = baseline.make_inputs(options.n)
    threaded = bench.variant("scan", "threaded", options.solutions)
    simd = bench.variant("scan", "simd", options.solutions)
    for function, per_element in (("exclusive_scan", 8), ("find_repeats", 4)):
        rows = [
            bench.Row("serial loop (one core)", functools.partial(getattr(baseline, function), a)),
            bench.Row("numpy", functools.partial(getattr(baseline, f"numpy_{function}"), a)),
        ]
        if threaded is not None:
            for threads in options.threads:
                rows.append(
                    bench.Row(
                        f"threaded {function}, {threads} threads",
                        functools.partial(getattr(threaded, function), a, num_threads=threads),
                    )
                )
        if simd is not None:
            rows.append(bench.Row(f"simd {function} (one core)", functools.partial(getattr(simd, function), a)))
        bench.table(
            rows,
            rounds=options.rounds,
            title=f"{function}, n = {options.n:,}",
            bytes_per_call=per_element * options.n,
            serial="serial loop (one core)",
            numpy="numpy",
        )
        print()


if __name__ == "__main__":
    main()

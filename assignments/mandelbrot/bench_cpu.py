"""Mandelbrot side by side: the serial loop, numpy and your variants, on the view, size and threads you choose.

    python -m assignments.mandelbrot.bench_cpu --view 1 --threads 1 2 3 4 8   # the speedup plot of step 1
    python -m assignments.mandelbrot.bench_cpu --view 3                       # the unbalanced view
    python -m assignments.mandelbrot.bench_cpu --view 2 --n 800              # the course's detail, smaller
    python -m assignments.mandelbrot.bench_cpu --solutions                    # the reference instead of yours

``--n`` is the image width (the height is three quarters of it; the grader uses 1600x1200). Rows: the serial
loop the grader times (one core), numpy (the whole image as arrays, one iteration at a time: the grader's
oracle), your threaded ``mandelbrot`` at each thread count and your SIMD one. The throughput column counts
pixel-iterations (the sum of all counts) per second, so views of different cost compare.
"""

import functools

import numpy as np

from grader import bench
from grader.suites.mandelbrot import baseline, oracle


def main() -> None:
    parser = bench.parser(__doc__.splitlines()[0], baseline.WIDTH, "image width")
    parser.add_argument(
        "--view",
        type=int,
        choices=(1, 2, 3),
        default=1,
        help="1: the whole set; 2: the course's detail; 3: view 1 moved up by 0.5 (the graded unbalanced view)",
    )
    options = parser.parse_args()
    view_number = options.view
    width, height = options.n, options.n * 3 // 4
    args = baseline.make_inputs(view_number, width, height)
    iterations = int(baseline.mandelbrot(*args).sum(dtype=np.int64))
    rows = [
        bench.Row("serial loop (one core)", lambda: baseline.mandelbrot(*args)),
        bench.Row("numpy (whole-image arrays)", lambda: oracle.mandelbrot(*args)),
    ]
    threaded = bench.variant("mandelbrot", "threaded", options.solutions)
    if threaded is not None:
        for threads in options.threads:
            rows.append(
                bench.Row(
                    f"threaded mandelbrot, {threads} threads",
                    functools.partial(threaded.mandelbrot, *args, num_threads=threads),
                )
            )
    simd = bench.variant("mandelbrot", "simd", options.solutions)
    if simd is not None:
        rows.append(bench.Row("simd mandelbrot (one core)", lambda: simd.mandelbrot(*args)))
    bench.table(
        rows,
        rounds=options.rounds,
        title=f"Mandelbrot view {view_number}, {width}x{height}",
        work=("pixel-iterations", iterations),
        serial="serial loop (one core)",
        numpy="numpy (whole-image arrays)",
    )


if __name__ == "__main__":
    main()

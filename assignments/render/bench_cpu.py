"""The circle renderer side by side: the serial renderer and your variants, on the scene, size and threads you choose.

    python -m assignments.render.bench_cpu --scene rand10k --threads 1 2 4   # how your tiles scale
    python -m assignments.render.bench_cpu --scene biglittle                  # mixed radii: uneven tiles
    python -m assignments.render.bench_cpu --scene rgb --n 256                # three circles, small frame
    python -m assignments.render.bench_cpu --solutions                        # the reference instead of yours

``--n`` is the frame's side in pixels (the grader uses 1024). Rows: the serial renderer the grader times (the
course's: every circle in order, its bounding box, one core), your threaded ``render`` at each thread count and
your SIMD one. There is no numpy row: the order rule makes the whole frame one sequential chain per pixel.
"""

import functools

from assignments.render.common import SCENES
from grader import bench
from grader.suites.render import baseline


def main() -> None:
    parser = bench.parser(__doc__.splitlines()[0], 1024, "frame side in pixels")
    parser.add_argument("--scene", choices=sorted(SCENES), default="rand10k")
    options = parser.parse_args()
    scene, width, height = baseline.make_inputs(options.scene, options.n, options.n)
    rows = [bench.Row("serial renderer (one core)", lambda: baseline.render(scene, width, height))]
    threaded = bench.variant("render", "threaded", options.solutions)
    if threaded is not None:
        for threads in options.threads:
            rows.append(
                bench.Row(
                    f"threaded render, {threads} threads",
                    functools.partial(threaded.render, scene, width, height, num_threads=threads),
                )
            )
    simd = bench.variant("render", "simd", options.solutions)
    if simd is not None:
        rows.append(bench.Row("simd render (one core)", lambda: simd.render(scene, width, height)))
    bench.table(
        rows,
        rounds=options.rounds,
        title=f"render {options.scene}, {width}x{height}",
        work=("pixels", width * height),
        serial="serial renderer (one core)",
    )


if __name__ == "__main__":
    main()

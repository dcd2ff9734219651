"""BFS and PageRank side by side: scipy's BFS and your variants, on the graph size and threads you choose.

    python -m assignments.graph.bench_cpu --threads 1 2 4        # an R-MAT graph of 2^18 vertices, 16 edges each
    python -m assignments.graph.bench_cpu --n 20                 # 2^20 vertices (about 17M edges)
    python -m assignments.graph.bench_cpu --solutions            # the reference instead of yours

``--n`` is the log2 of the vertex count of the R-MAT graph the grader benchmarks on (it uses 2^20 on the CPU).
Rows: scipy's ``breadth_first_order`` (the serial baseline of the BFS tasks, one core), your three BFS
variants at each thread count, your PageRank, and your SIMD BFS. The throughput column counts edges per second
(each BFS looks at every edge once, at least in principle: bottom-up may look at fewer).
"""

import functools

from grader import bench
from grader.suites.graph import baseline


def main() -> None:
    options = bench.parser(__doc__.splitlines()[0], 18, "log2 of the vertex count").parse_args()
    g, source = baseline.make_bfs_inputs(options.n)
    adjacency, _ = baseline.to_scipy(g, source)
    rows = [bench.Row("scipy BFS (one core)", lambda: baseline.bfs(adjacency, source))]
    threaded = bench.variant("graph", "threaded", options.solutions)
    if threaded is not None:
        for threads in options.threads:
            for function in ("bfs_top_down", "bfs_bottom_up", "bfs_hybrid"):
                rows.append(
                    bench.Row(
                        f"threaded {function}, {threads} threads",
                        functools.partial(getattr(threaded, function), g, source, num_threads=threads),
                    )
                )
            rows.append(
                bench.Row(
                    f"threaded pagerank, {threads} threads",
                    functools.partial(threaded.pagerank, g, num_threads=threads),
                )
            )
    simd = bench.variant("graph", "simd", options.solutions)
    if simd is not None:
        rows.append(bench.Row("simd bfs_hybrid (one core)", lambda: simd.bfs_hybrid(g, source)))
    bench.table(
        rows,
        rounds=options.rounds,
        title=f"graph: R-MAT 2^{options.n} vertices, {g.num_edges:,} edges",
        work=("edges", g.num_edges),
        serial="scipy BFS (one core)",
    )


if __name__ == "__main__":
    main()

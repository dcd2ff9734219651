"""Run a graph MPI module outside the grader: a correctness sweep or a strong-scaling timing.

    mpiexec -n P python -m grader.mpi_launch check [MODULE]          # edge cases + random cases vs the oracle
    mpiexec -n P python -m grader.mpi_launch time [MODULE] [SCALE]   # bfs_hybrid and pagerank on R-MAT

MODULE defaults to ``solutions.graph.mpi``. Every rank imports the module and makes each call (the calls are
collective); rank 0 compares its answers with the oracle and prints one line per result. The exit status is 1
if any answer was wrong. ``tests/test_graph_mpi.py`` and the handout's strong-scaling table use it.
"""

from __future__ import annotations

import importlib
import sys

import numpy as np


def check(module) -> int:
    from mpi4py import MPI

    from grader.compare import expect_array
    from grader.spec import Mismatch, Profile
    from grader.suites.graph import cases as strategies
    from grader.suites.graph import oracle

    comm = MPI.COMM_WORLD
    rng = np.random.default_rng(7)
    cases = list(strategies.edge_cases(Profile("cpu")))
    for kind in strategies.KINDS:  # plus one random case of every kind, the same on every rank
        cases.append(
            strategies.GraphCase(
                kind,
                int(rng.integers(1, 300)),
                int(rng.integers(0, 6)),
                bool(rng.integers(0, 2)),
                int(rng.integers(0, 2**31)),
                int(rng.integers(0, 2**31)),
            )
        )
    failures = 0
    for case in cases:
        g = case.graph()
        source = case.source_vertex(g)
        answers = {f: getattr(module, f)(g, source) for f in ("bfs_top_down", "bfs_bottom_up", "bfs_hybrid")}
        answers["pagerank"] = module.pagerank(g)
        if comm.rank:
            continue
        for function, got in answers.items():
            try:
                if function == "pagerank":
                    expect_array(got, oracle.pagerank(g), what=function, tolerance=oracle.PAGERANK_TOLERANCE)
                else:
                    expect_array(got, oracle.bfs(g, source), what=function)
            except Mismatch as wrong:
                failures += 1
                print(f"WRONG {case}: {wrong}", flush=True)
    if comm.rank == 0:
        print(f"checked {len(cases)} graphs x 4 functions on {comm.size} ranks: {failures} wrong", flush=True)
    return 1 if failures else 0


def timing(module, scale: int) -> int:
    from mpi4py import MPI

    from grader.suites.graph.baseline import make_bfs_inputs

    comm = MPI.COMM_WORLD
    g, source = make_bfs_inputs(scale)
    for function, args in (("bfs_hybrid", (g, source)), ("pagerank", (g,))):
        getattr(module, function)(*args)  # warm-up: compile
        best = np.inf
        for _ in range(3):
            comm.Barrier()
            start = MPI.Wtime()
            getattr(module, function)(*args)
            comm.Barrier()
            best = min(best, MPI.Wtime() - start)
        if comm.rank == 0:
            print(
                f"{function} scale {scale} ranks {comm.size}: {best * 1e3:.1f} ms "
                f"({g.num_edges / best / 1e6:.0f} M edges/s)",
                flush=True,
            )
    return 0


def main(argv: list[str]) -> int:
    mode = argv[0] if argv else "check"
    module = importlib.import_module(argv[1] if len(argv) > 1 else "solutions.graph.mpi")
    if mode == "time":
        return timing(module, int(argv[2]) if len(argv) > 2 else 20)
    return check(module)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

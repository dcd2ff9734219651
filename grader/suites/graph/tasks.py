"""Assignment 5, graph: what the grader checks and times.

Each variant is worth 10 points: BFS correctness 3 (all three of bfs_top_down, bfs_bottom_up, bfs_hybrid must
match the oracle exactly), PageRank correctness 3 (within d/(1-d) * tol max-abs: oracle.pagerank_tolerance),
bfs_hybrid speed 2, pagerank speed 2. The MPI variant's correctness is checked at 2 and at 4 ranks (1.5 points
each per algorithm) and its speed at 2 ranks. Benchmarks run on a Graph500 R-MAT graph: scale 18 on a CPU
(262K vertices, 4.2M edges), scale 22 on a GPU (4M vertices, 64M edges). See assignments/graph/README.md.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

from grader import simd
from grader.compare import expect_array
from grader.spec import Assignment, Benchmark, Call, Contestant, Hook, Inspection, Mismatch, Property
from grader.suites.graph import baseline, oracle
from grader.suites.graph import cases as strategies

BFS_FUNCTIONS = ("bfs_top_down", "bfs_bottom_up", "bfs_hybrid")
FUNCTIONS = BFS_FUNCTIONS + ("pagerank",)
# The CPU graph's CSR arrays take 38 MB (4.2M int32 edges twice, two int64 offset arrays): past a laptop's
# last-level cache, so the searches go to memory; a reference BFS takes tens of ms on 2 cores, a PageRank
# a few hundred. Each step up in scale doubles every call (and building the graph in each of the 7 processes).
CPU_SCALE = 18
GPU_SCALE = 22
EDGE_FACTOR = 16
MPI_RANKS = (2, 4)


def _extra(call: Call, case: strategies.GraphCase) -> dict:
    # The drawn thread count: the default (None), one, uneven splits, more threads than cores.
    return {"num_threads": case.num_threads} if call.variant == "threaded" else {}


def check_bfs(call: Call, case: strategies.GraphCase) -> None:
    g = case.graph()
    source = case.source_vertex(g)
    expected = oracle.bfs(g, source)
    for function in BFS_FUNCTIONS:
        got = call(function, g, source, **_extra(call, case))
        try:
            expect_array(got, expected, what=f"{function}(g, source={source}) on {g!r}")
        except Mismatch as wrong:
            raise Mismatch(f"input: {case}\n{wrong}") from None


def check_pagerank(call: Call, case: strategies.GraphCase) -> None:
    g = case.graph()
    if case.default_pagerank:  # the documented defaults are part of the contract too
        got, what = call("pagerank", g, **_extra(call, case)), f"pagerank(g) on {g!r}"
    else:
        got = call("pagerank", g, damping=case.damping, tol=case.tol, **_extra(call, case))
        what = f"pagerank(g, damping={case.damping!r}, tol={case.tol!r}) on {g!r}"
    try:
        expect_array(
            got,
            oracle.pagerank(g, case.damping),
            what=what,
            tolerance=oracle.pagerank_tolerance(case.damping, case.tol),
        )
    except Mismatch as wrong:
        raise Mismatch(f"input: {case}\n{wrong}") from None


def verify_bfs(params: dict, inputs, output) -> None:
    g, source = inputs
    expect_array(output, oracle.bfs(g, source), what=f"timed BFS from {source} on {g!r}")


def verify_pagerank(params: dict, inputs, output) -> None:
    """One oracle iteration certifies the answer (oracle docstring): residual <= tol means max-abs error
    <= tol / (1 - d) = 6.7e-7, inside the 1e-6 tolerance."""
    (g,) = inputs
    if not isinstance(output, np.ndarray) or output.dtype != np.float64 or output.shape != (g.num_vertices,):
        raise Mismatch(
            f"timed pagerank on {g!r}: expected float64[{g.num_vertices}], got "
            f"{getattr(output, 'dtype', type(output).__name__)}{getattr(output, 'shape', '')}"
        )
    residual = oracle.pagerank_residual(g, output)
    if not residual <= 1e-7:
        raise Mismatch(
            f"timed pagerank on {g!r}: ||F(x) - x||_1 = {residual:.3g} > 1e-7: not converged to "
            f"the PageRank fixed point (the dangling mass or the teleport term may be wrong)"
        )


def correctness(variant: str, *, ranks: int = 0, points: float = 3) -> tuple[Property, Property]:
    on = f", {ranks} ranks" if ranks else ""
    limit = 900.0 if variant == "cuda" else 300.0  # the CUDA simulator runs each thread in Python
    # Drawn cases after the edge cases: under MPI every call is a collective of oversubscribed ranks (4 on 2
    # cores: ~10 ms a BFS level), on the simulator a kernel launch costs ~0.1 s; both get fewer.
    examples = dict(max_examples=20 if ranks else 40, simulator_max_examples=6)
    return (
        Property(
            variant=variant,
            points=points,
            name=f"bfs correctness{on}",
            cases=strategies.cases,
            check=check_bfs,
            edge_cases=strategies.edge_cases,
            ranks=ranks,
            time_limit_s=limit,
            **examples,
        ),
        Property(
            variant=variant,
            points=points,
            name=f"pagerank correctness{on}",
            cases=strategies.pagerank_cases,
            check=check_pagerank,
            edge_cases=strategies.pagerank_edge_cases,
            ranks=ranks,
            time_limit_s=limit,
            **examples,
        ),
    )


def speed(
    variant: str,
    *,
    scale: int = CPU_SCALE,
    fallback_bfs: float,
    fallback_pagerank: float,
    on_device: bool = False,
    ranks: int = 0,
    kwargs=None,
) -> tuple[Benchmark, Benchmark]:
    edges = EDGE_FACTOR * 2**scale
    suffix = " (kernel only)" if on_device else (f", {ranks} ranks" if ranks else "")
    bfs_learner = (
        Contestant("bfs_hybrid_device", prepare=baseline.to_device, collect=baseline.from_device)
        if on_device
        else Contestant("bfs_hybrid")
    )
    pagerank_learner = (
        Contestant("pagerank_device", prepare=baseline.to_device_pagerank, collect=baseline.from_device)
        if on_device
        else Contestant("pagerank")
    )
    learner_kwargs = kwargs or {}

    def benchmark(
        timed: str,
        *,
        inputs: Hook,
        learner: Contestant,
        reference: Contestant,
        verify: Callable[[dict, Any, Any], None],
        fallback: float,
        work: tuple[str, float],
    ) -> Benchmark:
        """The speed task of function ``timed``: what differs between the two, the rest shared."""
        return Benchmark(
            variant=variant,
            points=2,
            name=f"{timed} speed, R-MAT scale {scale}{suffix}",
            inputs=inputs,
            params={"scale": scale},
            learner=learner,
            baseline_module=baseline.__name__,
            baseline=reference,
            verify=verify,
            fallback_speedup=fallback,
            work=work,
            needs_gpu=on_device,
            ranks=ranks,
            kwargs=learner_kwargs,
            time_limit_s=600.0,
        )

    return (
        benchmark(
            "bfs_hybrid",
            inputs=baseline.make_bfs_inputs,
            learner=bfs_learner,
            reference=Contestant("bfs", prepare=baseline.to_scipy),
            verify=verify_bfs,
            fallback=fallback_bfs,
            work=("traversed edges", edges),
        ),
        benchmark(
            "pagerank",
            inputs=baseline.make_pagerank_inputs,
            learner=pagerank_learner,
            reference=Contestant("pagerank", prepare=baseline.to_scipy_pagerank),
            verify=verify_pagerank,
            fallback=fallback_pagerank,
            work=("edges", edges),
        ),
    )


def _simd_warm_up(profile):
    g = strategies.GraphCase("rmat", 64, 4, True, 1, 0).graph()
    return [(function, (g, 0)) for function in BFS_FUNCTIONS] + [("pagerank", (g,))]


ASSIGNMENT = Assignment(
    number=5,
    name="graph",
    title="Graph processing: BFS top-down, bottom-up and hybrid; PageRank; threads, SIMD, CUDA and MPI",
    variants=("threaded", "simd", "cuda", "mpi"),
    functions={
        "threaded": FUNCTIONS,
        "simd": FUNCTIONS,
        "mpi": FUNCTIONS,
        "cuda": FUNCTIONS + ("bfs_top_down_device", "bfs_bottom_up_device", "bfs_hybrid_device", "pagerank_device"),
    },
    tasks=(
        *correctness("threaded"),
        *speed("threaded", fallback_bfs=2.0, fallback_pagerank=1.0, kwargs={"num_threads": os.cpu_count() or 1}),
        *correctness("simd"),
        Inspection(variant="simd", name="vector instructions", inspect=simd.packed_instructions, warm_up=_simd_warm_up),
        *speed("simd", fallback_bfs=3.0, fallback_pagerank=0.75),
        *correctness("cuda"),
        *speed("cuda", scale=GPU_SCALE, fallback_bfs=10.0, fallback_pagerank=20.0, on_device=True),
        *correctness("mpi", ranks=2, points=1.5),
        *correctness("mpi", ranks=4, points=1.5),
        *speed("mpi", ranks=2, fallback_bfs=2.0, fallback_pagerank=0.8),
    ),
)

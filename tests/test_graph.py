"""Assignment 5 (graph): the graph type, the oracle, the CPU reference solutions, the spec's checks, the starters."""

from __future__ import annotations

import collections
import dataclasses
import importlib

import numpy as np
import pytest
from hypothesis import given, settings

from assignments.graph.common import (
    GraphFormatError,
    chain,
    grid_2d,
    load_edge_list,
    load_matrix_market,
    rmat,
    uniform_random,
)
from grader.spec import Mismatch, Profile
from grader.suites.graph import cases as strategies
from grader.suites.graph import oracle
from grader.suites.graph import tasks as spec
from support import LocalCall

CPU = Profile("cpu")


# --------------------------------------------------------------------------------------------- brute force
def bfs_by_deque(n, tails, heads, source):
    """The textbook BFS on an edge list: an independent definition of the distances."""
    adjacency = collections.defaultdict(list)
    for u, v in zip(tails.tolist(), heads.tolist(), strict=True):
        adjacency[u].append(v)
    distance = [-1] * n
    distance[source] = 0
    queue = collections.deque([source])
    while queue:
        u = queue.popleft()
        for v in adjacency[u]:
            if distance[v] == -1:
                distance[v] = distance[u] + 1
                queue.append(v)
    return np.array(distance, dtype=np.int32)


def pagerank_by_dense_solve(n, tails, heads, damping=0.85):
    """The fixed point solved directly: (I - d (P + dangling/n)) x = (1 - d)/n, with a dense matrix."""
    transition = np.zeros((n, n))
    out_degree = np.bincount(tails, minlength=n)
    for u, v in zip(tails.tolist(), heads.tolist(), strict=True):
        transition[v, u] += 1.0 / out_degree[u]
    transition[:, out_degree == 0] = 1.0 / n
    return np.linalg.solve(np.eye(n) - damping * transition, np.full(n, (1.0 - damping) / n))


# --------------------------------------------------------------------------------------------- graph type
def test_csr_out_and_in_hold_the_same_edges():
    g = uniform_random(50, 200, seed=3)
    tails, heads = g.edges()
    in_tails = g.in_neighbors
    in_heads = np.repeat(np.arange(50), g.in_degrees())
    out_edges = sorted(zip(tails.tolist(), heads.tolist(), strict=True))
    assert out_edges == sorted(zip(in_tails.tolist(), in_heads.tolist(), strict=True))
    assert g.out_offsets.dtype == np.int64 and g.out_neighbors.dtype == np.int32
    assert g.in_offsets.dtype == np.int64 and g.in_neighbors.dtype == np.int32
    with pytest.raises(dataclasses.FrozenInstanceError):
        g.name = "changed"


def test_generators_have_the_promised_shape():
    g = rmat(10, edge_factor=4, seed=2)
    assert (g.num_vertices, g.num_edges) == (1024, 4096)
    assert rmat(10, 4, seed=2).out_neighbors.tolist() == g.out_neighbors.tolist()  # deterministic
    assert g.out_degrees().max() > 8 * g.out_degrees().mean()  # skewed: hubs
    grid = grid_2d(4, 6)
    assert oracle.bfs(grid, 0).max() == 4 + 6 - 2
    assert oracle.bfs(chain(100), 0).tolist() == list(range(100))
    assert chain(1).num_edges == 0 and chain(0).num_vertices == 0


def test_loaders_read_edge_lists_and_matrix_market(tmp_path):
    edges = tmp_path / "g.txt"
    edges.write_text("# comment\n0 1\n1 2 7.5\n\n2 0\n")
    g = load_edge_list(str(edges))
    assert g.num_vertices == 3
    assert sorted(zip(*[a.tolist() for a in g.edges()], strict=True)) == [(0, 1), (1, 2), (2, 0)]
    mtx = tmp_path / "g.mtx"
    mtx.write_text("%%MatrixMarket matrix coordinate pattern symmetric\n% c\n3 3 2\n2 1\n3 3\n")
    g = load_matrix_market(str(mtx))
    assert sorted(zip(*[a.tolist() for a in g.edges()], strict=True)) == [(0, 1), (1, 0), (2, 2)]


@pytest.mark.parametrize(
    "text, needle",
    [
        ("0 1\n1 x\n", ":2: vertex ids must be integers"),
        ("0 1\n5\n", ":2: expected two vertex ids"),
        ("0 -3\n", ":1: vertex id out of range"),
    ],
)
def test_malformed_edge_list_is_one_clear_line(tmp_path, text, needle):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(GraphFormatError, match=needle) as error:
        load_edge_list(str(path))
    assert "\n" not in str(error.value) and isinstance(error.value, ValueError)


@pytest.mark.parametrize(
    "text, needle",
    [
        ("0 1\n", "no '%%MatrixMarket' header"),
        ("%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n4\n", "only 'matrix coordinate'"),
        ("%%MatrixMarket matrix coordinate pattern general\n2 3 1\n1 1\n", "square"),
        ("%%MatrixMarket matrix coordinate pattern general\n2 2 2\n1 1\n", "promises 2 entries, found 1"),
        ("%%MatrixMarket matrix coordinate pattern general\n2 2 1\n3 1\n", "out of range"),
    ],
)
def test_malformed_matrix_market_is_one_clear_line(tmp_path, text, needle):
    path = tmp_path / "bad.mtx"
    path.write_text(text)
    with pytest.raises(GraphFormatError, match=needle):
        load_matrix_market(str(path))


# --------------------------------------------------------------------------------------------- oracle
@settings(max_examples=60, deadline=None)
@given(strategies.cases(Profile("simulator")))
def test_oracle_bfs_matches_the_textbook_bfs(case):
    g = case.graph()
    tails, heads = g.edges()
    source = case.source_vertex(g)
    assert oracle.bfs(g, source).tolist() == bfs_by_deque(g.num_vertices, tails, heads, source).tolist()


@settings(max_examples=40, deadline=None)
@given(strategies.cases(Profile("simulator")))
def test_oracle_pagerank_is_the_fixed_point(case):
    g = case.graph()
    tails, heads = g.edges()
    exact = pagerank_by_dense_solve(g.num_vertices, tails, heads)
    assert np.abs(oracle.pagerank(g) - exact).max() < 1e-11
    assert abs(oracle.pagerank(g).sum() - 1.0) < 1e-12


def test_residual_certificate_separates_right_from_wrong():
    g = strategies.GraphCase("star", 200, 3, True, 4, 0).graph()
    right = oracle.pagerank(g)
    assert oracle.pagerank_residual(g, right) < 1e-12
    assert oracle.pagerank_residual(g, np.full(g.num_vertices, 1.0 / g.num_vertices)) > 1e-3


# --------------------------------------------------------------------------------------------- solutions
CPU_VARIANTS = ("threaded", "simd")


@pytest.mark.parametrize("variant", CPU_VARIANTS)
def test_solutions_pass_the_edge_cases(variant):
    module = importlib.import_module(f"solutions.graph.{variant}")
    for case in strategies.edge_cases(CPU):
        spec.check_bfs(LocalCall(module, variant), case)
        spec.check_pagerank(LocalCall(module, variant), case)


@pytest.mark.parametrize("variant", CPU_VARIANTS)
def test_solutions_agree_with_the_oracle_on_drawn_graphs(variant):
    module = importlib.import_module(f"solutions.graph.{variant}")

    @settings(max_examples=30, deadline=None)
    @given(strategies.cases(CPU))
    def agrees(case):
        spec.check_bfs(LocalCall(module, variant), case)
        spec.check_pagerank(LocalCall(module, variant), case)

    @settings(max_examples=30, deadline=None)
    @given(strategies.pagerank_cases(CPU))
    def pagerank_agrees(case):  # damping, tol and the number of vertices (0 too) drawn
        spec.check_pagerank(LocalCall(module, variant), case)

    agrees()
    pagerank_agrees()


def test_threaded_result_does_not_depend_on_the_thread_count():
    from solutions.graph import threaded

    g = strategies.GraphCase("broom", 300, 0, True, 3, 0).graph()
    expected = oracle.bfs(g, 0)
    for threads in (1, 2, 5):
        for function in (threaded.bfs_top_down, threaded.bfs_bottom_up, threaded.bfs_hybrid):
            assert function(g, 0, num_threads=threads).tolist() == expected.tolist()


def test_benchmark_verifiers_accept_the_reference_and_reject_a_wrong_answer():
    from solutions.graph import threaded

    g = rmat(12, 8, seed=5)
    source = int(np.argmax(g.out_degrees()))
    spec.verify_bfs({}, (g, source), threaded.bfs_hybrid(g, source))
    spec.verify_pagerank({}, (g,), threaded.pagerank(g))
    with pytest.raises(Mismatch):
        spec.verify_bfs({}, (g, source), threaded.bfs_hybrid(g, source)[::-1].copy())
    with pytest.raises(Mismatch):
        spec.verify_pagerank({}, (g,), pagerank_without_dangling(g))


def test_scipy_baselines_agree_with_the_oracle():
    from grader.suites.graph import baseline as baselines

    g, source = baselines.make_bfs_inputs(10)
    assert baselines.bfs(*baselines.to_scipy(g, source)).tolist() == oracle.bfs(g, source).tolist()
    assert np.abs(baselines.pagerank(*baselines.to_scipy_pagerank(g)) - oracle.pagerank(g)).max() < 1e-6


# --------------------------------------------------------------------------------------------- planted bugs
def bfs_missing_last_vertex(g, source, **_):
    distance = oracle.bfs(g, source)
    distance[-1] = -1
    return distance


def hybrid_never_switching_back_correctly(g, source, **_):
    """Goes bottom-up when the frontier is big; on the way back reuses the stale top-down queue."""
    n = g.num_vertices
    distance = np.full(n, -1, np.int32)
    distance[source] = 0
    queue, in_frontier, bottom_up, level = [source], np.zeros(n, bool), False, 0
    while True:
        frontier_edges = sum(g.out_offsets[u + 1] - g.out_offsets[u] for u in queue)
        if not bottom_up and frontier_edges * 14 > g.num_edges:
            in_frontier[:] = False
            in_frontier[queue] = True
            bottom_up = True
        elif bottom_up and in_frontier.sum() * 24 < n:
            bottom_up = False  # bug: the queue is not rebuilt from in_frontier
        if bottom_up:
            found = np.zeros(n, bool)
            for v in np.flatnonzero(distance == -1):
                if in_frontier[g.in_neighbors[g.in_offsets[v] : g.in_offsets[v + 1]]].any():
                    found[v], distance[v] = True, level + 1
            in_frontier = found
            if not found.any():
                return distance
        else:
            next_queue = []
            for u in queue:
                for v in g.out_neighbors[g.out_offsets[u] : g.out_offsets[u + 1]]:
                    if distance[v] == -1:
                        distance[v] = level + 1
                        next_queue.append(int(v))
            queue = next_queue
            if not queue:
                return distance
        level += 1


def pagerank_without_dangling(g, damping=0.85, tol=1e-7, **_):
    n = g.num_vertices
    out_degree = np.diff(g.out_offsets)
    x = np.full(n, 1.0 / n)
    tails = np.repeat(np.arange(n), out_degree)
    while True:
        share = np.divide(x, out_degree, out=np.zeros(n), where=out_degree > 0)
        new = (1 - damping) / n + damping * np.bincount(g.out_neighbors, share[tails], minlength=n)
        if np.abs(new - x).sum() < tol:
            return new
        x = new


def bfs_int64(g, source, **_):
    return oracle.bfs(g, source).astype(np.int64)


def pagerank_float32(g, damping=0.85, tol=1e-7, **_):
    return oracle.pagerank(g, damping).astype(np.float32)


def bfs_mutating_input(g, source, **_):
    distance = oracle.bfs(g, source)
    g.out_neighbors[:] = 0  # the sandbox reports a changed input; here the next function's answer is wrong
    g.in_neighbors[:] = 0
    return distance


PLANTED = {
    "misses the last vertex": ({"bfs_top_down": bfs_missing_last_vertex}, spec.check_bfs),
    "hybrid never switches back correctly": ({"bfs_hybrid": hybrid_never_switching_back_correctly}, spec.check_bfs),
    "pagerank ignores dangling vertices": ({"pagerank": pagerank_without_dangling}, spec.check_pagerank),
    "bfs returns int64": ({"bfs_bottom_up": bfs_int64}, spec.check_bfs),
    "pagerank returns float32": ({"pagerank": pagerank_float32}, spec.check_pagerank),
}


@pytest.mark.parametrize("bug", sorted(PLANTED))
def test_planted_bug_is_caught_by_the_edge_cases(bug):
    from solutions.graph import threaded

    overrides, check = PLANTED[bug]
    call = LocalCall(threaded, "threaded", **overrides)
    with pytest.raises(Mismatch, match="^input: kind="):
        for case in strategies.edge_cases(CPU):
            check(call, case)


def test_broom_edge_case_makes_a_hybrid_switch_both_ways():
    """The planted stale-queue bug is caught because the broom forces bottom-up then top-down again."""
    case = strategies.GraphCase("broom", 257, 0, False, 10, 1)
    assert case in [dataclasses.replace(edge, num_threads=case.num_threads) for edge in strategies.edge_cases(CPU)]
    g = case.graph()
    assert hybrid_never_switching_back_correctly(g, 1).tolist() != oracle.bfs(g, 1).tolist()


def test_mutating_the_graph_is_caught():
    from solutions.graph import threaded

    call = LocalCall(threaded, "threaded", bfs_top_down=bfs_mutating_input)
    with pytest.raises(Mismatch):
        spec.check_bfs(call, strategies.GraphCase("grid", 12, 0, False, 7, 5))


# --------------------------------------------------------------------------------------------- starters
@pytest.mark.parametrize("variant", ("threaded", "simd", "cuda", "mpi"))
def test_starters_define_every_function_and_raise_todo(variant):
    if variant == "mpi":
        pytest.importorskip("mpi4py")
    module = importlib.import_module(f"assignments.graph.{variant}")
    for function in spec.ASSIGNMENT.functions[variant]:
        assert callable(getattr(module, function))
    if variant == "cuda":
        return  # the host functions need numba.cuda (a GPU or the simulator): see test_graph_cuda.py
    g = chain(3)
    for function in spec.BFS_FUNCTIONS:
        with pytest.raises(NotImplementedError, match="TODO"):
            getattr(module, function)(g, 0)
    with pytest.raises(NotImplementedError, match="TODO"):
        module.pagerank(g)

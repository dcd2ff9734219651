"""Assignment 5 (graph): planted submissions (tests/planted/) that the cases drawn before issue 15 accepted.

Each is right wherever its one mistake cannot show, so each test shows both halves: the check passes where
the mistake is invisible (as every case drawn then was) and fails on the PageRank edge cases the grader draws
now, on exactly the cases that expose the mistake.
"""

from __future__ import annotations

import types
from pathlib import Path

import pytest

from grader.spec import Mismatch, Profile
from grader.suites.graph import cases as strategies
from grader.suites.graph import tasks as spec
from support import LocalCall, load_module

PLANTED = Path(__file__).resolve().parent / "planted"
CPU = Profile("cpu")


def planted(case: str) -> types.ModuleType:
    """The planted submission's threaded module, imported from its file."""
    return load_module(f"planted_{case}", PLANTED / case / "graph" / "threaded.py")


def test_pagerank_ignoring_damping_is_caught_by_other_dampings():
    call = LocalCall(planted("graph_pagerank_damping"), "threaded")
    failing = []
    for case in strategies.pagerank_edge_cases(CPU):
        try:
            spec.check_pagerank(call, case)
        except Mismatch:
            failing.append(case)
    assert failing, "no PageRank edge case exposes an ignored damping"
    # Only dampings other than 0.85 expose it (and not on a graph whose answer is 1/n whatever the damping).
    assert all(case.damping != strategies.DAMPING for case in failing)
    assert any(case.default_pagerank for case in strategies.pagerank_edge_cases(CPU))  # passed above


def test_pagerank_dividing_by_zero_vertices_is_caught_by_the_empty_graph():
    call = LocalCall(planted("graph_empty"), "threaded")
    empty = [case for case in strategies.pagerank_edge_cases(CPU) if case.graph().num_vertices == 0]
    assert empty, "no PageRank edge case has zero vertices"
    for case in strategies.pagerank_edge_cases(CPU):
        if case in empty:
            # The sandbox turns the exception into this task's failure; here it comes out as raised.
            with pytest.raises(ZeroDivisionError):
                spec.check_pagerank(call, case)
        else:
            spec.check_pagerank(call, case)

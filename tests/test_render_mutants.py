"""Assignment 4 (render): planted renderers (tests/planted/) that the cases drawn before issue 15 accepted.

Each is right wherever its one mistake cannot show, so each test shows both halves: the check passes where
the mistake is invisible (as every case drawn then was) and fails on the edge cases the grader draws now,
on exactly the cases that expose the mistake.
"""

from __future__ import annotations

import re
import types
from pathlib import Path

import pytest

from grader.spec import Mismatch, Profile
from grader.suites.render import cases as strategies
from grader.suites.render import tasks as spec
from support import LocalCall, load_module

PLANTED = Path(__file__).resolve().parent / "planted"
CPU = Profile("cpu")


def planted(case: str) -> types.ModuleType:
    """The planted submission's threaded renderer, imported from its file."""
    return load_module(f"planted_{case}", PLANTED / case / "render" / "threaded.py")


def caught_on(module) -> list[strategies.RenderCase]:
    """The edge cases on which the grader's check rejects ``module``."""
    call = LocalCall(module, "threaded")
    failing = []
    for case in strategies.edge_cases(CPU):
        try:
            spec.check_render(call, case)
        except Mismatch:
            failing.append(case)
    return failing


def test_a_fixed_tile_capacity_is_caught_by_crowded_tiles():
    module = planted("render_tile_capacity")
    # 600 circles over a 40x40 frame (the most any case held before): no tile reaches the capacity
    spec.check_render(LocalCall(module, "threaded"), strategies.RenderCase(40, 40, 600, "many", 8))
    failing = caught_on(module)
    assert failing, "no edge case crowds a tile past 2,048 circles"
    assert all(case.circles > module.CAPACITY for case in failing)


def test_an_opaque_start_is_caught_by_backgrounds_with_alpha_below_one():
    module = planted("render_background_alpha")
    spec.check_render(LocalCall(module, "threaded"), strategies.RenderCase(33, 17, 6, "overlap", 3))
    failing = caught_on(module)
    assert failing, "no edge case has a background alpha below 1"
    assert all(case.background[3] < 1 for case in failing)


@pytest.mark.slow
def test_the_grader_fails_a_fixed_tile_capacity_end_to_end(grader):
    run = grader(
        "render",
        "--variant",
        "threaded",
        "--quick",
        "--seed",
        "1",
        "--submission",
        str(PLANTED / "render_tile_capacity"),
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert re.search(r"^FAIL +threaded +correctness ", run.stdout, re.M) and "circles covering it" in run.stdout

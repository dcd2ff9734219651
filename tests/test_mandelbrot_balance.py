"""The load-balance lesson is graded where it is taught: on view 3, contiguous row blocks leave one thread
far more than its share of the work at any core count, while interleaved rows share it evenly.

The work-share arithmetic uses the oracle's per-row iteration counts of the graded image (1600x1200, 256
iterations): a decomposition's time is its busiest thread's work, so contiguous blocks are slower than a
balanced split by (largest block's work) / (total work / cores)."""

from __future__ import annotations

import numpy as np
import pytest

from grader import machine
from grader.suites.mandelbrot import baseline
from grader.suites.mandelbrot import tasks as spec


def _row_work(view_number: int) -> np.ndarray:
    return spec.expected_counts(baseline.make_inputs(view_number)).sum(axis=1, dtype=np.int64)


def _imbalance(per_thread: list[int], cores: int) -> float:
    """How much longer the busiest thread works than a perfectly balanced split would."""
    return max(per_thread) / (sum(per_thread) / cores)


def contiguous_blocks(rows: np.ndarray, cores: int) -> float:
    bounds = [len(rows) * t // cores for t in range(cores + 1)]
    return _imbalance([int(rows[bounds[t] : bounds[t + 1]].sum()) for t in range(cores)], cores)


def interleaved_rows(rows: np.ndarray, cores: int) -> float:
    return _imbalance([int(rows[t::cores].sum()) for t in range(cores)], cores)


@pytest.fixture(scope="module")
def view_3_rows():
    return _row_work(3)


@pytest.mark.parametrize("cores", sorted({2, 16, machine.cores()}))
def test_contiguous_blocks_are_at_least_1_5x_slower_than_a_balanced_split_on_view_3(view_3_rows, cores):
    assert contiguous_blocks(view_3_rows, cores) >= 1.5
    assert interleaved_rows(view_3_rows, cores) <= 1.05  # a balanced decomposition exists and is simple


def test_the_graded_views_are_views_1_and_3_and_view_3_is_view_1_moved_up():
    names = [task.name for task in spec.ASSIGNMENT.tasks if task.variant == "threaded"]
    assert names == ["correctness", "speed, view 1 (whole set)", "speed, view 3 (unbalanced rows)"]
    x0, y0, x1, y1 = baseline.view(1)
    assert baseline.view(3) == (x0, y0 + 0.5, x1, y1 + 0.5)
    assert spec.PIXEL_ITERATIONS[3, 1600, 1200] == int(_row_work(3).sum())


def test_the_courses_view_2_would_not_grade_the_lesson_on_two_cores():
    """Why view 3: view 2's row blocks are nearly balanced at 2 threads (under the first scoring band)."""
    assert contiguous_blocks(_row_work(2), 2) < 1.25

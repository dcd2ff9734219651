"""Assignment 1 (Mandelbrot): both sides of the tolerance (grader/suites/mandelbrot/oracle.py).

Accepted: every correct float32 implementation, including one compiled with fused multiply-adds (as a GPU
does) and one computed in float64. Rejected: a skipped row or column, dropped tail rows, off-by-one counts,
x and y swapped, a transposed non-square image, a wrong dtype, counts out of range.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from numba import njit

from grader.spec import Mismatch, Profile
from grader.suites.mandelbrot import baseline, oracle
from grader.suites.mandelbrot import cases as strategies
from grader.suites.mandelbrot import tasks as spec
from support import LocalCall

CPU = Profile("cpu")
F = np.float32


def _scalar_loop(x0, y0, dx, dy, width, height, max_iters, counts):
    for j in range(height):
        c_im = y0 + F(j) * dy
        for i in range(width):
            c_re = x0 + F(i) * dx
            z_re, z_im, count = c_re, c_im, 0
            while count < max_iters:
                if z_re * z_re + z_im * z_im > F(4.0):
                    break
                z_re, z_im = c_re + (z_re * z_re - z_im * z_im), c_im + F(2.0) * z_re * z_im
                count += 1
            counts[j, i] = count


# The same loop twice: exactly as written, and with LLVM allowed to contract a*b + c into FMA instructions.
_plain = njit(_scalar_loop)
_contracted = njit(fastmath={"contract"})(_scalar_loop)


def _run(kernel, x0, y0, x1, y1, width, height, max_iters, **ignored):
    x0, y0, x1, y1 = F(x0), F(y0), F(x1), F(y1)
    counts = np.zeros((height, width), dtype=np.int32)
    kernel(x0, y0, (x1 - x0) / F(width), (y1 - y0) / F(height), width, height, max_iters, counts)
    return counts


def fma_build(*args, **kwargs):
    return _run(_contracted, *args)


def float64_build(*args, **kwargs):
    return oracle.mandelbrot_float64(*args)


def _uses_fma() -> bool:
    fma_build(0.0, 0.0, 1.0, 1.0, 2, 2, 3)
    return "vfmadd" in "".join(_contracted.inspect_asm().values()).lower()


needs_fma = pytest.mark.skipif(not _uses_fma(), reason="this CPU has no FMA: the contracted build is not fused")


# -- accepted ---------------------------------------------------------------------------------------------------
@needs_fma
@pytest.mark.parametrize("number", [1, 2])
def test_an_fma_build_differs_from_the_oracle_yet_passes_on_the_full_views(number):
    args = baseline.make_inputs(number)
    got = fma_build(*args)
    assert np.count_nonzero(got != spec.expected_counts(args)) > 1000  # fused rounding does change counts...
    spec.check_mandelbrot(LocalCall(fma_build, "threaded"), strategies.whole_view(number, *args[4:]))  # ...all excused


@pytest.mark.parametrize("number", [1, 2])
def test_a_float64_computation_differs_from_the_oracle_yet_passes_on_the_full_views(number):
    args = baseline.make_inputs(number)
    assert np.count_nonzero(float64_build(*args) != spec.expected_counts(args)) > 1000
    spec.check_mandelbrot(LocalCall(float64_build, "threaded"), strategies.whole_view(number, *args[4:]))


@needs_fma
@given(case=strategies.cases(CPU))
@settings(max_examples=60, deadline=None)
def test_an_fma_build_passes_on_random_windows(case):
    spec.check_mandelbrot(LocalCall(fma_build, "threaded"), case)


@given(case=strategies.cases(CPU))
@settings(max_examples=40, deadline=None)
def test_a_float64_computation_passes_on_random_windows(case):
    spec.check_mandelbrot(LocalCall(float64_build, "threaded"), case)


def test_few_pixels_are_excused_on_view_1():
    """The rule is narrow: on the whole set, about 1% of the pixels may differ (1.2% at 1600x1200; here a
    quarter of the resolution, to keep the test quick)."""
    excused = oracle.excused(*baseline.make_inputs(1, 400, 300))
    assert 0.002 < excused.mean() < 0.03


# -- rejected ---------------------------------------------------------------------------------------------------
def _correct(*args, **kwargs):
    return _run(_plain, *args)


def _skip_last_row(*args, **kwargs):
    counts = _correct(*args)
    counts[-1, :] = 0
    return counts


def _skip_middle_column(*args, **kwargs):
    counts = _correct(*args)
    counts[:, counts.shape[1] // 2] = 0
    return counts


def _drop_tail_rows(*args, num_threads=3, **kwargs):
    """Blocks of height // num_threads rows: the last height % num_threads rows are never computed."""
    counts = _correct(*args)
    height = counts.shape[0]
    counts[num_threads * (height // num_threads) :] = 0
    return counts


def _count_one_more(*args, **kwargs):  # counting from z = 0 instead of z = c, or testing after the update
    return np.minimum(_correct(*args) + 1, args[6]).astype(np.int32)


def _count_one_less(*args, **kwargs):
    return np.maximum(_correct(*args) - 1, 0).astype(np.int32)


def _swap_x_and_y(x0, y0, x1, y1, width, height, max_iters, **kwargs):  # c_re from the row, c_im from the column
    return _correct(y0, x0, y1, x1, height, width, max_iters).T.copy()


def _transposed(*args, **kwargs):
    return _correct(*args).T.copy()


def _int64(*args, **kwargs):
    return _correct(*args).astype(np.int64)


def _float32(*args, **kwargs):
    return _correct(*args).astype(np.float32)


def _uncapped_garbage(*args, **kwargs):
    counts = _correct(*args)
    counts[0, 0] = args[6] + 1000
    return counts


WRONG = {
    f.__name__.lstrip("_"): f
    for f in (
        _skip_last_row,
        _skip_middle_column,
        _drop_tail_rows,
        _count_one_more,
        _count_one_less,
        _swap_x_and_y,
        _transposed,
        _int64,
        _float32,
        _uncapped_garbage,
    )
}
EDGE_CASES = strategies.edge_cases(CPU)[:-2]  # without the two full views, to keep this quick


@pytest.mark.parametrize("name", list(WRONG))
def test_the_edge_cases_catch_wrong_implementations(name):
    with pytest.raises(Mismatch, match="input: mandelbrot"):
        for case in EDGE_CASES:
            spec.check_mandelbrot(LocalCall(WRONG[name], "threaded"), case)


@pytest.mark.parametrize("name", ["skip_last_row", "skip_middle_column", "count_one_more", "swap_x_and_y"])
@pytest.mark.parametrize("number", [1, 2])
def test_the_full_views_catch_a_skipped_row_or_column_and_off_by_one(name, number):
    args = baseline.make_inputs(number)
    with pytest.raises(Mismatch, match="differ where rounding cannot explain it"):
        spec.check_mandelbrot(LocalCall(WRONG[name], "threaded"), strategies.whole_view(number, *args[4:]))


def test_a_transposed_non_square_image_is_reported_as_a_wrong_shape():
    case = strategies.whole_view(1, 7, 13, 50)
    with pytest.raises(Mismatch, match=r"expected shape \(13, 7\), got \(7, 13\)"):
        spec.check_mandelbrot(LocalCall(_transposed, "threaded"), case)


def test_the_correct_plain_build_passes_the_same_cases():  # the planted bugs fail for their bug, not the harness
    for case in EDGE_CASES:
        spec.check_mandelbrot(LocalCall(_correct, "threaded"), case)

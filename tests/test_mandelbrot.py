"""Assignment 1 (Mandelbrot): the oracle against a scalar definition, the reference solutions against the oracle,
the starters, the spec's bookkeeping and its pictures. The tolerance has its own file:
tests/test_mandelbrot_tolerance.py."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader import machine
from grader.spec import Profile
from grader.suites.mandelbrot import baseline, oracle, pictures
from grader.suites.mandelbrot import cases as strategies
from grader.suites.mandelbrot import tasks as spec
from solutions.mandelbrot import cuda as cuda_solution
from solutions.mandelbrot import simd as simd_solution
from solutions.mandelbrot import threaded as threaded_solution
from support import LocalCall

CPU = Profile("cpu")
SIMULATOR = Profile("simulator", simulated=True)
F = np.float32


def _scalar_definition(x0, y0, x1, y1, width, height, max_iters):
    """The handout's definition, one pixel at a time with numpy float32 scalars (each operation rounds to
    float32): slow, obvious, independent of the oracle's vectorized bookkeeping."""
    x0, y0, x1, y1 = F(x0), F(y0), F(x1), F(y1)
    dx, dy = (x1 - x0) / F(width), (y1 - y0) / F(height)
    counts = np.zeros((height, width), dtype=np.int32)
    for j in range(height):
        for i in range(width):
            c_re, c_im = x0 + F(i) * dx, y0 + F(j) * dy
            z_re, z_im, count = c_re, c_im, 0
            while count < max_iters and not (z_re * z_re + z_im * z_im > F(4)):
                z_re, z_im = c_re + (z_re * z_re - z_im * z_im), c_im + F(2) * z_re * z_im
                count += 1
            counts[j, i] = count
    return counts


SMALL = strategies.cases(CPU).filter(lambda case: case.width * case.height * case.max_iters <= 60_000)


@given(case=SMALL)
@settings(max_examples=40, deadline=None)
def test_oracle_equals_the_scalar_definition(case):
    assert np.array_equal(oracle.mandelbrot(*case.args()), _scalar_definition(*case.args()))


def test_oracle_on_known_points():
    # c = 0 and c = -1 never escape; c = 1 escapes at the third test (z = 1, 2, 5); c = 3 at once.
    counts = oracle.mandelbrot(-1.0, 0.0, 5.0, 1.0, 3, 1, 100)  # c_re = -1, 1, 3 (dx = 2)
    assert counts.tolist() == [[100, 2, 0]]
    assert oracle.mandelbrot(0.0, 0.0, 1.0, 1.0, 1, 1, 7).tolist() == [[7]]
    assert oracle.mandelbrot(0.0, 0.0, 1.0, 1.0, 1, 1, 0).tolist() == [[0]]


def test_the_views_are_the_courses():
    assert baseline.view(1) == (-2.167, -1.0, 1.167, 1.0)
    x0, y0, x1, y1 = baseline.view(2)  # view 1 scaled by 0.015, shifted by (-0.986, 0.30)
    assert np.allclose([x0, y0, x1, y1], [-2.167 * 0.015 - 0.986, -0.015 + 0.30, 1.167 * 0.015 - 0.986, 0.015 + 0.30])


@pytest.mark.parametrize("number", [1, 2])
def test_serial_baseline_agrees_with_the_oracle_on_the_full_views(number):
    args = baseline.make_inputs(number)
    assert np.array_equal(baseline.mandelbrot(*args), spec.expected_counts(args))


@pytest.mark.parametrize("image", list(spec.PIXEL_ITERATIONS), ids=str)
def test_the_throughput_figures_are_the_images_total_iterations(image):
    # The serial baseline stands in for the oracle here (equal on the full views, above): the oracle would take
    # tens of seconds on the GPU benchmarks' 4800x3600 image.
    assert spec.PIXEL_ITERATIONS[image] == int(baseline.mandelbrot(*baseline.make_inputs(*image)).sum(dtype=np.int64))


@pytest.mark.parametrize("number", [1, 2])
@pytest.mark.parametrize("solution", [threaded_solution, simd_solution], ids=["threaded", "simd"])
def test_cpu_solutions_are_exact_on_the_full_views(solution, number):
    args = baseline.make_inputs(number)
    assert np.array_equal(solution.mandelbrot(*args), spec.expected_counts(args))


@given(case=strategies.cases(CPU))
@settings(max_examples=30, deadline=None)
def test_cpu_solutions_are_exact_on_random_windows(case):
    expected = oracle.mandelbrot(*case.args())
    got = threaded_solution.mandelbrot(*case.args(), num_threads=case.num_threads)
    assert got.dtype == np.int32 and np.array_equal(got, expected)
    assert np.array_equal(simd_solution.mandelbrot(*case.args()), expected)


@pytest.mark.parametrize("case", strategies.edge_cases(CPU)[:-2], ids=str)
def test_cpu_solutions_are_exact_on_the_edge_cases(case):
    expected = oracle.mandelbrot(*case.args())
    assert np.array_equal(threaded_solution.mandelbrot(*case.args(), num_threads=case.num_threads), expected)
    assert np.array_equal(simd_solution.mandelbrot(*case.args()), expected)


@given(height=st.integers(1, 40), num_threads=st.integers(1, 50))
@settings(max_examples=25, deadline=None)
def test_threaded_solution_fills_every_row_for_any_thread_count(height, num_threads):
    args = (*baseline.view(1), 7, height, 20)
    assert np.array_equal(threaded_solution.mandelbrot(*args, num_threads=num_threads), oracle.mandelbrot(*args))


@pytest.mark.parametrize("case", strategies.edge_cases(SIMULATOR)[:6], ids=str)
def test_cuda_solution_matches_the_oracle(case):  # the simulator without a GPU (exact), the GPU with one
    got = cuda_solution.mandelbrot(*case.args())
    oracle.expect_counts(got, *case.args(), what="cuda mandelbrot")
    if machine.cuda_gpu() is None:  # the simulator computes in numpy float32, without FMA: exact
        assert np.array_equal(got, oracle.mandelbrot(*case.args()))


@pytest.mark.gpu
@pytest.mark.parametrize("number", [1, 2])
def test_cuda_solution_passes_on_the_full_views_on_a_gpu(number):
    args = baseline.make_inputs(number)
    oracle.expect_counts(
        cuda_solution.mandelbrot(*args), *args, what="cuda mandelbrot", expected=spec.expected_counts(args)
    )


def test_starters_raise_not_implemented():
    from assignments.mandelbrot import cuda, simd, threaded

    args = (*baseline.view(1), 8, 4, 10)
    for module in (threaded, simd, cuda):
        with pytest.raises(NotImplementedError, match="TODO"):
            module.mandelbrot(*args)


def test_starters_score_zero_without_a_traceback(grader):
    run = grader("mandelbrot", "--quick", "--seed", "1")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    for variant in ("threaded", "simd", "cuda"):
        assert f"TODO in assignments/mandelbrot/{variant}.py:" in run.stdout
    assert "score 0/" in run.stdout


def test_pictures_show_each_view_the_reference_a_diff_and_the_speedup_plot(tmp_path, monkeypatch):
    """The pictures hook on a small image, with a stand-in context that runs the solutions in this process."""
    small = {number: (*baseline.view(number), 64, 48, 64) for number in (1, 2, 3)}
    monkeypatch.setattr(baseline, "make_inputs", lambda number: small[number])

    class Context:
        cores = 2
        results = []  # nothing timed: no roofline

        def call(self, variant):
            return LocalCall({"threaded": threaded_solution, "simd": simd_solution}[variant], variant)

        def reference(self, variant):
            return LocalCall(threaded_solution, variant)

        @staticmethod
        def time(call, function, *args, repeat=3, **kwargs):
            return 0.01 / kwargs.get("num_threads", 1)

    monkeypatch.setattr(machine, "cuda_gpu", lambda: None)
    written = pictures.pictures(Context(), str(tmp_path))
    names = sorted(os.path.basename(path) for path in written)
    assert names == sorted(
        [
            f"view{n}_{what}.png"
            for n in (1, 2, 3)
            for what in ("reference", "threaded", "simd", "threaded_diff", "simd_diff")
        ]
        + ["speedup_threaded.png"]
    )
    from PIL import Image

    frame = np.asarray(Image.open(tmp_path / "view1_threaded.png"))
    assert frame.shape == (48, 64, 3) and len(np.unique(frame.reshape(-1, 3), axis=0)) > 10
    diff = np.asarray(Image.open(tmp_path / "view2_simd_diff.png").convert("RGB"))
    height, width, _ = diff.shape
    assert diff[height // 2, width // 2 - width // 8].max() == 0  # the solutions agree: the map itself is black


def test_a_planted_submission_is_failed_end_to_end_with_the_shrunk_input(grader, tmp_path):
    """Block decomposition that drops the last height % num_threads rows, graded through the real sandbox."""
    from pathlib import Path

    starter = (Path(__file__).resolve().parent.parent / "assignments" / "mandelbrot" / "threaded.py").read_text()
    body = starter.replace(
        '    raise NotImplementedError("TODO: split the rows among num_threads threads (README, step 1 then step 2)")',
        "    rows = height // num_threads  # drops the last height % num_threads rows\n"
        "    workers = [threading.Thread(target=compute_rows, args=(x0, y0, dx, dy, width, max_iters, t * rows,\n"
        "                                                          (t + 1) * rows, counts))\n"
        "               for t in range(num_threads)]\n"
        "    for worker in workers:\n"
        "        worker.start()\n"
        "    for worker in workers:\n"
        "        worker.join()",
    )
    assert body != starter
    submission = tmp_path / "mandelbrot"
    submission.mkdir()
    (submission / "threaded.py").write_text(body.replace("np.empty((height, width)", "np.zeros((height, width)"))
    run = grader("mandelbrot", "--variant", "threaded", "--quick", "--seed", "3", "--submission", str(tmp_path))
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert "input: mandelbrot(" in run.stdout and "differ where rounding cannot explain it" in run.stdout

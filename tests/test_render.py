"""Assignment 4 (circle renderer): scenes and files, the oracle and its tolerance, the reference solutions,
the check's verdicts on planted wrong renderers, and the grader end to end."""

from __future__ import annotations

import math
import os
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assignments.render import common
from assignments.render.common import Scene, SceneFormatError
from grader.spec import Mismatch, Profile
from grader.suites.render import baseline, oracle, pictures
from grader.suites.render import cases as strategies
from grader.suites.render import tasks as spec
from solutions.render import cuda as cuda_solution
from solutions.render import simd as simd_solution
from solutions.render import threaded as threaded_solution
from support import LocalCall

CPU = Profile("cpu")
SIMULATOR = Profile("simulator", simulated=True)


def _short(case) -> str:
    return f"{case.width}x{case.height}-{case.circles}-{case.layout}"


# -- an independent definition: pure Python, one pixel at a time, exact rational-free float64 ----------------
def _brute_force(scene: Scene, width: int, height: int) -> np.ndarray:
    image = np.empty((height, width, 4))
    for j in range(height):
        for i in range(width):
            pixel = [float(v) for v in scene.background]
            x, y = (i + 0.5) / width, (j + 0.5) / height
            for c in range(scene.num_circles):
                cx, cy, r = (float(v) for v in (*scene.centres[c], scene.radii[c]))
                d2 = (x - cx) ** 2 + (y - cy) ** 2
                if d2 <= r * r:
                    alpha = float(scene.alphas[c]) * math.exp(-float(scene.falloffs[c]) * d2 / (r * r))
                    for k in range(3):
                        pixel[k] = alpha * float(scene.colours[c, k]) + (1 - alpha) * pixel[k]
                    pixel[3] += alpha
            image[j, i] = pixel
    return image


@given(strategies.cases(CPU).filter(lambda case: case.width * case.height * case.circles <= 20_000))
@settings(max_examples=25, deadline=None)
def test_oracle_is_the_definition(case):
    scene = case.scene()
    exact = _brute_force(scene, case.width, case.height)
    frame, tolerance, _ = oracle.reference(scene, case.width, case.height)
    assert np.allclose(frame, exact, rtol=2**-23, atol=2**-24)
    # Zero only where the answer is exact: an alpha channel that stays 0 (a clear background, no circle).
    assert np.all((tolerance > 0) | ((tolerance == 0) & (frame == exact))) and np.all(np.isfinite(tolerance))


def test_tolerance_is_tight_where_no_rim_is_near():
    # rgb at 64x64: no pixel centre lies near a rim, so the tolerance is a few float32 ulps everywhere.
    _, tolerance, coverage = oracle.reference(common.rgb(), 64, 64)
    assert tolerance.max() <= 8 * 2**-24 * (coverage.max() + 1) + 1e-12


def test_a_rim_pixel_allows_either_decision_and_nothing_more():
    # A disc centred on pixel (4, 4) of an 8x8 frame whose rim passes exactly through the centre of pixel
    # (4, 6): a float32 renderer may draw it there or not, so the tolerance there covers a whole blend.
    scene = Scene(
        centres=[(4.5 / 8, 4.5 / 8)],
        radii=[0.25],
        colours=[(1, 0, 0)],
        alphas=[0.5],
        falloffs=[0.0],
        background=(1, 1, 1, 1),
    )
    frame, tolerance, coverage = oracle.reference(scene, 8, 8)
    assert coverage[4, 6] == 1  # inside or on: drawn by the oracle
    assert np.all(tolerance[4, 6, :3] >= 0.5) and tolerance[4, 6, 3] >= 0.5
    assert np.all(tolerance[4, 4] < 1e-6) and np.all(tolerance[0, 0] < 1e-6)  # far from any rim: tight
    assert frame[4, 4, 1] == np.float32(0.5) and frame[4, 4, 3] == np.float32(1.5)


# -- scenes, files, binning ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(common.SCENES))
def test_named_scenes_are_deterministic_and_valid(name):
    first, again, other = common.make_scene(name, 0), common.make_scene(name, 0), common.make_scene(name, 1)
    for field in common.FIELDS:
        assert getattr(first, field).dtype == np.float32
        assert np.array_equal(getattr(first, field), getattr(again, field))
    expected = {
        "rgb": 3,
        "rand10k": 10_000,
        "rand100k": 100_000,
        "pattern": 1_200,
        "biglittle": 10_000,
        "littlebig": 10_000,
        "snowsingle": 100_000,
    }[name]
    assert first.num_circles == expected
    if name not in ("rgb", "pattern"):
        assert not np.array_equal(first.centres, other.centres)


def test_littlebig_is_biglittle_reversed():
    big, little = common.biglittle(), common.littlebig()
    assert np.array_equal(big.centres[::-1], little.centres) and np.array_equal(big.radii[::-1], little.radii)


def test_save_and_load_round_trip(tmp_path):
    scene = common.pattern()
    common.save_scene(tmp_path / "pattern.npz", scene)
    loaded = common.load_scene(tmp_path / "pattern.npz")
    assert loaded.name == "pattern"
    for field in common.FIELDS:
        assert np.array_equal(getattr(loaded, field), getattr(scene, field))


def _arrays(**changes):
    scene = common.rgb()
    values = {field: getattr(scene, field) for field in common.FIELDS}
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


@pytest.mark.parametrize(
    "values, words",
    [
        (_arrays(radii=None), "'radii': missing"),
        (_arrays(colours=np.ones((3, 4))), "'colours': expected shape (nx3)"),
        (_arrays(alphas=np.array([0.5, np.nan, 0.5])), "NaN"),
        (_arrays(radii=np.array([0.3, 0.0, 0.3])), "radius must be > 0"),
        (_arrays(alphas=np.array([0.5, 2.0, 0.5])), "values must lie in [0, 1]"),
        (_arrays(background=np.array(["a", "b", "c", "d"])), "not numbers"),
    ],
)
def test_malformed_scene_files_fail_with_one_clear_line(tmp_path, values, words):
    path = tmp_path / "bad.npz"
    np.savez(path, **values)
    with pytest.raises(SceneFormatError) as error:
        common.load_scene(path)
    message = str(error.value)
    assert words in message and str(path) in message and "\n" not in message


def test_a_file_that_is_not_npz_fails_with_one_clear_line(tmp_path):
    path = tmp_path / "junk.npz"
    path.write_bytes(b"this is not a zip archive")
    with pytest.raises(SceneFormatError, match="not a readable .npz scene file") as error:
        common.load_scene(path)
    assert "\n" not in str(error.value)
    assert isinstance(error.value, ValueError)


@pytest.mark.parametrize("case", strategies.edge_cases(CPU), ids=_short)
def test_bin_circles_lists_every_covering_circle_in_order(case):
    scene = case.scene()
    tile = 16
    tile_start, tile_circles = common.bin_circles(scene, case.width, case.height, tile)
    tiles_x = -(-case.width // tile)
    for j in range(case.height):
        for i in range(case.width):
            t = (j // tile) * tiles_x + i // tile
            listed = tile_circles[tile_start[t] : tile_start[t + 1]]
            assert np.all(np.diff(listed) > 0)
            assert set(oracle.covering(scene, case.width, case.height, j, i, limit=10**6)) <= set(listed)


# -- the trusted serial baseline and the reference solutions agree with the oracle ---------------------------
SOLUTIONS = {"baseline": baseline.render, "threaded": threaded_solution.render, "simd": simd_solution.render}


@pytest.mark.parametrize("name", list(SOLUTIONS))
@pytest.mark.parametrize("case", strategies.edge_cases(CPU), ids=_short)
def test_cpu_renderers_pass_the_edge_cases(name, case):
    call = LocalCall(SOLUTIONS[name], variant="threaded" if name == "threaded" else "simd")
    spec.check_render(call, case)


@pytest.mark.parametrize("name", ["threaded", "simd"])
@given(case=strategies.cases(CPU))
@settings(max_examples=30, deadline=None)
def test_cpu_solutions_match_the_oracle(name, case):
    spec.check_render(LocalCall(SOLUTIONS[name], variant=name), case)


@pytest.mark.parametrize("num_threads", [1, 2, 5, 64])
def test_threaded_solution_is_right_for_any_thread_count(num_threads):
    case = strategies.RenderCase(70, 45, 9, "scatter", 11)
    spec.check_render(
        LocalCall(lambda *a, **k: threaded_solution.render(*a, num_threads=num_threads), "threaded"), case
    )


@pytest.mark.parametrize("name", ["rgb", "pattern", "biglittle", "littlebig", "snowsingle"])
def test_cpu_solutions_render_the_named_scenes(name):
    scene = common.make_scene(name)
    expected = oracle.reference(scene, 160, 120)[:2]
    for render in SOLUTIONS.values():
        spec.expect_frame(render(scene, 160, 120), scene, 160, 120, what=name, expected=expected)


@pytest.mark.parametrize("case", strategies.edge_cases(SIMULATOR)[:5], ids=_short)
def test_cuda_solution_matches_the_oracle(case):  # on the simulator without a GPU, on the GPU with one
    spec.check_render(LocalCall(cuda_solution.render, "cuda"), case)


@pytest.mark.gpu
@pytest.mark.parametrize("name", list(common.SCENES))
def test_cuda_solution_renders_the_named_scenes_on_a_gpu(name):
    scene = common.make_scene(name)
    spec.expect_frame(cuda_solution.render(scene, 1024, 768), scene, 1024, 768, what=name)


@pytest.mark.gpu
@given(case=strategies.cases(CPU))
@settings(max_examples=60, deadline=None)
def test_cuda_solution_matches_the_oracle_on_a_gpu(case):
    spec.check_render(LocalCall(cuda_solution.render, "cuda"), case)


# -- planted wrong renderers: the check must catch each ------------------------------------------------------
def _tiled_numpy(scene, width, height, *, order=None, tile=16, tile_cut=0, dtype=np.float32, mutate=False):
    """A plain numpy tiled renderer with knobs for the classic mistakes."""
    if mutate and scene.num_circles:
        scene.radii[-1] *= np.float32(2)  # writes into the caller's scene
    order = range(scene.num_circles) if order is None else order
    image = np.empty((height, width, 4), np.float32)
    image[:] = scene.background
    xs = (np.arange(width, dtype=np.float32) + np.float32(0.5)) / np.float32(width)
    ys = (np.arange(height, dtype=np.float32) + np.float32(0.5)) / np.float32(height)
    for row in range(0, height, tile):
        for column in range(0, width, tile):
            rows = slice(row, min(row + tile, height) - tile_cut)  # tile_cut = 1: the off-by-one tile bound
            columns = slice(column, min(column + tile, width) - tile_cut)
            block = image[rows, columns]
            for c in order:
                dx = xs[columns][None, :] - scene.centres[c, 0]
                dy = ys[rows][:, None] - scene.centres[c, 1]
                d2 = dx * dx + dy * dy
                r2 = scene.radii[c] * scene.radii[c]
                alpha = np.where(d2 <= r2, scene.alphas[c] * np.exp(-scene.falloffs[c] * d2 / r2), 0)
                alpha = alpha.astype(np.float32)[..., None]
                block[..., :3] = alpha * scene.colours[c] + (1 - alpha) * block[..., :3]
                block[..., 3:] += alpha
    return image.astype(dtype)


PLANTED = {
    "out-of-order blend": lambda s, w, h, **k: _tiled_numpy(s, w, h, order=list(range(s.num_circles))[::-1]),
    "last circle skipped": lambda s, w, h, **k: _tiled_numpy(s, w, h, order=range(max(s.num_circles - 1, 0))),
    "missing tile edge": lambda s, w, h, **k: _tiled_numpy(s, w, h, tile_cut=1),
    "float64 frame": lambda s, w, h, **k: _tiled_numpy(s, w, h, dtype=np.float64),
    "mutated scene": lambda s, w, h, **k: _tiled_numpy(s, w, h, mutate=True),
    "alpha channel not accumulated": lambda s, w, h, **k: np.concatenate(
        [_tiled_numpy(s, w, h)[..., :3], np.broadcast_to(s.background[3], (h, w, 1))], axis=2
    ),
}


def test_the_planted_renderers_knob_free_is_correct():
    for case in strategies.edge_cases(CPU):
        spec.check_render(LocalCall(_tiled_numpy), case)


@pytest.mark.parametrize("planted", list(PLANTED))
def test_the_check_catches_each_planted_mistake(planted):
    caught = []
    for case in strategies.edge_cases(CPU):
        try:
            spec.check_render(LocalCall(PLANTED[planted]), case)
        except Mismatch as wrong:
            caught.append(str(wrong))
    assert caught, f"no edge case caught the planted mistake: {planted}"
    assert all(message.startswith("input: ") for message in caught)


# Flat discs in the overlap layout (a falloff dims a disc away from its centre: with falloff 64 a swap can fade
# below the tolerance; see grader/suites/render/cases.py), in frames that hold the shared pixel.
OVERLAPPING_FLAT_DISCS = st.builds(
    strategies.RenderCase,
    width=st.integers(4, 100),
    height=st.integers(4, 100),
    circles=st.integers(2, 600),
    layout=st.just("overlap"),
    seed=st.integers(0, 2**32 - 1),
    random_alpha=st.booleans(),
)


@given(case=OVERLAPPING_FLAT_DISCS)
@settings(max_examples=25, deadline=None)
def test_any_overlapping_pair_out_of_order_is_caught(case):
    swapped = list(range(case.circles))
    swapped[-2], swapped[-1] = swapped[-1], swapped[-2]  # only the last two circles swap
    with pytest.raises(Mismatch, match="circles covering it"):
        spec.check_render(LocalCall(lambda s, w, h: _tiled_numpy(s, w, h, order=swapped)), case)


# -- starters and the grader end to end ---------------------------------------------------------------------
@pytest.mark.parametrize("variant", ["threaded", "simd", "cuda"])
def test_starters_raise_not_implemented(variant):
    import importlib

    module = importlib.import_module(f"assignments.render.{variant}")
    with pytest.raises(NotImplementedError, match="TODO"):
        module.render(common.rgb(), 8, 8)


def test_starters_score_zero_with_a_pointer_to_each_todo(grader):
    run = grader("render", "--quick", "--seed", "1")
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    for variant in ("threaded", "simd", "cuda"):
        assert f"not implemented: TODO in assignments/render/{variant}.py:" in run.stdout
    assert "score 0/18" in run.stdout


def test_the_grader_shrinks_an_out_of_order_renderer(grader, tmp_path):
    folder = tmp_path / "render"
    folder.mkdir()
    (folder / "common.py").write_text(Path(common.__file__).read_text())  # a submission is a copy of assignments/
    (folder / "threaded.py").write_text(
        textwrap.dedent("""
        from grader.suites.render.baseline import render as draw
        from .common import SCENE_FIELDS, Scene

        def render(scene, width, height, num_threads=None):
            fields = {f: getattr(scene, f)[::-1] for f in SCENE_FIELDS if f != "background"}
            return draw(Scene(**fields, background=scene.background), width, height)
    """)
    )
    run = grader("render", "--quick", "--variant", "threaded", "--submission", str(tmp_path), "--seed", "3")
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert "input: " in run.stdout and "circles covering it, in order" in run.stdout


def test_pictures_show_frames_and_where_they_are_wrong(tmp_path, monkeypatch):
    class Context:
        cores = 2

        def call(self, variant):
            return LocalCall(SOLUTIONS["threaded"] if variant == "threaded" else PLANTED["out-of-order blend"], variant)

    drawn_maps = {}  # the error beyond the tolerance that each difference map shows, by file name

    def recording_heatmap(path, beyond, *args, **kwargs):
        drawn_maps[os.path.basename(path)] = np.array(beyond)
        return save_heatmap(path, beyond, *args, **kwargs)

    save_heatmap = pictures.save_heatmap
    monkeypatch.setattr(pictures, "save_heatmap", recording_heatmap)
    monkeypatch.setattr(pictures, "PICTURE_SIZE", 48)
    monkeypatch.setattr(common, "SCENES", {"rgb": common.rgb, "pattern": common.pattern})
    written = pictures.pictures(Context(), str(tmp_path))

    names = {os.path.basename(path) for path in written}
    assert {"rgb_reference.png", "rgb_threaded.png", "rgb_threaded_diff.png", "rgb_simd_diff.png"} <= names
    assert all((tmp_path / name).stat().st_size > 0 for name in names)
    # black where right; lit where the order is wrong
    assert drawn_maps["rgb_threaded_diff.png"].max() == 0 and drawn_maps["rgb_simd_diff.png"].max() > 0

"""The scene every renderer draws, its generators, its file format, and the tile binning helper.

Coordinates and shading (the handout, assignments/render/README.md, states them with a figure)
------------------------------------------------------------------------------------------------
* The image is the unit square in *normalized* coordinates, as in the original course: x grows to the right
  from the left edge (0) to the right edge (1), y grows downwards from the top edge (0) to the bottom edge (1).
  Pixel (row j, column i) of a ``width`` x ``height`` image has its centre at
  ``((i + 0.5) / width, (j + 0.5) / height)``. On a non-square image a circle is drawn stretched, as in the course.
* A circle covers a pixel when the pixel's centre lies inside or on it: ``dx*dx + dy*dy <= r*r``, with
  ``(dx, dy)`` the pixel centre minus the circle centre.
* The image starts as ``scene.background`` (RGBA) everywhere. Circles are blended *in input order*: for each
  pixel a circle covers, with ``alpha`` its opacity at that pixel,
  ``rgb = alpha * circle_rgb + (1 - alpha) * rgb`` and ``a = a + alpha``.
* Opacity: ``alpha = alphas[c] * exp(-falloffs[c] * (dx*dx + dy*dy) / (r*r))``. ``falloffs[c] == 0`` is a flat
  disc of opacity ``alphas[c]`` (every scene but snowsingle); snowsingle's flakes use falloff 4, so a flake
  fades from its centre to exp(-4) = 2% of its peak opacity at its rim (the course's snowflake shading).

Everything is float32. Generators are deterministic in their seed.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass

import numpy as np
from numba import njit

__all__ = [
    "Scene",
    "SceneFormatError",
    "SCENES",
    "make_scene",
    "rgb",
    "rand10k",
    "rand100k",
    "pattern",
    "biglittle",
    "littlebig",
    "snowsingle",
    "save_scene",
    "load_scene",
    "bin_circles",
    "pixel_span",
    "FIELDS",
    "SCENE_FIELDS",
]

# name -> (shape with n for the circle count, lowest value, highest value)
FIELDS = {
    "centres": (("n", 2), -1e3, 1e3),
    "radii": (("n",), 0.0, 1e3),  # strictly positive: checked separately
    "colours": (("n", 3), 0.0, 1.0),
    "alphas": (("n",), 0.0, 1.0),
    "falloffs": (("n",), 0.0, 64.0),
    "background": ((4,), 0.0, 1.0),
}
SCENE_FIELDS = tuple(FIELDS)  # the scene's six arrays, in the order render_device takes them


class SceneFormatError(ValueError):
    """A scene that cannot be used: the message is one line saying which field is wrong and how."""


@dataclass(frozen=True, eq=False)
class Scene:
    """``n`` circles to draw in order over a background (see the module docstring for the exact rules).

    Arrays (all float32, C-contiguous): ``centres`` [n, 2] (x, y), ``radii`` [n] (> 0), ``colours`` [n, 3]
    (RGB in [0, 1]), ``alphas`` [n] (peak opacity in [0, 1]), ``falloffs`` [n] (>= 0), ``background`` [4]
    (RGBA in [0, 1]). Construct with any array-likes: they are converted and checked.
    """

    centres: np.ndarray
    radii: np.ndarray
    colours: np.ndarray
    alphas: np.ndarray
    falloffs: np.ndarray
    background: np.ndarray
    name: str = ""

    def __post_init__(self):
        for field, problem in _problems(self.__dict__):
            raise SceneFormatError(f"scene field {field!r}: {problem}")
        for field in FIELDS:
            object.__setattr__(self, field, np.ascontiguousarray(getattr(self, field), dtype=np.float32))

    @property
    def num_circles(self) -> int:
        return len(self.radii)

    def __repr__(self) -> str:
        label = f"{self.name}: " if self.name else ""
        return f"Scene({label}{self.num_circles} circles)"


def _problems(values: dict):
    """(field, problem) for each field of a would-be scene that is missing or wrong; empty if it is valid."""
    arrays = {}
    for field in FIELDS:
        if field not in values:
            yield field, "missing"
            return
        try:
            arrays[field] = np.asarray(values[field], dtype=np.float64)
        except (TypeError, ValueError):
            yield field, f"not numbers (got {type(values[field]).__name__})"
            return
    n = arrays["radii"].shape[0] if arrays["radii"].ndim == 1 else -1
    for field, (shape, low, high) in FIELDS.items():
        want = tuple(n if size == "n" else size for size in shape)
        got = arrays[field].shape
        if got != want:
            shown = "x".join("n" if s == "n" else str(s) for s in shape)
            with_n = f" with n = {n}" if n >= 0 and "n" in shape else ""
            yield field, f"expected shape ({shown}){with_n}, got {got}"
            return
        if not np.all(np.isfinite(arrays[field])):
            yield field, "holds a NaN or infinity"
            return
        if arrays[field].size and (arrays[field].min() < low or arrays[field].max() > high):
            yield (
                field,
                (f"values must lie in [{low:g}, {high:g}], got [{arrays[field].min():g}, {arrays[field].max():g}]"),
            )
            return
    if n > 0 and arrays["radii"].min() <= 0:
        yield "radii", f"every radius must be > 0, got {arrays['radii'].min():g}"


def _scene(name, centres, radii, colours, alphas, falloffs=None, background=(1.0, 1.0, 1.0, 1.0)) -> Scene:
    n = len(radii)
    return Scene(
        centres=np.asarray(centres, np.float32).reshape(n, 2),
        radii=radii,
        colours=np.asarray(colours, np.float32).reshape(n, 3),
        alphas=np.broadcast_to(np.float32(alphas), (n,)) if np.ndim(alphas) == 0 else alphas,
        falloffs=np.zeros(n, np.float32) if falloffs is None else falloffs,
        background=np.asarray(background, np.float32),
        name=name,
    )


# -- the named scenes -----------------------------------------------------------------------------------------
def rgb(seed: int = 0) -> Scene:
    """Three overlapping discs, red, green, blue, half transparent, on white (the course's rgb)."""
    return _scene(
        "rgb", [(0.4, 0.5), (0.5, 0.5), (0.6, 0.5)], np.full(3, 0.3, np.float32), [(1, 0, 0), (0, 1, 0), (0, 0, 1)], 0.5
    )


def _random(name: str, n: int, seed: int) -> Scene:
    rng = np.random.default_rng(seed)
    centres = rng.random((n, 2), dtype=np.float32)
    radii = (0.02 + 0.06 * rng.random(n)).astype(np.float32)
    colours = rng.random((n, 3), dtype=np.float32)
    return _scene(name, centres, radii, colours, 0.5)


def rand10k(seed: int = 0) -> Scene:
    """10,000 discs, uniformly placed, radius 0.02..0.08 of the image, random colours, alpha 0.5."""
    return _random("rand10k", 10_000, seed)


def rand100k(seed: int = 0) -> Scene:
    """100,000 discs drawn like rand10k: about 800 circles cover each pixel at 1024x1024."""
    return _random("rand100k", 100_000, seed)


def pattern(seed: int = 0) -> Scene:
    """A 20 x 20 grid of targets (three concentric discs each, largest first): regular, even load."""
    grid = (np.arange(20, dtype=np.float64) + 0.5) / 20
    x, y = np.meshgrid(grid, grid)
    centres = np.repeat(np.stack([x.ravel(), y.ravel()], axis=1), 3, axis=0)
    radii = np.tile(np.array([0.03, 0.02, 0.01]), 400).astype(np.float32)
    palette = np.array([(0.1, 0.3, 0.9), (0.95, 0.8, 0.1), (0.9, 0.1, 0.2)], np.float32)
    colours = np.tile(palette, (400, 1))
    return _scene("pattern", centres, radii, colours, 0.7)


def _big_and_little(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """10,000 circles sorted from biggest to smallest: 1,000 big (radius 0.1..0.3), 9,000 little (0.002..0.012)."""
    rng = np.random.default_rng(seed)
    big, little = 1_000, 9_000
    centres = rng.random((big + little, 2), dtype=np.float32)
    radii = np.concatenate([0.1 + 0.2 * rng.random(big), 0.002 + 0.01 * rng.random(little)])
    order = np.argsort(-radii, kind="stable")
    colours = rng.random((big + little, 3), dtype=np.float32)
    return centres, radii[order].astype(np.float32), colours


def biglittle(seed: int = 0) -> Scene:
    """10,000 circles drawn from the biggest to the smallest: 1,000 big discs (radius 0.1..0.3), about 190 deep
    at every pixel, then 9,000 little ones (0.002..0.012) on top: tiles differ wildly in their circle lists."""
    return _scene("biglittle", *_big_and_little(seed), 0.5)


def littlebig(seed: int = 0) -> Scene:
    """biglittle's circles in reverse order: the little ones first, the big discs drawn last, over them."""
    centres, radii, colours = (a[::-1] for a in _big_and_little(seed))
    return _scene("littlebig", centres, radii, colours, 0.5)


def snowsingle(seed: int = 0) -> Scene:
    """100,000 snowflakes, far (small, faint) first to near (large, brighter) last, each fading from its centre
    (falloff 4), on a night-blue sky: one frame of a blizzard, about 50 flakes deep at every pixel."""
    rng = np.random.default_rng(seed)
    n = 100_000
    depth = np.sort(rng.random(n))[::-1]  # 1 = far, drawn first
    centres = rng.uniform(-0.05, 1.05, (n, 2))
    radii = (0.004 + 0.026 * (1 - depth) ** 2).astype(np.float32)
    tint = (0.8 + 0.2 * (1 - depth))[:, None]
    colours = np.clip(tint * np.array([0.9, 0.95, 1.0]), 0, 1)
    alphas = (0.1 * (0.2 + 0.8 * (1 - depth) ** 2)).astype(np.float32)  # ~50 flakes deep: faint ones
    return _scene(
        "snowsingle", centres, radii, colours, alphas, np.full(n, 4.0, np.float32), background=(0.05, 0.08, 0.2, 1.0)
    )


SCENES = {
    "rgb": rgb,
    "rand10k": rand10k,
    "rand100k": rand100k,
    "pattern": pattern,
    "biglittle": biglittle,
    "littlebig": littlebig,
    "snowsingle": snowsingle,
}


def make_scene(name: str, seed: int = 0) -> Scene:
    """The named scene (one of :data:`SCENES`), deterministic in ``seed``."""
    if name not in SCENES:
        raise ValueError(f"unknown scene {name!r}; scenes: {', '.join(SCENES)}")
    return SCENES[name](seed)


# -- files ----------------------------------------------------------------------------------------------------
def save_scene(path, scene: Scene) -> None:
    """Write ``scene`` as an .npz file holding its six arrays and its name."""
    np.savez(path, name=np.array(scene.name), **{field: getattr(scene, field) for field in FIELDS})


def load_scene(path) -> Scene:
    """Read a scene written by :func:`save_scene` (or by hand: the same six arrays, any float dtype).

    Raises :class:`SceneFormatError` with a one-line message naming the file and the problem.
    """
    try:
        with np.load(path, allow_pickle=False) as archive:
            values = {key: archive[key] for key in archive.files}
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise SceneFormatError(f"{path}: not a readable .npz scene file ({reason})") from None
    if not isinstance(values, dict):
        raise SceneFormatError(f"{path}: not an .npz archive of arrays")
    for field, problem in _problems(values):
        raise SceneFormatError(f"{path}: field {field!r}: {problem}")
    name = str(values["name"]) if "name" in values and values["name"].ndim == 0 else ""
    return Scene(**{field: values[field] for field in FIELDS}, name=name)


# -- tile binning (a helper for the CPU variants: not the exercise there) --------------------------------------
def bin_circles(scene: Scene, width: int, height: int, tile: int) -> tuple[np.ndarray, np.ndarray]:
    """For each ``tile`` x ``tile`` block of pixels, the circles that may cover one of its pixels, in input order.

    Tiles are numbered row-major: tile ``(ty, tx)`` is number ``ty * tiles_x + tx`` with
    ``tiles_x = ceil(width / tile)``. Returns ``(tile_start, tile_circles)``: the circles of tile ``t`` are
    ``tile_circles[tile_start[t]:tile_start[t + 1]]``, ascending. The test is conservative (a circle's pixel
    bounding box from :func:`pixel_span`): it never leaves out a circle that covers a pixel of the tile.

    Cost: two passes over the circles and their tiles (count, then scatter at offsets from an exclusive scan of
    the counts), O(n + pairs), serial; it is a small fraction of the shading work.
    """
    return _bin_circles(scene.centres, scene.radii, width, height, tile)


@njit(cache=True)
def pixel_span(centre, radius, size):
    """First and last pixel index (clamped to [0, size - 1]) whose centre may lie within ``centre +- radius``.

    Rounded outwards, so it never misses a covered pixel and includes at most one extra pixel at each end;
    ``first > last`` when the circle misses the image along this axis. Callable from numba code."""
    low = (np.float64(centre) - radius) * size - 0.5
    high = (np.float64(centre) + radius) * size - 0.5
    low = min(max(np.floor(low), -1.0), size)
    high = min(max(np.ceil(high), -1.0), size)
    return max(int(low), 0), min(int(high), size - 1)


@njit(cache=True)
def _bin_circles(centres, radii, width, height, tile):
    tiles_x = (width + tile - 1) // tile
    tiles_y = (height + tile - 1) // tile
    counts = np.zeros(tiles_x * tiles_y + 1, np.int64)
    spans = np.empty((len(radii), 4), np.int64)  # first and last tile column, row; empty if first > last
    for c in range(len(radii)):
        x0, x1 = pixel_span(centres[c, 0], radii[c], width)
        y0, y1 = pixel_span(centres[c, 1], radii[c], height)
        spans[c, 0], spans[c, 1], spans[c, 2], spans[c, 3] = x0 // tile, x1 // tile, y0 // tile, y1 // tile
        if x0 > x1 or y0 > y1:
            spans[c, 0], spans[c, 1] = 1, 0
        for ty in range(spans[c, 2], spans[c, 3] + 1):
            for tx in range(spans[c, 0], spans[c, 1] + 1):
                counts[ty * tiles_x + tx + 1] += 1
    tile_start = np.cumsum(counts)  # exclusive scan of the per-tile counts: where each tile's list begins
    cursor = tile_start[:-1].copy()
    tile_circles = np.empty(tile_start[-1], np.int32)
    for c in range(len(radii)):  # circles in input order, so every tile's list is in input order
        for ty in range(spans[c, 2], spans[c, 3] + 1):
            for tx in range(spans[c, 0], spans[c, 1] + 1):
                t = ty * tiles_x + tx
                tile_circles[cursor[t]] = c
                cursor[t] += 1
    return tile_start, tile_circles

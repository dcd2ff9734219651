"""Hypothesis strategies for circle-renderer cases.

A case is small to describe (frame size, number of circles, a layout, a seed, a few switches) and builds its
scene from the seed: hypothesis shrinks the description, so a failure lands on the smallest frame with the
fewest circles that still shows it. The layouts stress what a renderer gets wrong:

* ``overlap``: every circle covers the middle of the frame (the disc of radius 0.3 - 0.08*sqrt(2) = 0.187
  around it, which holds a pixel centre in any frame of 4x4 or more), each in a colour unlike the one
  before it, so drawing any two flat discs of them out of order changes that pixel by
  alpha1*alpha2*|rgb2 - rgb1| >= 0.04*0.9 per channel (a falloff dims a disc away from its centre: with
  falloff 64 a swap can fade below the tolerance);
* ``scatter``: centres anywhere in [-0.3, 1.3]^2 (partly or wholly off-screen), radii 0.02..0.5;
* ``tiny``: radii of 0.2..1 pixel, many covering no pixel centre at all;
* ``grid``: centres exactly on tile corners and edges (multiples of 16 and 32 pixels), radii of 1..3 tiles;
* ``huge``: radii up to 1e3 with centres up to 1e3 away (the documented limits), rims passing through the
  frame: bounding boxes far larger than the frame, clamped;
* ``many``: 257..600 small circles (CPU only): more than one round of a 256-circle chunk;
* ``crowd`` cases (not a layout: any of the above, in a frame of 1..48 pixels a side): 257..5,000 circles, so
  one tile holds thousands, past any fixed per-tile capacity a renderer might pick (512, 1024, 2048, 4096).

Opacities: 0.5 everywhere, or ``random_alpha``: drawn in [0.2, 0.9] with some exactly 0 and 1 (the ends of the
documented range; 1 only in ``overlap``). ``falloff`` mixes flat discs with falloffs 0.5, 1, 4 and 64 (the documented
maximum).
Backgrounds: any RGBA in [0, 1], alpha below 1 (down to 0) included.

Coverage: every documented parameter, its range, what is drawn and the edge values always checked (the
handout, assignments/render/README.md, "The contract" and "Correctness and the tolerance";
``assignments/render/common.py`` FIELDS). tests/test_coverage.py keeps the strategies to it.

* width, height -- documented: frames of 1..100 a side (handout; 1..17 on the simulator). Drawn: 1..100 (1..48 when
  crowded); simulator 1, 2, 5, 15, 16, 17. Edge values: 1, 2, 3, 7, 16, 17, 31, 33, 64, 65, 97, 100.
* circles (n) -- documented: any n >= 0. Drawn: 0..10, 257..600, crowded 257..5,000 and 600, 1,100, 2,100, 4,100
  (simulator 0..5, one of 2,100). Edge values: 0, 1, 2, 300, 2,100, 5,000.
* centres -- documented: [-1e3, 1e3]^2. Drawn: middle, [-0.3, 1.3], tile corners, up to 1e3 away. Edge values: on tile
  corners; 1e3 away.
* radii -- documented: (0, 1e3]. Drawn: under a pixel .. 3 tiles, up to 1e3. Edge values: < 1 pixel, 1e3.
* colours -- documented: [0, 1]^3. Drawn: saturated palette (0, 0.5, 0.8, 0.9, 1); uniform in [0, 1]^3 (scatter). Edge
  values: 0, 1.
* alphas -- documented: [0, 1]. Drawn: 0.5; [0.2, 0.9] with 0 and 1. Edge values: 0, 1.
* falloffs -- documented: [0, 64]. Drawn: 0; mixed 0, 0.5, 1, 4, 64. Edge values: 0, 64.
* background -- documented: [0, 1]^4, alpha included. Drawn: white, any RGBA (alpha < 1, 0). Edge values: white, black
  and clear (0, 0, 0, 0), alpha 0.5.
* num_threads (threaded) -- documented: None (one per core) or >= 1. Drawn: None, 1, 2, 3, 4, 7, 16, 33
  (grader/cases.py). Edge values: all of them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from assignments.render.common import Scene
from grader.cases import cycled_thread_count, thread_counts
from grader.spec import Profile

# Saturated colours, far apart: consecutive circles never share one (see ``overlap``).
PALETTE = np.array(
    [(1, 0, 0), (0, 0.8, 0), (0, 0, 1), (1, 0.9, 0), (0, 0.9, 0.9), (0.9, 0, 0.9), (0, 0, 0), (1, 0.5, 0)], np.float32
)
LAYOUTS = ("overlap", "scatter", "tiny", "grid", "huge")
WHITE = (1.0, 1.0, 1.0, 1.0)
# Backgrounds every search tries first (then any RGBA): opaque white, the dark sky, clear black, half-clear.
BACKGROUNDS = (WHITE, (0.1, 0.2, 0.3, 1.0), (0.0, 0.0, 0.0, 0.0), (0.9, 0.6, 0.2, 0.5))
FALLOFFS = (0.0, 0.5, 1.0, 4.0, 64.0)  # 64: the largest FIELDS allows
CROWD = 5_000  # circles at most in a crowded case: past a per-tile list of 4,096


@dataclass(frozen=True)
class RenderCase:
    width: int
    height: int
    circles: int
    layout: str
    seed: int
    falloff: bool = False  # snowsingle-style opacity falling off from the centre
    random_alpha: bool = False  # opacities drawn in [0.2, 0.9], some 0 and 1, instead of 0.5
    background: tuple[float, float, float, float] = WHITE
    num_threads: int | None = 3  # the threaded variant's

    def scene(self) -> Scene:
        rng = np.random.default_rng(self.seed)
        n = self.circles
        if self.layout == "overlap":
            centres = 0.5 + rng.uniform(-0.08, 0.08, (n, 2))
            radii = rng.uniform(0.3, 0.45, n)
        elif self.layout == "scatter":
            centres = rng.uniform(-0.3, 1.3, (n, 2))
            radii = rng.uniform(0.02, 0.5, n)
        elif self.layout == "tiny":
            centres = rng.uniform(0.0, 1.0, (n, 2))
            radii = rng.uniform(0.2, 1.0, n) / max(self.width, self.height)
        elif self.layout == "grid":
            tile = rng.choice([16, 32], (n, 1))
            pixels = rng.integers(0, 4, (n, 2)) * tile + rng.choice([0, 0.5, -0.5], (n, 2))
            centres = pixels / np.array([self.width, self.height])
            radii = rng.integers(1, 4, n) * tile[:, 0] / max(self.width, self.height)
        elif self.layout == "huge":
            distance = rng.uniform(0.0, 1e3, n) * rng.choice([1e-3, 1.0], n)  # some near, some 1e3 away
            angle = rng.uniform(0.0, 2 * np.pi, n)
            centres = np.clip(0.5 + distance[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1), -1e3, 1e3)
            reach = np.hypot(centres[:, 0] - 0.5, centres[:, 1] - 0.5)
            radii = np.clip(reach + rng.uniform(-0.4, 0.4, n), 1e-3, 1e3)  # the rim crosses the frame
        elif self.layout == "many":
            centres = rng.uniform(-0.05, 1.05, (n, 2))
            radii = rng.uniform(0.01, 0.12, n)
        else:
            raise ValueError(f"unknown layout {self.layout!r}")
        colours: np.ndarray  # float64 drawn or float32 from the palette: Scene converts both
        if self.layout == "scatter":
            colours = rng.random((n, 3))
        else:
            colours = PALETTE[(np.arange(n) * 3 + self.seed) % len(PALETTE)]
        if self.random_alpha:
            # the range's ends; not 0 in ``overlap``, whose every pair must show a swap (0 blends nothing)
            ends = [1.0] if self.layout == "overlap" else [0.0, 1.0]
            alphas = np.where(rng.random(n) < 0.2, rng.choice(ends, n), rng.uniform(0.2, 0.9, n))
        else:
            alphas = np.full(n, 0.5)
        falloffs = rng.choice(FALLOFFS, n) if self.falloff else np.zeros(n)
        return Scene(
            centres=centres,
            radii=radii,
            colours=colours,
            alphas=alphas,
            falloffs=falloffs,
            background=np.asarray(self.background),
            name=f"{self.layout} x{n}",
        )

    def __str__(self) -> str:
        extras = "".join([", falloff" if self.falloff else "", ", random alpha" if self.random_alpha else ""])
        return (
            f"{self.width}x{self.height} frame, {self.circles} circles, layout {self.layout}{extras}, "
            f"background RGBA {self.background} [threaded: num_threads={self.num_threads}] "
            f"(data seed {self.seed}); rebuild: grader.suites.render.cases.{self!r}.scene()"
        )


# Frame sizes that break tilings: 1, primes, and one either side of the 16- and 32-pixel tiles.
EDGE_SIZES = (1, 2, 15, 16, 17, 31, 32, 33, 63, 64, 65, 97)


def sizes(profile: Profile):
    if profile.simulated:
        return st.sampled_from((1, 2, 5, 15, 16, 17))
    return st.one_of(st.integers(1, 100), st.sampled_from(EDGE_SIZES))


def crowd_sizes():
    """Circles in a crowded case: just past each capacity a per-tile list might have (512, 1,024, 2,048, 4,096),
    or anywhere from 257 to CROWD."""
    return st.one_of(st.sampled_from((600, 1_100, 2_100, 4_100, CROWD)), st.integers(257, CROWD))


def backgrounds():
    unit = st.floats(0.0, 1.0)
    return st.one_of(st.sampled_from(BACKGROUNDS), st.tuples(unit, unit, unit, unit))


def _cases(width, height, circles, layouts):
    return st.builds(
        RenderCase,
        width=width,
        height=height,
        circles=circles,
        layout=layouts,
        seed=st.integers(0, 2**32 - 1),
        falloff=st.booleans(),
        random_alpha=st.booleans(),
        background=backgrounds(),
        num_threads=thread_counts(),
    )


def cases(profile: Profile):
    most = 5 if profile.simulated else 10
    small = _cases(sizes(profile), sizes(profile), st.integers(0, most), st.sampled_from(LAYOUTS))
    if profile.simulated:
        return small
    many = _cases(st.integers(1, 100), st.integers(1, 100), st.integers(257, 600), st.just("many"))
    # Thousands of circles in a frame of a few tiles: every tile's list runs past any fixed capacity.
    crowd = _cases(st.integers(1, 48), st.integers(1, 48), crowd_sizes(), st.sampled_from(LAYOUTS))
    return st.one_of(small, small, small, many, crowd)


def edge_cases(profile: Profile) -> list[RenderCase]:
    dark, clear, half = BACKGROUNDS[1:]
    if profile.simulated:
        edge = [
            RenderCase(1, 1, 0, "overlap", 0, background=half),
            RenderCase(1, 1, 2, "overlap", 1),
            RenderCase(16, 16, 4, "overlap", 2, background=clear, random_alpha=True),
            RenderCase(17, 3, 4, "scatter", 3, background=dark),
            RenderCase(16, 16, 5, "tiny", 4, falloff=True),
            RenderCase(5, 9, 300, "many", 5),
            RenderCase(5, 5, 3, "huge", 6, background=half),
            # a 2x3 frame is one block: 2,100 circles make it the crowded tile, at a few seconds
            RenderCase(2, 3, 2_100, "overlap", 7, random_alpha=True, background=clear),
        ]
    else:
        edge = [
            RenderCase(1, 1, 0, "overlap", 0, background=half),
            RenderCase(1, 1, 3, "overlap", 1),
            RenderCase(7, 3, 3, "overlap", 2, background=clear),
            RenderCase(33, 17, 6, "overlap", 3, random_alpha=True, background=half),
            RenderCase(100, 64, 12, "scatter", 4, background=dark),
            RenderCase(64, 65, 40, "tiny", 5),
            RenderCase(65, 31, 6, "overlap", 6, falloff=True, background=dark),
            RenderCase(97, 96, 10, "grid", 7),
            RenderCase(40, 40, 300, "many", 8),
            RenderCase(17, 100, 8, "scatter", 9, falloff=True, random_alpha=True, background=clear),
            RenderCase(31, 33, 20, "huge", 10, falloff=True, background=half),
            RenderCase(16, 16, 4_100, "overlap", 11, background=half),  # one tile, past 4,096
            RenderCase(3, 2, CROWD, "overlap", 12, random_alpha=True, background=clear),
            RenderCase(33, 17, 2_500, "scatter", 13, falloff=True),
        ]
    return [dataclasses.replace(case, num_threads=cycled_thread_count(index)) for index, case in enumerate(edge)]

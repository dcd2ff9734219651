"""Hypothesis strategies for circle-renderer cases.

A case is small to describe (frame size, number of circles, a layout, a seed, a few switches) and builds its
scene from the seed: hypothesis shrinks the description, so a failure lands on the smallest frame with the
fewest circles that still shows it. The layouts stress what a renderer gets wrong:

* ``overlap``: every circle covers the middle of the frame (the disc of radius 0.3 - 0.08*sqrt(2) = 0.187
  around it, which holds a pixel centre in any frame of 4x4 or more), each in a colour unlike the one
  before it, so drawing any two of them out of order changes that pixel by alpha1*alpha2*|rgb2 - rgb1|
  >= 0.04*0.9 per channel;
* ``scatter``: centres anywhere in [-0.3, 1.3]^2 (partly or wholly off-screen), radii 0.02..0.5;
* ``tiny``: radii of 0.2..1 pixel, many covering no pixel centre at all;
* ``grid``: centres exactly on tile corners and edges (multiples of 16 and 32 pixels), radii of 1..3 tiles;
* ``many``: 257..600 small circles (CPU only): more than one round of a 256-circle chunk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from assignments.render.common import Scene
from grader.spec import Profile

# Saturated colours, far apart: consecutive circles never share one (see ``overlap``).
PALETTE = np.array([(1, 0, 0), (0, 0.8, 0), (0, 0, 1), (1, 0.9, 0), (0, 0.9, 0.9), (0.9, 0, 0.9),
                    (0, 0, 0), (1, 0.5, 0)], np.float32)
LAYOUTS = ("overlap", "scatter", "tiny", "grid")


@dataclass(frozen=True)
class RenderCase:
    width: int
    height: int
    circles: int
    layout: str
    seed: int
    falloff: bool = False  # snowsingle-style opacity falling off from the centre
    random_alpha: bool = False  # opacities drawn in [0.2, 0.9] instead of 0.5

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
        elif self.layout == "many":
            centres = rng.uniform(-0.05, 1.05, (n, 2))
            radii = rng.uniform(0.01, 0.12, n)
        else:
            raise ValueError(f"unknown layout {self.layout!r}")
        colours = PALETTE[(np.arange(n) * 3 + self.seed) % len(PALETTE)]
        alphas = rng.uniform(0.2, 0.9, n) if self.random_alpha else np.full(n, 0.5)
        falloffs = rng.choice([1.0, 4.0], n) if self.falloff else np.zeros(n)
        background = (1, 1, 1, 1) if self.seed % 2 == 0 else (0.1, 0.2, 0.3, 1)
        return Scene(centres=centres, radii=radii, colours=colours, alphas=alphas, falloffs=falloffs,
                     background=background, name=f"{self.layout} x{n}")

    def __str__(self) -> str:
        extras = "".join([", falloff" if self.falloff else "", ", random alpha" if self.random_alpha else ""])
        return (f"{self.width}x{self.height} frame, {self.circles} circles, layout {self.layout}{extras} "
                f"(data seed {self.seed}); rebuild: grader.suites.render.cases.{self!r}.scene()")


# Frame sizes that break tilings: 1, primes, and one either side of the 16- and 32-pixel tiles.
EDGE_SIZES = (1, 2, 15, 16, 17, 31, 32, 33, 63, 64, 65, 97)


def sizes(profile: Profile):
    if profile.simulated:
        return st.sampled_from((1, 2, 5, 15, 16, 17))
    return st.one_of(st.integers(1, 100), st.sampled_from(EDGE_SIZES))


def cases(profile: Profile):
    most = 5 if profile.simulated else 10
    small = st.builds(RenderCase, width=sizes(profile), height=sizes(profile), circles=st.integers(0, most),
                      layout=st.sampled_from(LAYOUTS), seed=st.integers(0, 2**32 - 1), falloff=st.booleans(),
                      random_alpha=st.booleans())
    if profile.simulated:
        return small
    many = st.builds(RenderCase, width=st.integers(1, 100), height=st.integers(1, 100),
                     circles=st.integers(257, 600), layout=st.just("many"), seed=st.integers(0, 2**32 - 1),
                     falloff=st.booleans(), random_alpha=st.booleans())
    return st.one_of(small, small, small, many)


def edge_cases(profile: Profile) -> list[RenderCase]:
    if profile.simulated:
        return [RenderCase(1, 1, 0, "overlap", 0), RenderCase(1, 1, 2, "overlap", 1),
                RenderCase(16, 16, 4, "overlap", 2), RenderCase(17, 3, 4, "scatter", 3),
                RenderCase(16, 16, 5, "tiny", 4, falloff=True), RenderCase(5, 9, 300, "many", 5)]
    return [RenderCase(1, 1, 0, "overlap", 0), RenderCase(1, 1, 3, "overlap", 1),
            RenderCase(7, 3, 3, "overlap", 2), RenderCase(33, 17, 6, "overlap", 3, random_alpha=True),
            RenderCase(100, 64, 12, "scatter", 4), RenderCase(64, 65, 40, "tiny", 5),
            RenderCase(65, 31, 6, "overlap", 6, falloff=True), RenderCase(97, 96, 10, "grid", 7),
            RenderCase(40, 40, 300, "many", 8), RenderCase(17, 100, 8, "scatter", 9)]

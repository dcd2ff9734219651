"""Hypothesis strategies for Mandelbrot cases.

A case is a window (corner, pixel pitch), an image size, an iteration cap and, for the threaded variant, a
thread count: a handful of numbers, so a failure shrinks to the smallest image, the fewest iterations and one
thread that still show it. Corners are drawn near the set (most windows hold both escaping and captive pixels),
pitches from coarse (the whole set in 200 pixels) to fine (deep in the chaotic boundary); pixels may be
non-square, either axis may be flipped (x1 < x0, y1 < y0) and a window may have zero width or height
(x1 == x0 or y1 == y0: every column, or row, is the same c), as the formula allows.

Coverage: every documented parameter, its range, what is drawn and the edge values always checked (DESIGN.md's
assignment table; the handout, assignments/mandelbrot/README.md, "The contract"). tests/test_coverage.py keeps
the strategies to it.

* width, height -- documented: 1..200 and the full 1600x1200 views (simulator 1..40). Drawn: 1..200 (1..40). Edge
  values: 1, 5, 7, 9, 13, 33, 64, 65, 97, 127, 200; 1600x1200.
* x0, y0 (corner) -- documented: any float (c = (x0 + i dx, y0 + j dy)). Drawn: near the set: [-2.1, 0.5] x [-1.2, 1.1];
  the two views. Edge values: views 1 and 2.
* x1, y1 (pitch) -- documented: any: x1 < x0, y1 < y0 and x1 == x0, y1 == y0 allowed. Drawn: pitch 0, +-1e-5..2e-2,
  aspect -1, 0, 0.5, 1, 2. Edge values: zero width, zero height, both axes flipped.
* max_iters -- documented: 1..512 (simulator 1..128). Drawn: 1..512 (1..128). Edge values: 1, 2, 31, 255, 256, 257, 512.
* num_threads (threaded) -- documented: None (one per core) or >= 1. Drawn: None, 1, 2, 3, 4, 7, 16, 33
  (grader/cases.py). Edge values: all of them, more threads than rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from grader.cases import cycled_thread_count, thread_counts
from grader.spec import Profile
from grader.suites.mandelbrot.baseline import HEIGHT, MAX_ITERS, WIDTH, view


@dataclass(frozen=True)
class MandelbrotCase:
    x0: float
    y0: float
    x1: float
    y1: float
    width: int
    height: int
    max_iters: int
    num_threads: int | None = 3  # used by the threaded variant only (None: one per core)

    def args(self) -> tuple:
        return (self.x0, self.y0, self.x1, self.y1, self.width, self.height, self.max_iters)

    def __str__(self) -> str:
        return (
            f"mandelbrot(x0={self.x0!r}, y0={self.y0!r}, x1={self.x1!r}, y1={self.y1!r}, "
            f"width={self.width}, height={self.height}, max_iters={self.max_iters})"
            f" [threaded: num_threads={self.num_threads}]"
        )


def window(
    corner_re: float,
    corner_im: float,
    pitch: float,
    aspect: float,
    width: int,
    height: int,
    max_iters: int,
    num_threads: int | None,
) -> MandelbrotCase:
    """A case whose pixels are ``pitch`` wide and ``pitch * aspect`` tall, from corner (x0, y0)."""
    return MandelbrotCase(
        corner_re,
        corner_im,
        corner_re + pitch * width,
        corner_im + pitch * aspect * height,
        width,
        height,
        max_iters,
        num_threads,
    )


def whole_view(number: int, width: int, height: int, max_iters: int, num_threads: int | None = 3) -> MandelbrotCase:
    return MandelbrotCase(*view(number), width, height, max_iters, num_threads)


def max_side(profile: Profile) -> int:
    return 40 if profile.simulated else 200  # the simulator runs every GPU thread in Python


def cases(profile: Profile):
    side = st.integers(1, max_side(profile))
    return st.builds(
        window,
        corner_re=st.floats(-2.1, 0.5),
        corner_im=st.floats(-1.2, 1.1),
        pitch=st.sampled_from([2e-2, 5e-3, 1e-3, 1e-4, 1e-5, -5e-3, 0.0]),
        aspect=st.sampled_from([1.0, 0.5, 2.0, -1.0, 0.0]),
        width=side,
        height=side,
        max_iters=st.integers(1, 128 if profile.simulated else 512),
        num_threads=thread_counts(),
    )


# Sizes that break decompositions: one pixel, one row, one column, primes, one more than a 32x8 block or a
# 64-pixel SIMD chunk, and non-square shapes in both orientations (a transposed answer has the wrong shape).
EDGE_SIZES_SIMULATOR = ((1, 1), (1, 5), (5, 1), (33, 9), (7, 13))
EDGE_SIZES_CPU = EDGE_SIZES_SIMULATOR + ((64, 3), (65, 2), (127, 31), (97, 61), (200, 150))


def edge_cases(profile: Profile) -> list[MandelbrotCase]:
    """Both views at edge sizes and iteration caps; on a CPU or a real GPU also both full 1600x1200 views."""
    sizes = EDGE_SIZES_SIMULATOR if profile.simulated else EDGE_SIZES_CPU
    caps = (1, 2, 31) if profile.simulated else (1, 2, 255, 256, 257, 512)
    top = 128 if profile.simulated else 512
    edge = []
    for index, (width, height) in enumerate(sizes):
        for number in (1, 2):
            edge.append(
                whole_view(
                    number, width, height, caps[index % len(caps)], num_threads=cycled_thread_count(2 * index + number)
                )
            )
    # Windows of zero width, of zero height, and flipped both ways; the largest cap, on a boundary window.
    edge += [
        window(-0.75, 0.1, 0.0, 1.0, 9, 7, 64, num_threads=16),
        window(-1.5, 0.0, 1e-2, 0.0, 7, 9, 64, num_threads=None),
        window(0.4, 0.6, -5e-2, -1.0, 13, 11, 100, num_threads=7),
        window(-0.7454, 0.1130, 1e-5, 1.0, 17, 5, top, num_threads=33),
    ]
    if not profile.simulated:
        edge += [whole_view(number, WIDTH, HEIGHT, MAX_ITERS, num_threads=3) for number in (1, 2)]
    return edge

"""The circle-renderer oracle: the frame a correct ``render(scene, width, height)`` returns, and how close counts.

The oracle is the definition, run literally: start from the background, and for each circle in input order,
for each pixel whose centre lies inside or on it, blend (assignments/render/common.py states the rules). It
computes in float64 (numba, for speed only: the loop is the obvious serial one) and rounds once to float32.

Tolerance, derived
------------------
A learner computes in float32, and may order the arithmetic differently (``c + a*(rgb - c)``, pixel
coordinates instead of normalized ones, ``1/width`` precomputed, fused multiply-adds). Let u = 2**-24.

1. *Which pixels a circle covers.* The learner's ``dx`` carries the rounding of the pixel centre, the circle
   centre times the width if it works in pixels, and the subtraction: at most 6u*A with
   A = 1 + |cx| + |cy| + r. Near the rim |dx| + |dy| <= 2r, so its ``dx*dx + dy*dy`` and ``r*r`` differ from the
   exact ones by at most 24u*r*A + 4u*r*r <= eps = 32u*(r*A + r*r). A pixel whose exact |d^2 - r^2| <= eps
   (a *rim pixel* of that circle, within about 0.002 pixel of the rim at 1024x1024) may land on either side
   in a correct float32 program. Drawing the circle there or not moves the colour by at most alpha (then
   shrunk by (1 - alpha') for every later circle that surely covers the pixel) and the alpha channel by
   alpha: that slack is added to the pixel's tolerance. Elsewhere the decision is certain.
2. *Opacity.* Flat discs (falloff 0) use ``alphas[c]`` as given: no error. With falloff f, t = d^2/r^2 errs by
   at most dt = eps/r^2 + 3u*t, and ``exp`` by 128u relative (fast-math GPU exp included), so
   |d alpha| <= alpha*(f*(dt + u*t) + 130u).
3. *Blending.* Each blend ``alpha*rgb + (1-alpha)*c`` rounds at most four times on values in [0, 1] (4u) and
   carries the previous error times (1 - alpha) <= 1, plus |rgb - c| * |d alpha| <= |d alpha|. Over the k
   circles covering a pixel the colour error is at most 4u*k + sum |d alpha|; the alpha channel, a running
   sum, errs by at most u*k*A_final + sum |d alpha|. Rounding the oracle's own answer to float32 adds u.

The tolerance is twice those sums plus the rim slack: RGB 8u*(k + 1) + sum |d alpha| + slack, alpha
2u*(k + 1)*A_final + sum |d alpha| + slack, with no mismatches allowed. That is about 1e-6 for a few circles and
4e-4 under rand100k's 800 layers: far tighter than the course's 0.1 per channel with 5 mismatches, yet any correct
in-order float32 renderer passes, while one blend out of order misses by alpha1*alpha2*|rgb2 - rgb1| (0.25 for
two half-transparent discs of distinct primary colours) and a skipped circle by alpha*|rgb - c|.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from grader.compare import UNIT_ROUNDOFF


def render(scene, width: int, height: int) -> np.ndarray:
    """The exact frame, rounded to float32: float32[height, width, 4]."""
    return reference(scene, width, height)[0]


def reference(scene, width: int, height: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(frame float32[h, w, 4], tolerance float64[h, w, 4], coverage int32[h, w]).

    ``coverage`` counts the circles covering each pixel (for messages and pictures).
    """
    image = np.empty((height, width, 4), np.float64)
    tolerance = np.empty((height, width, 4), np.float64)
    coverage = np.zeros((height, width), np.int32)
    _render(
        scene.centres,
        scene.radii,
        scene.colours,
        scene.alphas,
        scene.falloffs,
        scene.background,
        image,
        tolerance,
        coverage,
    )
    return image.astype(np.float32), tolerance, coverage


def covering(scene, width: int, height: int, row: int, column: int, limit: int = 12) -> list[int]:
    """Indices of the circles that cover pixel (row, column), in order (at most ``limit``): for messages."""
    px, py = (column + 0.5) / width, (row + 0.5) / height
    d2 = (px - scene.centres[:, 0].astype(np.float64)) ** 2 + (py - scene.centres[:, 1].astype(np.float64)) ** 2
    return [int(c) for c in np.flatnonzero(d2 <= scene.radii.astype(np.float64) ** 2)[:limit]]


@njit(cache=True)
def _render(centres, radii, colours, alphas, falloffs, background, image, tolerance, coverage):
    height, width = coverage.shape
    u = UNIT_ROUNDOFF
    alpha_error = np.zeros((height, width), np.float64)  # sum of |d alpha| over the covering circles
    rim_slack = np.zeros((height, width), np.float64)  # colour uncertainty from rim decisions (point 1)
    rim_alpha = np.zeros((height, width), np.float64)  # alpha-channel uncertainty from rim decisions
    for j in range(height):
        for i in range(width):
            for channel in range(4):
                image[j, i, channel] = background[channel]
    for c in range(len(radii)):
        cx, cy, r = np.float64(centres[c, 0]), np.float64(centres[c, 1]), np.float64(radii[c])
        f = np.float64(falloffs[c])
        r2 = r * r
        eps = 32 * u * (r * (1 + abs(cx) + abs(cy) + r) + r2)
        # Every pixel whose centre can be within r (+ eps) of the centre: a generous box, then the exact test.
        x0 = max(int(math.floor(max((cx - r) * width - 1.0, -1.0))), 0)
        x1 = min(int(math.ceil(min((cx + r) * width + 1.0, width + 1.0))), width - 1)
        y0 = max(int(math.floor(max((cy - r) * height - 1.0, -1.0))), 0)
        y1 = min(int(math.ceil(min((cy + r) * height + 1.0, height + 1.0))), height - 1)
        for j in range(y0, y1 + 1):
            dy = (j + 0.5) / height - cy
            for i in range(x0, x1 + 1):
                dx = (i + 0.5) / width - cx
                d2 = dx * dx + dy * dy
                if d2 > r2 + eps:
                    continue
                t = d2 / r2
                alpha = np.float64(alphas[c])
                if f > 0:
                    alpha *= math.exp(-f * t)
                    alpha_error[j, i] += alphas[c] * (f * (eps / r2 + 4 * u * t) + 130 * u)
                if abs(d2 - r2) <= eps:
                    # A rim pixel: a correct float32 renderer may draw this circle here or not. Either way the
                    # colour moves by at most alpha, and the alpha channel by exactly alpha (point 1).
                    rim_slack[j, i] += alpha
                    rim_alpha[j, i] += alpha
                else:
                    rim_slack[j, i] *= 1 - alpha  # a later blend attenuates earlier uncertainty
                if d2 > r2:
                    continue
                for channel in range(3):
                    image[j, i, channel] = alpha * colours[c, channel] + (1 - alpha) * image[j, i, channel]
                image[j, i, 3] += alpha
                coverage[j, i] += 1
    for j in range(height):
        for i in range(width):
            layers = coverage[j, i] + 1
            for channel in range(3):
                tolerance[j, i, channel] = 8 * u * layers + alpha_error[j, i] + rim_slack[j, i]
            tolerance[j, i, 3] = 2 * u * layers * abs(image[j, i, 3]) + alpha_error[j, i] + rim_alpha[j, i]

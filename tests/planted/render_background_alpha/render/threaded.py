"""Planted: a threaded renderer whose frame starts opaque, whatever the background's alpha.

The learner's plausible mistake: the background's colour is copied but the alpha channel starts at 1 (the
course's frames, and every named scene here, have an opaque background). Right whenever the background's
alpha is 1 (every case the grader drew before it drew other backgrounds); wrong otherwise. Threads take rows
round-robin; each pixel blends every circle that covers it, in input order, as the handout's rules say.
"""

import math
import os
import threading

import numpy as np
from numba import njit


@njit(nogil=True)
def _span(centre, radius, size):
    """First and last pixel whose centre may lie within centre +- radius, clamped (first > last: none)."""
    low = math.floor((np.float64(centre) - radius) * size - 0.5)
    high = math.ceil((np.float64(centre) + radius) * size - 0.5)
    return max(int(max(low, -1.0)), 0), min(int(min(high, size)), size - 1)


@njit(nogil=True)
def _shade_rows(first, step, centres, radii, colours, alphas, falloffs, background, image):
    height, width = image.shape[0], image.shape[1]
    for j in range(first, height, step):
        for i in range(width):
            for channel in range(3):
                image[j, i, channel] = background[channel]
            image[j, i, 3] = 1.0  # the bug: background[3] ignored
        for c in range(len(radii)):
            cx, cy, r = centres[c, 0], centres[c, 1], radii[c]
            y0, y1 = _span(cy, r, height)
            if j < y0 or j > y1:
                continue
            r2 = r * r
            dy = (np.float32(j) + np.float32(0.5)) / np.float32(height) - cy
            x0, x1 = _span(cx, r, width)
            for i in range(x0, x1 + 1):
                dx = (np.float32(i) + np.float32(0.5)) / np.float32(width) - cx
                d2 = dx * dx + dy * dy
                if d2 <= r2:
                    alpha = alphas[c]
                    if falloffs[c] != 0:
                        alpha *= np.float32(math.exp(-falloffs[c] * (d2 / r2)))
                    for channel in range(3):
                        image[j, i, channel] = (alpha * colours[c, channel]
                                                + (np.float32(1.0) - alpha) * image[j, i, channel])
                    image[j, i, 3] += alpha


def render(scene, width, height, num_threads=None):
    num_threads = num_threads or os.cpu_count() or 1
    image = np.empty((height, width, 4), np.float32)
    arrays = (scene.centres, scene.radii, scene.colours, scene.alphas, scene.falloffs, scene.background, image)
    threads = [threading.Thread(target=_shade_rows, args=(t, num_threads, *arrays)) for t in range(num_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return image

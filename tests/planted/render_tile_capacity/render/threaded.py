"""Planted: a tiled threaded renderer whose per-tile circle lists hold at most 2,048 circles.

The learner's plausible mistake: a fixed-size list per 32 x 32 tile, sized with room to spare for the scenes
tried by hand (rand10k puts ~80 circles on a pixel, a few hundred on a tile), and circles past it dropped
without a word. Right on every scene whose tiles hold fewer than 2,048 circles (every case the grader drew
before it drew crowded tiles); wrong under a crowded tile. Everything else follows the handout's rules.
"""

import math
import os
import threading

import numpy as np
from numba import njit

TILE = 32
CAPACITY = 2048  # circles a tile's list holds: the bug


@njit(nogil=True)
def _span(centre, radius, size):
    """First and last pixel whose centre may lie within centre +- radius, clamped (first > last: none)."""
    low = math.floor((np.float64(centre) - radius) * size - 0.5)
    high = math.ceil((np.float64(centre) + radius) * size - 0.5)
    return max(int(max(low, -1.0)), 0), min(int(min(high, size)), size - 1)


@njit(nogil=True)
def _bin(centres, radii, width, height, lists, counts):
    tiles_x = (width + TILE - 1) // TILE
    for c in range(len(radii)):
        x0, x1 = _span(centres[c, 0], radii[c], width)
        y0, y1 = _span(centres[c, 1], radii[c], height)
        if x0 > x1 or y0 > y1:
            continue
        for ty in range(y0 // TILE, y1 // TILE + 1):
            for tx in range(x0 // TILE, x1 // TILE + 1):
                t = ty * tiles_x + tx
                if counts[t] < CAPACITY:  # the list is full: the circle is dropped
                    lists[t, counts[t]] = c
                    counts[t] += 1


@njit(nogil=True)
def _shade(first, step, lists, counts, centres, radii, colours, alphas, falloffs, background, image):
    height, width = image.shape[0], image.shape[1]
    tiles_x = (width + TILE - 1) // TILE
    for t in range(first, len(counts), step):
        row0, col0 = (t // tiles_x) * TILE, (t % tiles_x) * TILE
        row1, col1 = min(row0 + TILE, height) - 1, min(col0 + TILE, width) - 1
        for j in range(row0, row1 + 1):
            for i in range(col0, col1 + 1):
                image[j, i, :] = background
        for k in range(counts[t]):
            c = lists[t, k]
            cx, cy, r = centres[c, 0], centres[c, 1], radii[c]
            r2 = r * r
            x0, x1 = _span(cx, r, width)
            y0, y1 = _span(cy, r, height)
            for j in range(max(y0, row0), min(y1, row1) + 1):
                dy = (np.float32(j) + np.float32(0.5)) / np.float32(height) - cy
                for i in range(max(x0, col0), min(x1, col1) + 1):
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
    if width == 0 or height == 0:
        return image
    tiles = ((width + TILE - 1) // TILE) * ((height + TILE - 1) // TILE)
    lists = np.empty((tiles, CAPACITY), np.int32)
    counts = np.zeros(tiles, np.int64)
    _bin(scene.centres, scene.radii, width, height, lists, counts)
    arrays = (lists, counts, scene.centres, scene.radii, scene.colours, scene.alphas, scene.falloffs,
              scene.background, image)
    threads = [threading.Thread(target=_shade, args=(t, num_threads, *arrays)) for t in range(num_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return image

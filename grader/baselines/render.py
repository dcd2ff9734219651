"""Trusted code that runs inside the benchmark's child processes for the circle renderer.

* :func:`make_inputs` builds a named scene and the frame size (every process builds the same).
* :func:`render` is the serial baseline: the course's sequential renderer, one core. For each circle in input
  order, visit the pixels of its bounding box, test each pixel centre, blend. Float32 throughout.
* :func:`to_device` / :func:`from_device` stage the scene on the GPU and allocate the frame there, so the
  kernel-only benchmark times the renderer, not the PCIe transfers.
"""

import math

import numpy as np
from numba import njit

from assignments.render.common import make_scene, pixel_span


def make_inputs(scene: str, width: int, height: int, seed: int = 0):
    return make_scene(scene, seed), width, height


def render(scene, width: int, height: int) -> np.ndarray:
    image = np.empty((height, width, 4), np.float32)
    _render_serial(scene.centres, scene.radii, scene.colours, scene.alphas, scene.falloffs, scene.background,
                   image)
    return image


@njit(cache=True)
def _render_serial(centres, radii, colours, alphas, falloffs, background, image):
    height, width = image.shape[0], image.shape[1]
    for j in range(height):
        for i in range(width):
            image[j, i, :] = background
    inv_width, inv_height = np.float32(1.0) / np.float32(width), np.float32(1.0) / np.float32(height)
    half = np.float32(0.5)
    for c in range(len(radii)):
        cx, cy, r = centres[c, 0], centres[c, 1], radii[c]
        r2 = r * r
        x0, x1 = pixel_span(cx, r, width)
        y0, y1 = pixel_span(cy, r, height)
        for j in range(y0, y1 + 1):
            dy = (np.float32(j) + half) * inv_height - cy
            for i in range(x0, x1 + 1):
                dx = (np.float32(i) + half) * inv_width - cx
                d2 = dx * dx + dy * dy
                if d2 <= r2:
                    alpha = alphas[c]
                    if falloffs[c] != 0:
                        alpha *= np.float32(math.exp(-falloffs[c] * (d2 / r2)))
                    keep = np.float32(1.0) - alpha
                    for channel in range(3):
                        image[j, i, channel] = alpha * colours[c, channel] + keep * image[j, i, channel]
                    image[j, i, 3] += alpha


def to_device(scene, width: int, height: int):
    """Arguments of ``render_device(centres, radii, colours, alphas, falloffs, background, image)`` on the GPU."""
    from numba import cuda

    arrays = [cuda.to_device(getattr(scene, field))
              for field in ("centres", "radii", "colours", "alphas", "falloffs", "background")]
    return (*arrays, cuda.device_array((height, width, 4), np.float32))


def from_device(args, returned):
    return args[-1].copy_to_host()

"""The circle renderer on a CUDA GPU with numba.cuda. Read README.md (in this folder) first.

Write the kernel and two entry points:

* ``render(scene, width, height)``: host arrays in, a new host frame float32[height, width, 4] out;
* ``render_device(centres, radii, colours, alphas, falloffs, background, image)``: the scene's arrays
  already on the GPU; launch the kernel writing the frame into ``image`` (device float32[height, width, 4]).

One thread block per TILE x TILE tile, one thread per pixel. Without a GPU the grader runs this file on
numba's CUDA simulator (slow, but it checks your logic). Grade it with:  python -m grader render --variant cuda
"""

import math  # noqa: F401  (math.exp for the falloff)

import numpy as np
from numba import cuda, float32, int32  # noqa: F401

from .common import SCENE_FIELDS  # noqa: F401  (the scene's six arrays, in the order render_device takes them)

TILE = 16  # pixels a side: 256 threads a block
BLOCK = TILE * TILE


@cuda.jit(cache=True)
def _render_tiles(centres, radii, colours, alphas, falloffs, background, image):
    # TODO (1 of 3): this thread's pixel is (row, column) = (blockIdx.y * TILE + threadIdx.y,
    # blockIdx.x * TILE + threadIdx.x); keep its RGBA in registers, starting from the background. Then, for
    # the circles in rounds of BLOCK:
    #   1. bin: thread t tests circle round_start + t against this tile's rectangle (conservatively);
    #   2. compact: a prefix sum over the block's 0/1 flags (cuda.shared.array, cuda.syncthreads()) gives
    #      each touching circle its slot, in input order, and the count;
    #   3. stage: write the touching circles' parameters to shared-memory arrays at their slots;
    #   4. shade: blend the staged circles into your pixel in slot order.
    # Every thread must reach every cuda.syncthreads(), including those past the image's edge. Finally
    # write the pixel. Use float32(0.5), not 0.5: Python floats make numba compute in float64.
    raise NotImplementedError("TODO: write the tiled renderer kernel")


def render_device(centres, radii, colours, alphas, falloffs, background, image):
    """Launch the kernel on device arrays and return ``image``."""
    # TODO (2 of 3): one block of (TILE, TILE) threads per tile: a grid of (ceil(width / TILE),
    # ceil(height / TILE)) blocks. Return early for an empty frame (a launch of zero blocks is an error).
    raise NotImplementedError("TODO: launch the kernel in render_device")


def render(scene, width: int, height: int) -> np.ndarray:
    """The frame float32[height, width, 4]."""
    # TODO (3 of 3): copy the six arrays (SCENE_FIELDS) to the GPU, allocate the frame there
    # (cuda.device_array((height, width, 4), np.float32)), call render_device, copy the frame back.
    raise NotImplementedError("TODO: copy in, launch, copy out in render")

"""Deep-learning operators on a CUDA GPU with numba.cuda. Read README.md (in this folder) first.

Host entry points (numpy arrays in and out, as threaded.py): ``layernorm``, ``layernorm_backward``,
``attention``, ``conv2d``. Device-resident entry points (arrays already on the GPU, outputs preallocated there;
launch the kernels and return, without copying anything back):

* ``layernorm_device(x, weight, bias, eps, y, mean, rstd)``
* ``layernorm_backward_device(dy, x, weight, mean, rstd, dx, dweight, dbias)``
* ``attention_device(q, k, v, causal, out)``
* ``conv2d_device(x, w, bias, stride, padding, out)``

Write each host entry point as: copy the inputs in (cuda.to_device), allocate the outputs
(cuda.device_array), call the device entry point, copy the outputs back. Without a GPU the grader runs your
kernels on numba's CUDA simulator (tiny inputs): correctness only.

Grade it with:  python -m grader dnn --variant cuda
"""

import math  # noqa: F401

import numpy as np  # noqa: F401
from numba import config, cuda, float32  # noqa: F401

from .common import conv_output_size  # noqa: F401

if config.ENABLE_CUDASIM:
    THREADS, TILE = 8, 4  # the simulator runs each thread in Python: tiny blocks
else:
    THREADS, TILE = 256, 64


def layernorm_device(x, weight, bias, eps, y, mean, rstd):
    # TODO (1 of 4): one block per row; the threads stride through the row (thread t takes t, t + THREADS, ...)
    # and combine their partial sums with a tree reduction in cuda.shared.array(THREADS, float32), a
    # cuda.syncthreads() between steps. Mean, then variance about the mean, then write y.
    raise NotImplementedError("TODO: layernorm_device (Part 1)")


def layernorm(x, weight, bias, eps):
    raise NotImplementedError("TODO: layernorm: copy in, call layernorm_device, copy (y, mean, rstd) out")


def layernorm_backward_device(dy, x, weight, mean, rstd, dx, dweight, dbias):
    # TODO (2 of 4): dx with one block per row (two block reductions); dweight and dbias with one thread per
    # feature summing down the rows.
    raise NotImplementedError("TODO: layernorm_backward_device (Part 1)")


def layernorm_backward(dy, x, weight, mean, rstd):
    raise NotImplementedError("TODO: layernorm_backward: copy in, call layernorm_backward_device, copy out")


def attention_device(q, k, v, causal, out):
    # TODO (3 of 4): one thread per query, one block per (head, TILE queries): the block loads a tile of TILE
    # keys and values into shared memory, syncs, every thread runs the online softmax over the tile, syncs,
    # next tile. Threads past the end of the sequence still help load.
    raise NotImplementedError("TODO: attention_device (Part 2)")


def attention(q, k, v, causal):
    raise NotImplementedError("TODO: attention: copy in, call attention_device, copy out")


def conv2d_device(x, w, bias, stride, padding, out):
    # TODO (4 of 4): one thread per output element (image, co, oy, ox), summing over ci, ky, kx and skipping
    # taps in the padding; stage the block's output channel's weights in shared memory.
    raise NotImplementedError("TODO: conv2d_device (Part 3)")


def conv2d(x, w, bias, stride, padding):
    raise NotImplementedError("TODO: conv2d: copy in, call conv2d_device, copy out")

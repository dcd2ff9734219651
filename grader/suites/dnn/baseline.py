"""Trusted code that runs inside the benchmark's child processes for dnn.

* ``make_*_inputs``: the benchmarks' inputs, built deterministically (every process builds the same).
* The serial baseline (the SIMD variant's "serial" column): the obvious compiled loops on one core, one element
  at a time: layernorm's three passes, attention one query at a time with its whole row of scores (O(seq)
  memory, not the seq x seq matrix), convolution as seven nested loops.
* torch's own operators, the threaded (CPU) and cuda (GPU) variants' "serial" column: the peer a deep-learning
  learner would measure against. The grader runs a benchmark's serial side pinned to one core; ``to_torch``
  hands the worker back every core the grader may use (and torch as many threads), so torch is timed as it runs
  in a real program, on the same cores as the learner and the reference.
* GPU staging for the device-resident entry points (``to_device_*`` / ``from_device``), and ``to_torch_cuda``
  for torch's operators on the GPU.
"""

from __future__ import annotations

import math
import os

import numpy as np
from numba import njit

from grader.suites.dnn.cases import AttentionCase, ConvCase, LayerNormCase, Rows


# -- inputs ------------------------------------------------------------------------------------------------------
def make_layernorm_inputs(rows: int, features: int):
    return LayerNormCase(rows, features, 1e-5, Rows.NORMAL, 1.0, seed=rows + features).forward_inputs()


def make_layernorm_backward_inputs(rows: int, features: int):
    return LayerNormCase(rows, features, 1e-5, Rows.NORMAL, 1.0, seed=rows + features).backward_inputs()


def make_attention_inputs(heads: int, seq: int, dim: int, causal: bool):
    return AttentionCase(heads, seq, dim, causal, 1.0, seed=seq + dim).inputs()


def make_conv2d_inputs(n: int, c_in: int, c_out: int, size: int, kernel: int, stride: int, padding: int):
    return ConvCase(n, c_in, c_out, size, size, kernel, kernel, stride, padding, seed=size).inputs()


# -- the serial baseline: plain loops, one core -----------------------------------------------------------------
@njit(cache=True)
def _layernorm_loops(x, weight, bias, eps, y, mean, rstd):
    rows, features = x.shape
    for r in range(rows):
        total = 0.0
        for j in range(features):
            total += x[r, j]
        mu = total / features
        squares = 0.0
        for j in range(features):
            squares += (x[r, j] - mu) ** 2
        inverse = 1.0 / math.sqrt(squares / features + eps)
        for j in range(features):
            y[r, j] = (x[r, j] - mu) * inverse * weight[j] + bias[j]
        mean[r] = mu
        rstd[r] = inverse


def layernorm(x, weight, bias, eps):
    y = np.empty_like(x)
    mean = np.empty(x.shape[0], dtype=np.float32)
    rstd = np.empty(x.shape[0], dtype=np.float32)
    _layernorm_loops(x, weight, bias, eps, y, mean, rstd)
    return y, mean, rstd


@njit(cache=True)
def _layernorm_backward_loops(dy, x, weight, mean, rstd, dx, dweight, dbias):
    rows, features = x.shape
    for r in range(rows):
        sum_g = 0.0
        sum_g_xhat = 0.0
        for j in range(features):
            xhat = (x[r, j] - mean[r]) * rstd[r]
            sum_g += dy[r, j] * weight[j]
            sum_g_xhat += dy[r, j] * weight[j] * xhat
            dweight[j] += dy[r, j] * xhat
            dbias[j] += dy[r, j]
        for j in range(features):
            xhat = (x[r, j] - mean[r]) * rstd[r]
            dx[r, j] = rstd[r] * (dy[r, j] * weight[j] - sum_g / features - xhat * sum_g_xhat / features)


def layernorm_backward(dy, x, weight, mean, rstd):
    dx = np.empty_like(x)
    dweight = np.zeros(x.shape[1], dtype=np.float32)
    dbias = np.zeros(x.shape[1], dtype=np.float32)
    _layernorm_backward_loops(dy, x, weight, mean, rstd, dx, dweight, dbias)
    return dx, dweight, dbias


@njit(cache=True)
def _attention_loops(q, k, v, causal, out):
    heads, seq, dim = q.shape
    scores = np.empty(seq)
    scale = 1.0 / math.sqrt(dim)
    for h in range(heads):
        for i in range(seq):
            visible = i + 1 if causal else seq
            top = -np.inf
            for j in range(visible):
                s = 0.0
                for d in range(dim):
                    s += q[h, i, d] * k[h, j, d]
                scores[j] = s * scale
                top = max(top, scores[j])
            total = 0.0
            for j in range(visible):
                scores[j] = math.exp(scores[j] - top)
                total += scores[j]
            for d in range(dim):
                acc = 0.0
                for j in range(visible):
                    acc += scores[j] * v[h, j, d]
                out[h, i, d] = acc / total


def attention(q, k, v, causal):
    out = np.empty_like(q)
    _attention_loops(q, k, v, causal, out)
    return out


@njit(cache=True)
def _conv_loops(x, w, bias, stride, padding, out):
    n, c_out, h_out, w_out = out.shape
    c_in, kh, kw = w.shape[1], w.shape[2], w.shape[3]
    height, width = x.shape[2], x.shape[3]
    for image in range(n):
        for co in range(c_out):
            for oy in range(h_out):
                for ox in range(w_out):
                    acc = bias[co]
                    for ci in range(c_in):
                        for ky in range(kh):
                            iy = oy * stride - padding + ky
                            for kx in range(kw):
                                ix = ox * stride - padding + kx
                                if 0 <= iy < height and 0 <= ix < width:
                                    acc += w[co, ci, ky, kx] * x[image, ci, iy, ix]
                    out[image, co, oy, ox] = acc


def conv2d(x, w, bias, stride, padding):
    n, _, height, width = x.shape
    c_out, _, kh, kw = w.shape
    out = np.empty(
        (n, c_out, (height + 2 * padding - kh) // stride + 1, (width + 2 * padding - kw) // stride + 1),
        dtype=np.float32,
    )
    _conv_loops(x, w, bias, stride, padding, out)
    return out


# -- torch's operators: the peer ---------------------------------------------------------------------------------
def _every_core() -> None:
    """Undo the serial side's pinning for this worker: torch is timed on the cores the learner gets."""
    import torch

    from grader import machine

    if hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, range(os.cpu_count() or 1))
        except OSError:
            pass
    torch.set_num_threads(machine.cores())


def to_torch(*host):
    """The inputs as CPU tensors sharing the numpy arrays' memory (no copy); scalars stay as they are."""
    import torch

    _every_core()
    return tuple(torch.from_numpy(value) if isinstance(value, np.ndarray) else value for value in host)


def to_torch_cuda(*host):
    """The inputs as CUDA tensors. cuDNN may compute float32 convolutions in TF32 (10-bit mantissas) by default:
    turned off, so that torch's conv2d does the float32 arithmetic the learner's kernel is held to."""
    import torch

    torch.backends.cudnn.allow_tf32 = False
    return tuple(torch.from_numpy(value).cuda() if isinstance(value, np.ndarray) else value for value in host)


def _finished(result):
    """torch launches CUDA work asynchronously, and the worker only waits for numba's and CuPy's queues: wait
    here, so that the timing covers the kernels on the GPU, not their launches."""
    import torch

    if torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.synchronize()
    return result


def torch_layernorm(x, weight, bias, eps):
    """``torch.native_layer_norm``: what ``torch.nn.functional.layer_norm`` runs, returning (y, mean, rstd)."""
    import torch

    return _finished(torch.native_layer_norm(x, (x.shape[-1],), weight, bias, eps))


def torch_layernorm_backward(dy, x, weight, mean, rstd):
    """The kernel behind ``torch.nn.functional.layer_norm``'s backward (its saved mean and rstd are [rows, 1])."""
    import torch

    return _finished(
        torch.ops.aten.native_layer_norm_backward(
            dy, x, (x.shape[-1],), mean[:, None], rstd[:, None], weight, weight, (True, True, True)
        )
    )  # bias: shape only


def torch_attention(q, k, v, causal):
    import torch

    return _finished(torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal))


def torch_conv2d(x, w, bias, stride, padding):
    import torch

    return _finished(torch.nn.functional.conv2d(x, w, bias, stride=stride, padding=padding))


# -- GPU staging for the device-resident entry points ------------------------------------------------------------
def _device(*host):
    from numba import cuda

    return tuple(cuda.to_device(value) if isinstance(value, np.ndarray) else value for value in host)


def to_device_layernorm(x, weight, bias, eps):
    """Arguments of ``layernorm_device(x, weight, bias, eps, y, mean, rstd)``, on the GPU."""
    from numba import cuda

    rows = x.shape[0]
    return (
        *_device(x, weight, bias),
        eps,
        cuda.device_array_like(x),
        cuda.device_array(rows, np.float32),
        cuda.device_array(rows, np.float32),
    )


def to_device_layernorm_backward(dy, x, weight, mean, rstd):
    """Arguments of ``layernorm_backward_device(dy, x, weight, mean, rstd, dx, dweight, dbias)``."""
    from numba import cuda

    features = x.shape[1]
    return (
        *_device(dy, x, weight, mean, rstd),
        cuda.device_array_like(x),
        cuda.device_array(features, np.float32),
        cuda.device_array(features, np.float32),
    )


def to_device_attention(q, k, v, causal):
    """Arguments of ``attention_device(q, k, v, causal, out)``."""
    from numba import cuda

    return (*_device(q, k, v), causal, cuda.device_array_like(q))


def to_device_conv2d(x, w, bias, stride, padding):
    """Arguments of ``conv2d_device(x, w, bias, stride, padding, out)``."""
    from numba import cuda

    n, _, height, width = x.shape
    c_out, _, kh, kw = w.shape
    shape = (n, c_out, (height + 2 * padding - kh) // stride + 1, (width + 2 * padding - kw) // stride + 1)
    return (*_device(x, w, bias), stride, padding, cuda.device_array(shape, np.float32))


def from_device_layernorm(args, returned):
    return tuple(a.copy_to_host() for a in args[4:7])


def from_device_layernorm_backward(args, returned):
    return tuple(a.copy_to_host() for a in args[5:8])


def from_device_last(args, returned):
    """The output array, the last argument."""
    return args[-1].copy_to_host()

"""Part 4: the dnn operators as PyTorch custom operators (``torch.library.custom_op``), so that a model, autograd
and ``torch.compile`` treat them like torch's own.

What each registration is for:

* ``custom_op("dnn::name", mutates_args=())``: puts the function in torch's dispatcher under a schema read
  from the type hints (Tensor in, Tensor out, nothing modified in place). Calls go through
  ``torch.ops.dnn.name`` like any aten operator.
* ``register_fake``: what the operator returns for inputs that have a shape, dtype and device but no data
  (FakeTensors): how ``torch.compile`` and ``torch.export`` trace a model without running it. It must allocate
  the outputs' shapes and nothing else.
* ``register_autograd`` (layernorm only): ``setup_context`` saves what the backward needs (x, weight and the
  forward's own mean and rstd: the statistics are computed once, not again in the backward), ``backward`` turns
  the gradient of y into the gradients of x, weight and bias by calling the ``dnn::layernorm_backward``
  operator. mean and rstd are outputs that no gradient flows through (``mark_non_differentiable``).

No copies. On the CPU a contiguous float32 tensor and a numpy array can share memory: ``tensor.numpy()`` and
``torch.from_numpy(array)`` are views, so the numba kernels of threaded.py read torch's memory and torch
adopts the arrays they return. On a GPU, numba's ``cuda.as_cuda_array`` wraps a CUDA tensor through
``__cuda_array_interface__`` (a pointer, a shape and strides), and the kernels of cuda.py write straight into
outputs that torch allocated. numba launches on the default stream, torch's default stream too, so the two
stay ordered.
"""

from __future__ import annotations

import torch

from . import threaded

NAMESPACE = "dnn"


def _host(tensor: torch.Tensor):
    """A numpy view of a CPU tensor (a copy only if it is not contiguous)."""
    return tensor.detach().contiguous().numpy()


def _device(tensor: torch.Tensor):
    """A numba device array viewing a CUDA tensor's memory."""
    from numba import cuda

    return cuda.as_cuda_array(tensor.detach().contiguous())


def _gpu():
    from . import cuda as kernels

    return kernels


# -- layernorm -------------------------------------------------------------------------------------------------
@torch.library.custom_op(f"{NAMESPACE}::layernorm", mutates_args=())
def layernorm(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(y, mean, rstd) of float32 x[rows, features], as threaded.layernorm."""
    if x.is_cuda:
        y, mean, rstd = torch.empty_like(x), x.new_empty(x.shape[0]), x.new_empty(x.shape[0])
        _gpu().layernorm_device(
            _device(x), _device(weight), _device(bias), eps, _device(y), _device(mean), _device(rstd)
        )
        return y, mean, rstd
    y, mean, rstd = threaded.layernorm(_host(x), _host(weight), _host(bias), eps)
    return torch.from_numpy(y), torch.from_numpy(mean), torch.from_numpy(rstd)


@layernorm.register_fake
def _(x, weight, bias, eps):
    return torch.empty_like(x), x.new_empty(x.shape[0]), x.new_empty(x.shape[0])


@torch.library.custom_op(f"{NAMESPACE}::layernorm_backward", mutates_args=())
def layernorm_backward(
    dy: torch.Tensor, x: torch.Tensor, weight: torch.Tensor, mean: torch.Tensor, rstd: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(dx, dweight, dbias), as threaded.layernorm_backward."""
    if x.is_cuda:
        dx, dweight, dbias = torch.empty_like(x), weight.new_empty(weight.shape), weight.new_empty(weight.shape)
        _gpu().layernorm_backward_device(*(_device(t) for t in (dy, x, weight, mean, rstd, dx, dweight, dbias)))
        return dx, dweight, dbias
    dx, dweight, dbias = threaded.layernorm_backward(*(_host(t) for t in (dy, x, weight, mean, rstd)))
    return torch.from_numpy(dx), torch.from_numpy(dweight), torch.from_numpy(dbias)


@layernorm_backward.register_fake
def _(dy, x, weight, mean, rstd):
    return torch.empty_like(x), torch.empty_like(weight), torch.empty_like(weight)


def _save_for_backward(ctx, inputs, output):
    x, weight, _, _ = inputs
    _, mean, rstd = output
    ctx.save_for_backward(x, weight, mean, rstd)
    ctx.mark_non_differentiable(mean, rstd)


def _layernorm_gradients(ctx, dy, _dmean, _drstd):
    x, weight, mean, rstd = ctx.saved_tensors
    dx, dweight, dbias = layernorm_backward(dy.contiguous(), x, weight, mean, rstd)
    return dx, dweight, dbias, None  # eps gets no gradient


layernorm.register_autograd(_layernorm_gradients, setup_context=_save_for_backward)


# -- attention -------------------------------------------------------------------------------------------------
@torch.library.custom_op(f"{NAMESPACE}::attention", mutates_args=())
def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool) -> torch.Tensor:
    """softmax(q k^T / sqrt(dim)) v for float32 [heads, seq, dim], as threaded.attention."""
    if q.is_cuda:
        out = torch.empty_like(q)
        _gpu().attention_device(_device(q), _device(k), _device(v), causal, _device(out))
        return out
    return torch.from_numpy(threaded.attention(_host(q), _host(k), _host(v), causal))


@attention.register_fake
def _(q, k, v, causal):
    return torch.empty_like(q)


# -- conv2d ----------------------------------------------------------------------------------------------------
def _conv_shape(x, w, stride, padding):
    n, _, height, width = x.shape
    c_out, _, kh, kw = w.shape
    return (n, c_out, (height + 2 * padding - kh) // stride + 1, (width + 2 * padding - kw) // stride + 1)


@torch.library.custom_op(f"{NAMESPACE}::conv2d", mutates_args=())
def conv2d(x: torch.Tensor, w: torch.Tensor, bias: torch.Tensor, stride: int, padding: int) -> torch.Tensor:
    """NCHW cross-correlation, as threaded.conv2d."""
    if x.is_cuda:
        out = x.new_empty(_conv_shape(x, w, stride, padding))
        _gpu().conv2d_device(_device(x), _device(w), _device(bias), stride, padding, _device(out))
        return out
    return torch.from_numpy(threaded.conv2d(_host(x), _host(w), _host(bias), stride, padding))


@conv2d.register_fake
def _(x, w, bias, stride, padding):
    return x.new_empty(_conv_shape(x, w, stride, padding))

"""Planted: Part 4's operators over the plain-numpy kernels (tests/planted/dnn_numpy, copied beside this file as
threaded.py), with two faults that only two of the four torch checks can see:

* the autograd formula drops the weight from dx (it passes ones): the gradcheck must fail, with its own message;
* layernorm ends its process on x[256, 64], the training check's activations: that check must fail (the worker
  died), and the checks after it must still be graded, in a worker of their own.

opcheck (schema, fake tensors, autograd registration: not the gradient's values) and the conv + attention model
(no layernorm) must pass with their points."""

from __future__ import annotations

import os

import torch

from . import threaded


def _host(tensor: torch.Tensor):
    return tensor.detach().contiguous().numpy()


@torch.library.custom_op("dnn::layernorm", mutates_args=())
def layernorm(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    if tuple(x.shape) == (256, 64):
        os._exit(3)
    y, mean, rstd = threaded.layernorm(_host(x), _host(weight), _host(bias), eps)
    return torch.from_numpy(y), torch.from_numpy(mean), torch.from_numpy(rstd)


@layernorm.register_fake
def _(x, weight, bias, eps):
    return torch.empty_like(x), x.new_empty(x.shape[0]), x.new_empty(x.shape[0])


@torch.library.custom_op("dnn::layernorm_backward", mutates_args=())
def layernorm_backward(
    dy: torch.Tensor, x: torch.Tensor, weight: torch.Tensor, mean: torch.Tensor, rstd: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
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
    dx, _, _ = layernorm_backward(dy.contiguous(), x, torch.ones_like(weight), mean, rstd)  # the weight dropped
    _, dweight, dbias = layernorm_backward(dy.contiguous(), x, weight, mean, rstd)
    return dx, dweight, dbias, None


layernorm.register_autograd(_layernorm_gradients, setup_context=_save_for_backward)


@torch.library.custom_op("dnn::attention", mutates_args=())
def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool) -> torch.Tensor:
    return torch.from_numpy(threaded.attention(_host(q), _host(k), _host(v), causal))


@attention.register_fake
def _(q, k, v, causal):
    return torch.empty_like(q)


def _conv_shape(x, w, stride, padding):
    n, _, height, width = x.shape
    c_out, _, kh, kw = w.shape
    return (n, c_out, (height + 2 * padding - kh) // stride + 1, (width + 2 * padding - kw) // stride + 1)


@torch.library.custom_op("dnn::conv2d", mutates_args=())
def conv2d(x: torch.Tensor, w: torch.Tensor, bias: torch.Tensor, stride: int, padding: int) -> torch.Tensor:
    return torch.from_numpy(threaded.conv2d(_host(x), _host(w), _host(bias), stride, padding))


@conv2d.register_fake
def _(x, w, bias, stride, padding):
    return x.new_empty(_conv_shape(x, w, stride, padding))

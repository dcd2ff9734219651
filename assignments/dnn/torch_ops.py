"""Part 4: your operators inside PyTorch. Read README.md (in this folder), Part 4, first.

Each function below is registered as a PyTorch custom operator (``torch.library.custom_op``): calls go through
torch's dispatcher as ``torch.ops.dnn.NAME``, like torch's own operators. Fill in

1. each operator's body: run your threaded.py function on zero-copy numpy views of the tensors
   (``tensor.numpy()`` on a contiguous CPU tensor; ``torch.from_numpy(array)`` for the results); on a CUDA
   tensor (optional here: there is no GPU on the grading machine), wrap tensors with numba's
   ``cuda.as_cuda_array`` and call your cuda.py ``*_device`` entry points;
2. each ``register_fake``: the outputs' shapes and dtypes for tensors without data (``torch.empty_like``,
   ``x.new_empty(shape)``), which is how torch.compile traces a model through your operator;
3. layernorm's ``register_autograd``: save what the backward needs, and compute the gradients with your
   ``dnn::layernorm_backward`` operator.

Grade it with:  python -m grader dnn --variant torch_ops
"""

from __future__ import annotations

import torch

from . import threaded  # noqa: F401  (your CPU kernels)


@torch.library.custom_op("dnn::layernorm", mutates_args=())
def layernorm(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(y, mean, rstd) of float32 x[rows, features], computed by threaded.layernorm."""
    # TODO (1 of 6): numpy views of the inputs (x.detach().contiguous().numpy()), threaded.layernorm, and the
    # three results back as tensors with torch.from_numpy (no copies).
    raise NotImplementedError("TODO: the body of dnn::layernorm")


@layernorm.register_fake
def _(x, weight, bias, eps):
    # TODO (2 of 6): return empty tensors of the outputs' shapes: y like x, mean and rstd [rows].
    raise NotImplementedError("TODO: the fake implementation of dnn::layernorm")


@torch.library.custom_op("dnn::layernorm_backward", mutates_args=())
def layernorm_backward(
    dy: torch.Tensor, x: torch.Tensor, weight: torch.Tensor, mean: torch.Tensor, rstd: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(dx, dweight, dbias), computed by threaded.layernorm_backward."""
    # TODO (3 of 6): as layernorm's body; and a register_fake for this operator too (dx like x, dweight and
    # dbias like weight).
    raise NotImplementedError("TODO: the body of dnn::layernorm_backward")


def _setup_context(ctx, inputs, output):
    # TODO (4 of 6): ctx.save_for_backward(x, weight, mean, rstd) from inputs and output, and
    # ctx.mark_non_differentiable(mean, rstd): no gradient flows through the saved statistics.
    raise NotImplementedError("TODO: layernorm's setup_context")


def _backward(ctx, dy, dmean, drstd):
    # TODO (5 of 6): the gradients of (x, weight, bias, eps) from dnn::layernorm_backward (None for eps).
    raise NotImplementedError("TODO: layernorm's backward")


layernorm.register_autograd(_backward, setup_context=_setup_context)


@torch.library.custom_op("dnn::attention", mutates_args=())
def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool) -> torch.Tensor:
    """softmax(q k^T / sqrt(dim)) v for float32 [heads, seq, dim], computed by threaded.attention."""
    # TODO (6 of 6): the bodies and register_fake of dnn::attention and dnn::conv2d (below).
    raise NotImplementedError("TODO: the body of dnn::attention")


@torch.library.custom_op("dnn::conv2d", mutates_args=())
def conv2d(x: torch.Tensor, w: torch.Tensor, bias: torch.Tensor, stride: int, padding: int) -> torch.Tensor:
    """NCHW convolution, computed by threaded.conv2d."""
    raise NotImplementedError("TODO: the body of dnn::conv2d")

"""Part 4 on a GPU: solutions/dnn/torch_ops.py's operators on CUDA tensors run the kernels of cuda.py on torch's
own memory. What its docstring promises, checked: the kernels receive the input tensors' device pointers (no
copy of a contiguous input, on the device or to the host), they write into outputs torch allocated on the same
device, and those outputs are what the operator returns; nothing moves between host and device during a call;
the answers match torch's own operators (float32; TF32 off), and layernorm's backward through autograd gets the
saved tensors without copies too."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.gpu

torch = pytest.importorskip("torch")


def _pointer(array) -> int:
    return array.__cuda_array_interface__["data"][0]


@pytest.fixture
def ops(monkeypatch):
    """torch_ops with the cuda.py entry points recorded (the device pointers of every array they receive) and
    every host<->device transfer through numba refused while an operator runs."""
    from numba import cuda
    from numba.cuda.cudadrv import devicearray

    from solutions.dnn import cuda as kernels
    from solutions.dnn import torch_ops

    calls: dict[str, list[int]] = {}

    def recording(name):
        original = getattr(kernels, name)

        def entry(*args):
            calls[name] = [_pointer(a) for a in args if hasattr(a, "__cuda_array_interface__")]
            return original(*args)

        return entry

    for name in ("layernorm_device", "layernorm_backward_device", "attention_device", "conv2d_device"):
        monkeypatch.setattr(kernels, name, recording(name))

    def refused(*args, **kwargs):
        raise AssertionError("a host<->device copy during a torch_ops call")

    monkeypatch.setattr(cuda, "to_device", refused)
    monkeypatch.setattr(devicearray.DeviceNDArray, "copy_to_host", refused)
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", False)
    monkeypatch.setattr(torch.backends.cuda.matmul, "allow_tf32", False)
    return torch_ops, calls


def _close(ours, theirs, tolerance=1e-4):
    assert ours.device == theirs.device and ours.dtype == theirs.dtype == torch.float32
    scale = max(1.0, float(theirs.abs().max()))
    assert float((ours - theirs).abs().max()) <= tolerance * scale


def test_layernorm_runs_on_the_tensors_memory(ops):
    torch_ops, calls = ops
    x = torch.randn(67, 1000, device="cuda")
    weight, bias = torch.rand(1000, device="cuda") + 0.5, torch.randn(1000, device="cuda")
    y, mean, rstd = torch_ops.layernorm(x, weight, bias, 1e-5)
    inputs = [x.data_ptr(), weight.data_ptr(), bias.data_ptr()]
    assert calls["layernorm_device"] == [*inputs, y.data_ptr(), mean.data_ptr(), rstd.data_ptr()]
    expected = torch.native_layer_norm(x, (1000,), weight, bias, 1e-5)
    _close(y, expected[0])
    _close(mean, expected[1][:, 0])
    _close(rstd, expected[2][:, 0])


def test_layernorm_backward_through_autograd_gets_the_saved_tensors(ops):
    torch_ops, calls = ops
    x = torch.randn(33, 257, device="cuda", requires_grad=True)
    weight = (torch.rand(257, device="cuda") + 0.5).requires_grad_()
    bias = torch.randn(257, device="cuda", requires_grad=True)
    y, mean, rstd = torch_ops.layernorm(x, weight, bias, 1e-5)
    dy = torch.randn_like(y)
    y.backward(dy)
    # the saved tensors are x, weight and the forward's own statistics (autograd may hand the gradients on
    # in new tensors, so only what was saved is compared by address)
    pointers = calls["layernorm_backward_device"]
    assert pointers[1:5] == [x.data_ptr(), weight.data_ptr(), mean.data_ptr(), rstd.data_ptr()]
    xt, wt, bt = (t.detach().clone().requires_grad_() for t in (x, weight, bias))
    torch.nn.functional.layer_norm(xt, (257,), wt, bt, 1e-5).backward(dy)
    for ours, theirs in zip((x.grad, weight.grad, bias.grad), (xt.grad, wt.grad, bt.grad), strict=True):
        _close(ours, theirs, 1e-3)


@pytest.mark.parametrize("causal", [False, True])
def test_attention_runs_on_the_tensors_memory(ops, causal):
    torch_ops, calls = ops
    q, k, v = (torch.randn(3, 129, 64, device="cuda") for _ in range(3))
    out = torch_ops.attention(q, k, v, causal)
    assert calls["attention_device"] == [q.data_ptr(), k.data_ptr(), v.data_ptr(), out.data_ptr()]
    _close(out, torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal))


def test_conv2d_runs_on_the_tensors_memory(ops):
    torch_ops, calls = ops
    x = torch.randn(2, 17, 23, 19, device="cuda")
    w = torch.randn(33, 17, 3, 3, device="cuda") / 12
    bias = torch.randn(33, device="cuda")
    out = torch_ops.conv2d(x, w, bias, 2, 1)
    assert calls["conv2d_device"] == [x.data_ptr(), w.data_ptr(), bias.data_ptr(), out.data_ptr()]
    _close(out, torch.nn.functional.conv2d(x, w, bias, stride=2, padding=1))


def test_layernorm_backward_writes_the_gradients_it_returns(ops):
    torch_ops, calls = ops
    x = torch.randn(5, 65, device="cuda")
    weight = torch.rand(65, device="cuda") + 0.5
    _, mean, rstd = torch_ops.layernorm(x, weight, torch.zeros(65, device="cuda"), 1e-5)
    dy = torch.randn_like(x)
    dx, dweight, dbias = torch_ops.layernorm_backward(dy, x, weight, mean, rstd)
    inputs = [dy.data_ptr(), x.data_ptr(), weight.data_ptr(), mean.data_ptr(), rstd.data_ptr()]
    assert calls["layernorm_backward_device"] == [*inputs, dx.data_ptr(), dweight.data_ptr(), dbias.data_ptr()]
    _close(dbias, dy.sum(dim=0), 1e-4)

"""Assignment 6's CUDA reference (solutions/dnn/cuda.py) in every layout it can launch, on numba's simulator
(tiny blocks: THREADS, QUERY_BLOCK, CONV_TILING are simulator-sized there), judged by the grader's own checks
against the float64 oracle: rows that are not a multiple of a warp or a group, one row, no rows, a block's
last group past the last row, head dims up to MAX_DIM, sequences one more than a query block or key tile,
images whose pixel count or channel count is one more than a tile, strides and paddings. Also the sweep
(benchmarks/dnn_sweep.py) run end to end on tiny shapes through a CPU stand-in for torch's CUDA device."""

from __future__ import annotations

import subprocess
import sys
import types

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import config, cuda

from grader.spec import Profile
from grader.suites.dnn import cases, tasks
from solutions.dnn import cuda as kernels
from support import LocalCall

SIMULATOR = Profile("simulator", simulated=True)
pytestmark = pytest.mark.skipif(not config.ENABLE_CUDASIM, reason="simulator-sized layouts (tests/conftest.py)")


# -- layernorm -------------------------------------------------------------------------------------------------
def _layernorm_in(layout: kernels.RowLayout | None):
    """layernorm(x, weight, bias, eps) through one layout's kernel (None: the three-pass block kernel)."""

    def layernorm(x, weight, bias, eps):
        rows = x.shape[0]
        y, mean, rstd = (
            cuda.device_array_like(x),
            cuda.device_array(rows, np.float32),
            cuda.device_array(rows, np.float32),
        )
        staged = (cuda.to_device(a) for a in (x, weight, bias))
        kernels.layernorm_launch(*staged, eps, y, mean, rstd, layout)
        return y.copy_to_host(), mean.copy_to_host(), rstd.copy_to_host()

    return layernorm


# Features around a warp (31, 32, 33), around a group of two warps (63, 65), one value a thread and more; rows
# that fill their layout exactly (32, 64, 128: the kernel's path without bounds tests).
LAYERNORM_SHAPES = [(0, 5), (1, 1), (1, 31), (2, 32), (3, 33), (5, 63), (2, 64), (3, 65), (3, 128), (2, 130)]


@pytest.mark.parametrize(("rows", "features"), LAYERNORM_SHAPES)
@pytest.mark.parametrize("values", [cases.Rows.NORMAL, cases.Rows.OFFSET, cases.Rows.MIXED])
def test_default_layernorm_layout_passes(rows, features, values):
    tasks.check_layernorm(
        LocalCall(kernels, variant="cuda"), cases.LayerNormCase(rows, features, 1e-5, values, 1.0, seed=features)
    )


@pytest.mark.parametrize(
    "layout",
    [
        kernels.RowLayout(warps_per_row=1, rows_per_block=1, values_per_thread=4),
        kernels.RowLayout(warps_per_row=1, rows_per_block=3, values_per_thread=4),  # the last block half empty
        kernels.RowLayout(warps_per_row=2, rows_per_block=1, values_per_thread=2),
        kernels.RowLayout(warps_per_row=2, rows_per_block=2, values_per_thread=2),  # groups of two warps
        None,
    ],
    ids=str,
)
@given(
    rows=st.sampled_from([1, 2, 4, 5]),
    features=st.sampled_from([1, 17, 31, 33, 64, 65, 97, 128]),
    values=st.sampled_from(cases.Rows),
    seed=st.integers(0, 2**16),
)
@settings(max_examples=6, deadline=None)
def test_every_row_layout_passes(layout, rows, features, values, seed):
    case = cases.LayerNormCase(rows, features, 1e-3, values, 1.0, seed=seed)
    tasks.check_layernorm(LocalCall(_layernorm_in(layout), variant="cuda"), case)


@given(features=st.integers(1, kernels.MAX_REGISTER_FEATURES))
@settings(max_examples=200, deadline=None)
def test_the_default_layout_holds_every_feature_count_in_few_kernels(features):
    layout = kernels.row_layout(features)
    assert layout.holds(features)
    assert layout.group <= 1024 and layout.threads <= 1024
    assert layout.values_per_thread & (layout.values_per_thread - 1) == 0  # a power of two: few compilations
    assert layout.values_per_thread <= kernels.TARGET_VALUES  # 40 registers (ptxas): a 1,024-thread block fits


def test_rows_longer_than_the_register_kernel_holds_take_the_block_kernel():
    case = cases.LayerNormCase(2, kernels.MAX_REGISTER_FEATURES + 1, 1e-5, cases.Rows.OFFSET, 1.0, seed=8)
    tasks.check_layernorm(LocalCall(kernels, variant="cuda"), case)


def test_a_layout_too_small_for_the_row_is_refused():
    with pytest.raises(ValueError, match="do not fit"):
        _layernorm_in(kernels.RowLayout(1, 1, 1))(
            *cases.LayerNormCase(1, 33, 1e-5, cases.Rows.NORMAL, 1.0, 1).forward_inputs()
        )


# -- attention -------------------------------------------------------------------------------------------------
def _attention_in(tiling: kernels.QueryTiling | None):
    def attention(q, k, v, causal):
        out = cuda.device_array_like(q)
        kernels.attention_launch(*(cuda.to_device(a) for a in (q, k, v)), causal, out, tiling)
        return out.copy_to_host()

    return attention


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize(
    ("heads", "seq", "dim"),
    [
        (1, kernels.QUERY_BLOCK + 1, 8),  # one more than a block of queries and than a key tile
        (2, 2 * kernels.MAX_KEY_TILE + 1, 5),
        (1, 3, kernels.MAX_DIM),  # the largest head dimension
        (1, 2, kernels.MAX_DIM - 1),
        (1, 1, 1),
    ],
)
def test_default_attention_tiling_passes(heads, seq, dim, causal):
    tasks.check_attention(
        LocalCall(kernels, variant="cuda"), cases.AttentionCase(heads, seq, dim, causal, 8.0, seed=seq)
    )


@pytest.mark.parametrize(
    "tiling",
    [
        kernels.QueryTiling(queries=2, keys=3, dim=16),
        kernels.QueryTiling(queries=5, keys=1, dim=8),
        kernels.QueryTiling(queries=4, keys=3, dim=8, paired=True),
        kernels.QueryTiling(queries=2, keys=5, dim=16, paired=True),
        None,
    ],
    ids=str,
)
@given(
    seq=st.integers(1, 11),
    dim=st.integers(1, 8),
    causal=st.booleans(),
    scale=st.sampled_from([1.0, 8.0]),
    seed=st.integers(0, 2**16),
)
@settings(max_examples=6, deadline=None)
def test_every_query_tiling_passes(tiling, seq, dim, causal, scale, seed):
    case = cases.AttentionCase(2, seq, dim, causal, scale, seed)
    tasks.check_attention(LocalCall(_attention_in(tiling), variant="cuda"), case)


@pytest.mark.parametrize("causal", [False, True])
def test_paired_attention_passes_the_largest_head_dimension(causal):
    tiling = kernels.query_tiling(kernels.MAX_DIM, paired=True)
    case = cases.AttentionCase(1, 5, kernels.MAX_DIM, causal, 8.0, seed=3)
    tasks.check_attention(LocalCall(_attention_in(tiling), variant="cuda"), case)


def test_paired_attention_refuses_an_odd_block():
    q = np.zeros((1, 3, 4), np.float32)
    with pytest.raises(ValueError, match="pairs queries"):
        _attention_in(kernels.QueryTiling(queries=3, keys=2, dim=8, paired=True))(q, q, q, False)


def test_attention_refuses_a_head_dimension_past_its_limit():
    q = np.zeros((1, 1, kernels.MAX_DIM + 1), np.float32)
    with pytest.raises(ValueError, match="head dimension"):
        kernels.attention(q, q, q, False)


def test_the_default_tiling_pads_the_head_dimension_to_a_power_of_two():
    for dim in range(1, kernels.MAX_DIM + 1):
        tiling = kernels.query_tiling(dim)
        assert tiling.dim >= dim and tiling.dim & (tiling.dim - 1) == 0 and tiling.dim < 2 * max(dim, 8)


# -- conv2d ----------------------------------------------------------------------------------------------------
def _conv2d_in(tiling: kernels.ConvTiling | None):
    def conv2d(x, w, bias, stride, padding):
        n, _, height, width = x.shape
        c_out, _, kh, kw = w.shape
        shape = (n, c_out, (height + 2 * padding - kh) // stride + 1, (width + 2 * padding - kw) // stride + 1)
        out = cuda.device_array(shape, np.float32)
        kernels.conv2d_launch(*(cuda.to_device(a) for a in (x, w, bias)), stride, padding, out, tiling)
        return out.copy_to_host()

    return conv2d


TILE = kernels.CONV_TILING


@pytest.mark.parametrize(
    "case",
    [
        # pixels (n * h_out * w_out) one more than a tile; c_out one more than a tile
        cases.ConvCase(1, 2, TILE.channels + 1, 3, 3, 1, 1, 1, 0, seed=1),
        cases.ConvCase(1, 1, 2, 1, TILE.pixels + 1, 1, 1, 1, 0, seed=2),
        # c_in * kh * kw one more than a depth step, stride 2, padding 1
        cases.ConvCase(2, 1, 3, 5, 4, 1, TILE.depth + 1, 2, 1, seed=3),
        # padding wider than the kernel, stride 3, a non-square kernel
        cases.ConvCase(1, 3, 2, 4, 5, 2, 3, 3, 4, seed=4),
    ],
    ids=str,
)
def test_default_conv_tiling_passes_tile_edges(case):
    tasks.check_conv2d(LocalCall(kernels, variant="cuda"), case)


@pytest.mark.parametrize(
    "tiling", [kernels.ConvTiling(channels=4, pixels=8, depth=2, rows=2, columns=4), TILE, None], ids=str
)
@given(data=st.data())
@settings(max_examples=5, deadline=None)
def test_every_conv_tiling_passes_drawn_cases(tiling, data):
    tasks.check_conv2d(LocalCall(_conv2d_in(tiling), variant="cuda"), data.draw(cases.conv2d_cases(SIMULATOR)))


def test_a_tiling_its_threads_cannot_share_is_refused():
    with pytest.raises(ValueError, match="divide evenly"):
        kernels.ConvTiling(channels=4, pixels=8, depth=3, rows=2, columns=4).check()


# -- the sweep ---------------------------------------------------------------------------------------------------
def test_the_sweep_without_a_gpu_exits_2_with_one_line():
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.dnn_sweep"], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "no CUDA GPU" in done.stderr


class _CpuAsCuda:
    """torch with "cuda" tensors on the CPU and wall-clock events: enough for the sweep to run its code on the
    simulator (the kernels see the tensors' memory through numpy views, as they see torch's on a GPU)."""

    def __init__(self):
        self.backends = torch.backends
        self.nn = torch.nn
        self.native_layer_norm = torch.native_layer_norm
        self.empty_like, self.empty = torch.empty_like, self._strip(torch.empty)
        self.randn, self.rand = self._strip(torch.randn), self._strip(torch.rand)
        self.Generator = lambda device=None: torch.Generator()
        self.__version__ = torch.__version__
        self.cuda = types.SimpleNamespace(
            is_available=lambda: True,
            current_stream=lambda: types.SimpleNamespace(cuda_stream=0),
            synchronize=lambda: None,
            empty_cache=lambda: None,
            get_device_name=lambda: "the CPU, through numba's simulator",
            Event=_WallClockEvent,
        )

    @staticmethod
    def _strip(function):
        return lambda *args, device=None, **kwargs: function(*args, **kwargs)


class _WallClockEvent:
    def __init__(self, enable_timing=True):
        self.at = 0.0

    def record(self):
        import time

        self.at = time.perf_counter()

    def synchronize(self):
        pass

    def elapsed_time(self, later):
        return (later.at - self.at) * 1e3


def test_the_sweep_checks_times_and_tabulates_every_candidate(monkeypatch, capsys):
    from numba.cuda.simulator.cudadrv.devicearray import FakeCUDAArray

    from benchmarks import dnn_sweep

    # the simulator has no as_cuda_array: a view of the tensor's memory stands in for it
    monkeypatch.setattr(cuda, "as_cuda_array", lambda tensor: FakeCUDAArray(tensor.numpy()), raising=False)
    monkeypatch.setattr(dnn_sweep, "_gpu_torch", _CpuAsCuda)
    monkeypatch.setattr(dnn_sweep, "GPU", SIMULATOR)
    monkeypatch.setattr(dnn_sweep, "LAYERNORM_SHAPES", [(3, 40)])
    monkeypatch.setattr(dnn_sweep, "LAYERNORM_LAYOUTS", {40: [(1, 1), (2, 1)]})
    monkeypatch.setattr(dnn_sweep, "ATTENTION_SHAPES", [(2, 6, 8, True)])
    monkeypatch.setattr(dnn_sweep, "ATTENTION_TILINGS", {8: [(2, 4, False), (4, 2, True), (2, 2, False)]})
    monkeypatch.setattr(dnn_sweep, "ATTENTION_TAIL", (1, 5))
    monkeypatch.setattr(dnn_sweep, "CONV_SHAPES", [(1, 2, 3, 5, 3, 1, 1)])
    monkeypatch.setattr(dnn_sweep, "CONV_TILINGS", [(4, 8, 2, 2, 4)])
    monkeypatch.setattr(dnn_sweep, "CONV_TAIL", (1, 3, 9, 4, 3, 2, 2))
    monkeypatch.setattr(dnn_sweep, "LAYERNORM_TAIL_ROWS", 3)
    assert dnn_sweep.main(["--rounds", "1"]) == 0
    table = capsys.readouterr().out.split("\n\n")[-1].splitlines()
    rows = [line.split(" | ") for line in table[2:]]
    verdicts = {row[0].strip(): row[-1].strip() for row in rows}
    expected_candidates = [
        "layernorm* RowLayout(warps_per_row=1, rows_per_block=2, values_per_thread=2)",
        "layernorm block a row, 3 passes",
        "layernorm RowLayout(warps_per_row=1, rows_per_block=1, values_per_thread=2)",
        "layernorm RowLayout(warps_per_row=2, rows_per_block=1, values_per_thread=1)",
        f"attention* {kernels.query_tiling(8)}",
        "attention one thread a query, any dim",
        "attention QueryTiling(queries=2, keys=4, dim=8, paired=False)",
        "attention QueryTiling(queries=4, keys=2, dim=8, paired=True)",
        "attention QueryTiling(queries=2, keys=2, dim=8, paired=False)",
        f"conv2d* {kernels.CONV_TILING}",
        "conv2d one thread an output",
        "conv2d ConvTiling(channels=4, pixels=8, depth=2, rows=2, columns=4)",
    ]
    for name in expected_candidates:
        assert verdicts.get(name) == "yes", (name, verdicts)
    for peer in ("copy (torch, device to device)", "torch native_layer_norm", "torch SDPA float32"):
        assert verdicts.get(peer) == "-"
    edge_rows = [name for name in verdicts if "edge cases" in name]
    assert len(edge_rows) == 3 and all(verdicts[name] == "yes" for name in edge_rows), verdicts

"""Why layernorm stops at about 0.6 of the copy bandwidth on an H200, and what moves it: a ladder of kernels.

    python3 -m benchmarks.layernorm_ladder [--rounds N]

Every register-resident layout of solutions/dnn/cuda.py, and torch's ``native_layer_norm`` too, measured
0.57-0.64 of a device-to-device copy at 65536 x 1024 (benchmarks/dnn_sweep.py), though each reads x once and
writes y once, as the copy does. This script adds one thing at a time to a copy, all with one warp a row (32
values a thread, no shared memory, no barrier, unsigned indices as in the module), at the grader's GPU shape:

1. ``rungs``, not layernorms (their rows show "-" under correct): a row through registers (load all, store
   all: the copy's traffic through the same layout); then the row's mean and variance by warp shuffles, y
   = (x - mean) * rstd (the reductions' latency, no weight or bias);
2. the full layernorm as the module's kernel does it (``layernorm_launch`` with that layout): every element
   also loads ``weight[j]`` and ``bias[j]``, four memory instructions an element where the copy has two;
3. ``persistent``: a grid of a few blocks an SM whose warps loop over rows, holding their columns' weight and
   bias in registers, loaded once (two memory instructions an element again);
4. ``persistent, next row prefetched``: the loads of the next row issued before this row's reductions, so
   memory stays busy while a warp reduces.

Each candidate is checked against torch's float64 answer (the sweep's checker and tail shape) before it is
timed; all are timed interleaved with the copy and torch (CUDA events around a batch of launches, median of
the rounds). The table is printed last. Exit 2 with one line where there is no CUDA GPU.

Measured on an H200 (2026-12-02), ms at 65536 x 1024 and the fraction of torch's copy (0.130 ms, 4,133 GB/s):
a row through registers 0.140 (0.93); its statistics added 0.139 (0.94); the module's kernel, one warp a row
0.150 (0.86), its default layout (two warps a row, 16 values a thread) 0.144 (0.90); persistent warps 0.173-0.177
(0.74-0.75), prefetching the next row 0.179-0.184 (0.71-0.72); torch's ``native_layer_norm`` 0.201 (0.65). So
the statistics cost almost nothing, the weight and bias loads a little, and the persistent kernels lose: their
registers (189 and 214 a thread, ptxas) leave too few warps to keep the memory busy. Before its indices were
unsigned the module's kernel ran 0.213 ms (0.64) with 68 registers a thread where it now has 38.
"""

from __future__ import annotations

import argparse
import math
import sys

from numba import cuda, float32, uint64

from benchmarks import dnn_sweep
from solutions.dnn.cuda import WARP, _warp_sum

VALUES = 32  # a thread's elements of its row: one warp covers up to 32 * 32 = 1,024 features
WARPS_PER_BLOCK = 4
BLOCKS_PER_SM = (4, 8, 16)  # the persistent grids tried: blocks of WARPS_PER_BLOCK warps an SM
SHAPE = (65536, 1024)  # grader/suites/dnn/tasks.py GPU_SIZES["layernorm"]


@cuda.jit
def _copy_rows(x, weight, bias, eps, y, mean, rstd):
    """Rung 1: each warp loads its row into registers and stores it (no arithmetic). Rows of exactly
    VALUES * WARP features (the rungs are timed at SHAPE only): no bounds tests."""
    lane = uint64(cuda.threadIdx.x % WARP)
    r = uint64(cuda.blockIdx.x * WARPS_PER_BLOCK + cuda.threadIdx.x // WARP)
    if r >= uint64(x.shape[0]):
        return
    held = cuda.local.array(VALUES, float32)
    for slot in range(VALUES):
        held[slot] = x[r, lane + uint64(slot * WARP)]
    for slot in range(VALUES):
        y[r, lane + uint64(slot * WARP)] = held[slot]


@cuda.jit
def _normalize_rows(x, weight, bias, eps, y, mean, rstd):
    """Rung 2: the row's statistics by warp shuffles, y = (x - mean) * rstd: no weight, no bias (rows of
    exactly VALUES * WARP features, as rung 1)."""
    features = uint64(x.shape[1])
    lane = uint64(cuda.threadIdx.x % WARP)
    r = uint64(cuda.blockIdx.x * WARPS_PER_BLOCK + cuda.threadIdx.x // WARP)
    if r >= uint64(x.shape[0]):
        return
    held = cuda.local.array(VALUES, float32)
    total = float32(0.0)
    for slot in range(VALUES):
        held[slot] = x[r, lane + uint64(slot * WARP)]
        total += held[slot]
    mu = _warp_sum(total) / float32(features)
    squares = float32(0.0)
    for slot in range(VALUES):
        centred = held[slot] - mu
        squares += centred * centred
    inverse = float32(1.0) / math.sqrt(_warp_sum(squares) / float32(features) + eps)
    for slot in range(VALUES):
        y[r, lane + uint64(slot * WARP)] = (held[slot] - mu) * inverse


@cuda.jit(device=True, inline=True)
def _load_row(x, r, lane, features, held):
    if features == uint64(VALUES * WARP):  # the row fills the registers: no bounds tests
        for slot in range(VALUES):
            held[slot] = x[r, lane + uint64(slot * WARP)]
        return
    for slot in range(VALUES):
        j = lane + uint64(slot * WARP)
        value = float32(0.0)
        if j < features:
            value = x[r, j]
        held[slot] = value


@cuda.jit(device=True, inline=True)
def _normalize_row(held, scale, shift, eps, y, mean, rstd, r, lane, features):
    """One row's layernorm from registers: the two-pass statistics, then y; the warp's lane 0 writes the row's
    mean and rstd."""
    total = float32(0.0)
    for slot in range(VALUES):
        total += held[slot]
    mu = _warp_sum(total) / float32(features)
    squares = float32(0.0)
    for slot in range(VALUES):
        if lane + uint64(slot * WARP) < features:
            centred = held[slot] - mu
            squares += centred * centred
    inverse = float32(1.0) / math.sqrt(_warp_sum(squares) / float32(features) + eps)
    full = features == uint64(VALUES * WARP)
    for slot in range(VALUES):
        j = lane + uint64(slot * WARP)
        if full or j < features:
            y[r, j] = (held[slot] - mu) * inverse * scale[slot] + shift[slot]
    if lane == 0:
        mean[r] = mu
        rstd[r] = inverse


@cuda.jit(device=True, inline=True)
def _load_parameters(weight, bias, lane, features, scale, shift):
    for slot in range(VALUES):
        j = lane + uint64(slot * WARP)
        scale[slot] = weight[j] if j < features else float32(0.0)
        shift[slot] = bias[j] if j < features else float32(0.0)


@cuda.jit
def _persistent_rows(x, weight, bias, eps, y, mean, rstd):
    """Rung 3: warps loop over rows (row r, r + all warps, ...), weight and bias held in registers."""
    rows, features = uint64(x.shape[0]), uint64(x.shape[1])
    lane = uint64(cuda.threadIdx.x % WARP)
    warps = uint64(cuda.gridDim.x * WARPS_PER_BLOCK)
    scale = cuda.local.array(VALUES, float32)
    shift = cuda.local.array(VALUES, float32)
    _load_parameters(weight, bias, lane, features, scale, shift)
    held = cuda.local.array(VALUES, float32)
    for r in range(uint64(cuda.blockIdx.x * WARPS_PER_BLOCK + cuda.threadIdx.x // WARP), rows, warps):
        _load_row(x, r, lane, features, held)
        _normalize_row(held, scale, shift, eps, y, mean, rstd, r, lane, features)


@cuda.jit
def _prefetching_rows(x, weight, bias, eps, y, mean, rstd):
    """Rung 4: as rung 3, with the next row's loads issued before this row's reductions."""
    rows, features = uint64(x.shape[0]), uint64(x.shape[1])
    lane = uint64(cuda.threadIdx.x % WARP)
    warps = uint64(cuda.gridDim.x * WARPS_PER_BLOCK)
    scale = cuda.local.array(VALUES, float32)
    shift = cuda.local.array(VALUES, float32)
    _load_parameters(weight, bias, lane, features, scale, shift)
    held = cuda.local.array(VALUES, float32)
    following = cuda.local.array(VALUES, float32)
    r = uint64(cuda.blockIdx.x * WARPS_PER_BLOCK + cuda.threadIdx.x // WARP)
    if r < rows:
        _load_row(x, r, lane, features, held)
    while r < rows:
        after = r + warps
        if after < rows:
            _load_row(x, after, lane, features, following)
        _normalize_row(held, scale, shift, eps, y, mean, rstd, r, lane, features)
        for slot in range(VALUES):
            held[slot] = following[slot]
        r = after


def _one_block_a_warp_row(kernel):
    def launch(x, weight, bias, eps, y, mean, rstd):
        kernel[-(-x.shape[0] // WARPS_PER_BLOCK), WARP * WARPS_PER_BLOCK](x, weight, bias, eps, y, mean, rstd)

    return launch


def _persistent(kernel, blocks_per_sm: int):
    sms = cuda.get_current_device().MULTIPROCESSOR_COUNT

    def launch(x, weight, bias, eps, y, mean, rstd):
        blocks = max(1, min(sms * blocks_per_sm, -(-x.shape[0] // WARPS_PER_BLOCK)))
        kernel[blocks, WARP * WARPS_PER_BLOCK](x, weight, bias, eps, y, mean, rstd)

    return launch


def ladder_rows(torch, rounds: int) -> list[dnn_sweep.Row]:
    from solutions.dnn import cuda as kernels

    n_rows, features = SHAPE
    bench = dnn_sweep.layernorm_bench(torch, n_rows, features)
    x, weight, bias, eps, problems = bench.x, bench.weight, bench.bias, bench.eps, bench.problems
    timed = problems[0][0]

    def launched_by(*args):  # the sweep's candidate maker passes the "tiling" last: here, the launcher itself
        args[-1](*args[:-1])

    def candidate(name, how):
        return dnn_sweep._candidates(torch, problems, dnn_sweep.TOLERANCE["layernorm"], None, launched_by)(name, how)

    module_layout = kernels.row_layout(features, 1, WARPS_PER_BLOCK)
    candidates = [
        candidate(
            f"module's kernel, {module_layout}",
            lambda *args: kernels.layernorm_launch(*args, module_layout),
        ),
        candidate("module's default layout", lambda *args: kernels.layernorm_device(*args)),
    ]
    for blocks_per_sm in BLOCKS_PER_SM:
        candidates.append(
            candidate(f"persistent, {blocks_per_sm} blocks an SM", _persistent(_persistent_rows, blocks_per_sm))
        )
        candidates.append(
            candidate(
                f"persistent, next row prefetched, {blocks_per_sm} blocks an SM",
                _persistent(_prefetching_rows, blocks_per_sm),
            )
        )
    copy_rows, normalize_rows = _one_block_a_warp_row(_copy_rows), _one_block_a_warp_row(_normalize_rows)
    return dnn_sweep._measure(
        torch,
        candidates,
        {
            "copy (torch, device to device)": lambda: bench.copy_target.copy_(bench.copy_source),
            "torch native_layer_norm": lambda: torch.native_layer_norm(x, (features,), weight, bias, eps),
            "rung: a row through registers (a copy)": lambda: copy_rows(*timed),
            "rung: statistics, no weight or bias": lambda: normalize_rows(*timed),
        },
        f"{n_rows}x{features}",
        rounds,
        dnn_sweep.BATCH["layernorm"],
        bytes_a_call=8 * n_rows * features,
        flops_a_call=None,
        peer="torch native_layer_norm",
        ceiling="copy (torch, device to device)",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=dnn_sweep.ROUNDS, help="timed rounds (default %(default)s)")
    options = parser.parse_args(argv)
    torch = dnn_sweep._gpu_torch()
    if torch is None:
        print("layernorm_ladder: no CUDA GPU (torch with CUDA is not available here)", file=sys.stderr)
        return 2
    dnn_sweep._require_default_stream(torch)
    rows = ladder_rows(torch, options.rounds)
    print(f"\n{torch.cuda.get_device_name()}, torch {torch.__version__}; peer/ours above 1: ours is faster")
    print(dnn_sweep.table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())

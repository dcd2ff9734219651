"""Your CUDA kernels against torch's operators on the same GPU: correctness at full size, then kernel times.

    python -m assignments.dnn.bench_gpu               # your assignments/dnn/cuda.py
    python -m assignments.dnn.bench_gpu --solutions   # the reference

For each operator: the largest error relative to the grader's tolerance (must stay below 1), then the median of
timed calls of your device-resident entry point and of torch's operator on CUDA tensors (CUDA events, after a
warm-up), and what the call moved or computed per second. Needs a CUDA GPU and torch with CUDA.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import statistics
from collections.abc import Callable
from typing import Any

import numpy as np


def _timed(function, repeats: int = 10) -> float:
    import torch

    function()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        function()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop) / 1e3)
    return statistics.median(times)


def main() -> None:
    import torch
    from numba import cuda

    from grader.suites.dnn import baseline, oracle, tasks

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--solutions", action="store_true", help="time the reference solution")
    args = parser.parse_args()
    package = "solutions" if args.solutions else "assignments"
    kernels = importlib.import_module(f"{package}.dnn.cuda")
    print(f"{torch.cuda.get_device_name()}: {package}/dnn/cuda.py against torch {torch.__version__}")
    answers: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
        "layernorm": (oracle.layernorm, oracle.layernorm_tolerance),
        "layernorm_backward": (oracle.layernorm_backward, oracle.layernorm_backward_tolerance),
        "attention": (oracle.attention, oracle.attention_tolerance),
        "conv2d": (oracle.conv2d, oracle.conv2d_tolerance),
    }
    checked = {
        "layernorm": {"rows": 4097, "features": 1023},
        "layernorm_backward": {"rows": 4097, "features": 1023},
        "attention": {"heads": 3, "seq": 1025, "dim": 64, "causal": True},
        "conv2d": {"n": 3, "c_in": 17, "c_out": 33, "size": 29, "kernel": 3, "stride": 2, "padding": 2},
    }
    for function in tasks.FUNCTIONS:
        maker = getattr(baseline, f"make_{function}_inputs")
        inputs = maker(**checked[function])
        got = getattr(kernels, function)(*inputs)
        answer, bound = answers[function]
        pairs = (
            zip(got, answer(*inputs), bound(*inputs), strict=True)
            if isinstance(got, tuple)
            else [(got, answer(*inputs), bound(*inputs))]
        )
        worst = max(float(np.max(np.abs(g.astype(np.float64) - e) / b)) for g, e, b in pairs)
        print(f"  {function:<19} {checked[function]}: error / tolerance {worst:.3g}" + ("" if worst < 1 else "  WRONG"))

        params = tasks.GPU_SIZES[function]
        host = maker(**params)
        device_args = getattr(baseline, f"to_device_{function}")(*host)
        mine = _timed(functools.partial(getattr(kernels, f"{function}_device"), *device_args))
        peer_args = baseline.to_torch_cuda(*host)
        theirs = _timed(functools.partial(getattr(baseline, f"torch_{function}"), *peer_args))
        cost = tasks._cost(function, params)
        if "work" in cost:  # compute-bound: flops per second
            rate = f"{cost['work'][1] / mine / 1e12:.2f} TFLOP/s vs {cost['work'][1] / theirs / 1e12:.2f}"
        else:
            rate = f"{cost['bytes_moved'] / mine / 1e9:.0f} GB/s vs {cost['bytes_moved'] / theirs / 1e9:.0f}"
        print(
            f"  {'':<19} {params}: yours {mine * 1e3:.3f} ms, torch {theirs * 1e3:.3f} ms "
            f"({mine / theirs:.2f}x torch's time; {rate})"
        )
        del device_args
        cuda.current_context().deallocations.clear()


if __name__ == "__main__":
    main()

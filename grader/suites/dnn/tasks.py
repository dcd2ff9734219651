"""Assignment 6, dnn: what the grader checks and times.

Each of the threaded, simd and cuda variants: correctness of the four functions, 2 points each (8); for the
CPU variants the attention memory task, 2 points (peak memory at a long sequence, measured by the grader from
outside the worker); speed, 1 point each for layernorm and its backward, 2 each for attention and conv2d (6).
The torch_ops variant (Part 4): opcheck 2, gradcheck 2, the layernorm training run 3, the attention and
convolution model 3 (see torch_checks.py).

The "serial" column of a speed task: for threaded, torch's own CPU operator on every core (the peer a
deep-learning programmer would measure against); for simd, the obvious compiled loops on one core; for cuda,
torch's operator on the same GPU. See assignments/dnn/README.md.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

from grader import machine, simd
from grader.compare import expect_array
from grader.spec import Assignment, Benchmark, Call, Contestant, Inspection, Mismatch, Profile, Property, Task
from grader.suites.dnn import baseline, cases, oracle, torch_checks

FUNCTIONS = ("layernorm", "layernorm_backward", "attention", "conv2d")
DEVICE_FUNCTIONS = tuple(f"{name}_device" for name in FUNCTIONS)


def _threads(call: Call) -> dict:
    # Three threads on any machine: chunk boundaries then fall at uneven places.
    return {"num_threads": 3} if call.variant == "threaded" else {}


@dataclass(frozen=True)
class Answer:
    """How one function is judged: ``judge(*inputs) -> (the oracle's answer, its tolerance)``, and the names of
    the returned tuple's parts (None: one array)."""

    judge: Callable
    parts: tuple[str, ...] | None = None


def _apart(value: Callable, tolerance: Callable) -> Callable:
    """The judge of an oracle whose answer and tolerance share no work: each from its own function."""

    def judge(*inputs):
        return value(*inputs), tolerance(*inputs)

    return judge


ANSWERS = {
    "layernorm": Answer(_apart(oracle.layernorm, oracle.layernorm_tolerance), ("y", "mean", "rstd")),
    "layernorm_backward": Answer(
        _apart(oracle.layernorm_backward, oracle.layernorm_backward_tolerance), ("dx", "dweight", "dbias")
    ),
    # The answer and its bound from one pass over the scores: the weights are the costly part of both.
    "attention": Answer(oracle.attention_with_tolerance),
    "conv2d": Answer(_apart(oracle.conv2d, oracle.conv2d_tolerance)),
}


def expect_answer(function: str, got, inputs: tuple, what: str) -> None:
    """Raise Mismatch unless ``got`` is ``function``'s answer to ``inputs`` (dtype, shape, values)."""
    answer = ANSWERS[function]
    expected, bounds = answer.judge(*inputs)
    if answer.parts is None:
        expect_array(got, expected.astype(np.float32), what=what, tolerance=bounds)
        return
    if not isinstance(got, (tuple, list)) or len(got) != len(answer.parts):
        raise Mismatch(
            f"{what}: expected a tuple ({', '.join(answer.parts)}), got {type(got).__name__}"
            + (f" of {len(got)}" if isinstance(got, (tuple, list)) else "")
        )
    for name, value, part, bound in zip(answer.parts, got, expected, bounds, strict=True):
        expect_array(value, part.astype(np.float32), what=f"{what} {name}", tolerance=bound)


def _expect_unchanged(before: tuple, after: tuple) -> None:
    # The sandbox reports a modified input by name; this makes the check whole when it runs in-process too.
    for index, (saved, now) in enumerate(zip(before, after, strict=True)):
        if isinstance(saved, np.ndarray) and not np.array_equal(saved, now):
            raise Mismatch(f"the function modified its input (argument {index + 1}): inputs must be left unchanged")


def _expect_conv_shape(got, case: cases.ConvCase) -> None:
    """A wrong conv2d shape, explained by the formula (padding and stride mistakes show here first)."""
    if isinstance(got, np.ndarray) and got.shape != case.output_shape():
        raise Mismatch(
            f"conv2d: expected shape {case.output_shape()} = (n, c_out, (h + 2 padding - kh) // "
            f"stride + 1, (w + 2 padding - kw) // stride + 1), got {got.shape}"
        )


def _checker(function: str, inputs_of: Callable):
    """The check of ``function``: call it on the case's inputs, judge the answer against the oracle's."""

    def check(call: Call, case) -> None:
        inputs = inputs_of(case)
        got = call(function, *inputs, **_threads(call))
        try:
            _expect_unchanged(inputs_of(case), inputs)
            if function == "conv2d":
                _expect_conv_shape(got, case)
            expect_answer(function, got, inputs, function)
        except Mismatch as wrong:
            raise Mismatch(f"input: {case}\n{wrong}") from None

    return check


# -- correctness -------------------------------------------------------------------------------------------------
check_layernorm = _checker("layernorm", cases.LayerNormCase.forward_inputs)
check_layernorm_backward = _checker("layernorm_backward", cases.LayerNormCase.backward_inputs)
check_attention = _checker("attention", cases.AttentionCase.inputs)
check_conv2d = _checker("conv2d", cases.ConvCase.inputs)

# function -> (check, the cases drawn, the edge cases run first)
CHECKS: dict[str, tuple[Callable[[Call, Any], None], Callable[[Profile], Any], Callable[[Profile], Sequence[Any]]]] = {
    "layernorm": (check_layernorm, cases.layernorm_cases, cases.layernorm_edge_cases),
    "layernorm_backward": (check_layernorm_backward, cases.layernorm_cases, cases.layernorm_edge_cases),
    "attention": (check_attention, cases.attention_cases, cases.attention_edge_cases),
    "conv2d": (check_conv2d, cases.conv2d_cases, cases.conv2d_edge_cases),
}


def correctness(variant: str) -> tuple[Property, ...]:
    return tuple(
        Property(
            variant=variant,
            points=2,
            cases=strategy,
            check=check,
            edge_cases=edges,
            name=f"{function} correctness",
            max_examples=30,
            simulator_max_examples=4,
        )
        for function, (check, strategy, edges) in CHECKS.items()
    )


# -- attention's memory, measured from outside the worker ----------------------------------------------------------
MEMORY_FRACTION = 8  # the learner's growth must stay below the naive score matrix's size / this


def _status_kib(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _process_tree(root: int) -> list[int]:
    """``root`` and its descendants: the worker may be a launcher (bubblewrap, mpiexec) above the Python child."""
    found, frontier = [], [root]
    while frontier:
        pid = frontier.pop()
        found.append(pid)
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as children:
                    frontier += [int(child) for child in children.read().split()]
        except OSError:
            continue
    return found


class PeakResident:
    """The peak resident memory of a worker's processes while the ``with`` block runs, read by this (the
    grader's) process from /proc, never reported by the worker itself.

    Two readings, the larger wins: the kernel's own high-water marks VmHWM, reset first by writing "5" to each
    /proc/PID/clear_refs (where the grader may: the processes' owner or root), and the total VmRSS sampled every
    half millisecond (a seq x seq float32 score matrix at seq = 4096, 64 MiB, takes milliseconds just to be
    touched, so a sampler cannot miss it)."""

    def __init__(self, root: int):
        self.pids = _process_tree(root)
        self.before_kib = self._resident()
        self.peak_kib = self.before_kib
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._reset = False

    def _resident(self) -> int:
        return sum(_status_kib(pid, "VmRSS") for pid in self.pids)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak_kib = max(self.peak_kib, self._resident())
            time.sleep(0.0005)

    def __enter__(self) -> PeakResident:
        try:
            for pid in self.pids:
                with open(f"/proc/{pid}/clear_refs", "w") as clear:
                    clear.write("5")
            self._reset = True
        except OSError:
            pass
        self._sampler.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._sampler.join()
        if self._reset:
            self.peak_kib = max(self.peak_kib, sum(_status_kib(pid, "VmHWM") for pid in self.pids))

    @property
    def growth_bytes(self) -> int:
        return max(0, self.peak_kib - self.before_kib) * 1024


def _worker_pid(call: Call) -> int:
    worker = getattr(call, "worker", None)
    return worker.process.pid if worker is not None and worker.process is not None else os.getpid()


def check_attention_memory(call: Call, case: cases.AttentionCase) -> None:
    """The answer must be right, and the worker's resident memory may grow by less than 1/MEMORY_FRACTION of the
    score matrix a naive attention stores (heads * seq^2 float32s)."""
    inputs = case.inputs()
    if case.seq < cases.LONG_ATTENTION.seq:  # the warm-up case: compiles the code, measures nothing
        check_attention(call, case)
        return
    with PeakResident(_worker_pid(call)) as peak:
        got = call("attention", *inputs, **_threads(call))
    naive = case.heads * case.seq**2 * 4
    expect_answer("attention", got, inputs, f"attention at {case}")
    if peak.growth_bytes * MEMORY_FRACTION > naive:
        raise Mismatch(
            f"attention at {case}: the worker's memory grew by {peak.growth_bytes / 2**20:.1f} MiB during "
            f"the call; the seq x seq score matrix alone is {naive / 2**20:.0f} MiB, and the limit is "
            f"{naive / MEMORY_FRACTION / 2**20:.0f} MiB: never store the whole score matrix (tiles of "
            "keys, online softmax: see the handout, Part 2)"
        )


def attention_memory(variant: str) -> Property:
    warm_up = cases.AttentionCase(heads=1, seq=65, dim=16, causal=True, scale=1.0, seed=1)
    return Property(
        variant=variant,
        points=2,
        name="attention memory",
        check=check_attention_memory,
        cases=lambda profile: st.just(cases.LONG_ATTENTION),
        edge_cases=lambda profile: [warm_up],
        max_examples=1,
    )


# -- speed -------------------------------------------------------------------------------------------------------
def _verifier(function: str):
    def verify(params: dict, inputs, output) -> None:
        expect_answer(function, output, tuple(inputs), f"timed {function}")

    return verify


# Benchmark sizes: the CPU ones a few to a hundred milliseconds a call for the reference on 2 cores.
CPU_SIZES = {
    "layernorm": {"rows": 4096, "features": 1024},
    "layernorm_backward": {"rows": 4096, "features": 1024},
    "attention": {"heads": 2, "seq": 1024, "dim": 64, "causal": True},
    "conv2d": {"n": 4, "c_in": 64, "c_out": 64, "size": 32, "kernel": 3, "stride": 1, "padding": 1},
}
GPU_SIZES = {
    "layernorm": {"rows": 65536, "features": 1024},
    "layernorm_backward": {"rows": 65536, "features": 1024},
    "attention": {"heads": 32, "seq": 4096, "dim": 64, "causal": True},
    "conv2d": {"n": 32, "c_in": 128, "c_out": 128, "size": 56, "kernel": 3, "stride": 1, "padding": 1},
}
SPEED_POINTS = {"layernorm": 1, "layernorm_backward": 1, "attention": 2, "conv2d": 2}


def _cost(function: str, p: dict) -> dict:
    """What one call moves or computes, for the report's GB/s or throughput."""
    if function in ("layernorm", "layernorm_backward"):
        elements = p["rows"] * p["features"]
        if function == "layernorm":  # read x, write y; ~8 flops an element (two sums, centre, scale, shift)
            return {"bytes_moved": 8 * elements, "operations": 8 * elements}
        return {"bytes_moved": 12 * elements, "operations": 14 * elements}  # read dy and x, write dx
    if function == "attention":  # the least traffic: q, k, v read once, out written once
        pairs = p["seq"] * (p["seq"] + 1) / 2 if p["causal"] else p["seq"] ** 2
        flops = 4 * p["heads"] * pairs * p["dim"]
        return {"work": ("flop", flops), "operations": flops, "bytes_moved": 16 * p["heads"] * p["seq"] * p["dim"]}
    out = (p["size"] + 2 * p["padding"] - p["kernel"]) // p["stride"] + 1
    flops = 2 * p["n"] * p["c_out"] * out * out * p["c_in"] * p["kernel"] ** 2
    moved = 4 * (
        p["n"] * p["c_in"] * p["size"] ** 2
        + p["c_out"] * p["c_in"] * p["kernel"] ** 2
        + p["n"] * p["c_out"] * out * out
    )  # x, w and out once each
    return {"work": ("flop", flops), "operations": flops, "bytes_moved": moved}


# The reference's speed over the serial column, measured on the 2-core machine (assignments/dnn/README.md):
# used as the target only when solutions/ is absent.
FALLBACK = {
    "threaded": {"layernorm": 0.6, "layernorm_backward": 1.2, "attention": 0.8, "conv2d": 0.1},
    "simd": {"layernorm": 2.0, "layernorm_backward": 2.0, "attention": 2.5, "conv2d": 10.0},
    "cuda": {"layernorm": 0.35, "layernorm_backward": 0.6, "attention": 0.05, "conv2d": 0.005},
}


def speed(variant: str, function: str) -> Benchmark:
    gpu = variant == "cuda"
    params = (GPU_SIZES if gpu else CPU_SIZES)[function]
    if variant == "threaded":
        peer = Contestant(f"torch_{function}", prepare=baseline.to_torch)
    elif gpu:
        peer = Contestant(f"torch_{function}", prepare=baseline.to_torch_cuda)
    else:
        peer = Contestant(function)
    learner = Contestant(function)
    if gpu:
        collect = {
            "layernorm": baseline.from_device_layernorm,
            "layernorm_backward": baseline.from_device_layernorm_backward,
        }
        learner = Contestant(
            f"{function}_device",
            prepare=getattr(baseline, f"to_device_{function}"),
            collect=collect.get(function, baseline.from_device_last),
        )
    label = {"threaded": " (serial column: torch, every core)", "cuda": " (kernel only; serial column: torch)"}
    return Benchmark(
        variant=variant,
        points=SPEED_POINTS[function],
        name=f"{function} speed" + label.get(variant, ""),
        inputs=getattr(baseline, f"make_{function}_inputs"),
        params=params,
        learner=learner,
        baseline_module=baseline.__name__,
        baseline=peer,
        verify=_verifier(function),
        gated_on=(f"{function} correctness",),
        fallback_speedup=FALLBACK[variant][function],
        needs_gpu=gpu,
        kwargs={"num_threads": machine.cores()} if variant == "threaded" else {},
        **_cost(function, params),
    )


def _simd_warm_up(profile: Profile):
    return [
        ("layernorm", cases.LayerNormCase(4, 64, 1e-5, cases.Rows.NORMAL, 1.0, 1).forward_inputs()),
        ("layernorm_backward", cases.LayerNormCase(4, 64, 1e-5, cases.Rows.NORMAL, 1.0, 1).backward_inputs()),
        ("attention", cases.AttentionCase(1, 70, 16, True, 1.0, 1).inputs()),
        ("conv2d", cases.ConvCase(1, 3, 4, 9, 9, 3, 3, 1, 1, 1).inputs()),
    ]


def variant_tasks(variant: str) -> tuple[Task, ...]:
    tasks: list[Task] = list(correctness(variant))
    if variant != "cuda":
        tasks.append(attention_memory(variant))
    if variant == "simd":
        tasks.append(
            Inspection(
                variant=variant, name="vector instructions", inspect=simd.packed_instructions, warm_up=_simd_warm_up
            )
        )
    tasks += [speed(variant, function) for function in FUNCTIONS]
    return tuple(tasks)


TORCH_TASKS = (("opcheck", 2), ("gradcheck", 2), ("training", 3), ("model", 3))
TORCH_TASK_NAMES = {
    "opcheck": "torch.library.opcheck",
    "gradcheck": "layernorm gradcheck (float64)",
    "training": "layernorm training curve vs torch",
    "model": "conv2d + attention model vs torch",
}


def torch_tasks() -> tuple[Inspection, ...]:
    """Part 4, the learner's torch_ops.py inside PyTorch (torch_checks.py says what each check does)."""
    return tuple(
        Inspection(
            variant="torch_ops",
            name=TORCH_TASK_NAMES[check],
            inspect=getattr(torch_checks, check),
            warm_up=lambda profile: [],
            points=points,
            worker_group="torch",  # one import of torch (and of torch._dynamo, at the first operator call)
        )
        for check, points in TORCH_TASKS
    )


ASSIGNMENT = Assignment(
    number=6,
    name="dnn",
    title="Deep-learning operators: layernorm, attention and convolution as your own kernels, inside PyTorch",
    variants=("threaded", "simd", "cuda", "torch_ops"),
    functions={"threaded": FUNCTIONS, "simd": FUNCTIONS, "cuda": FUNCTIONS + DEVICE_FUNCTIONS, "torch_ops": FUNCTIONS},
    tasks=(*variant_tasks("threaded"), *variant_tasks("simd"), *variant_tasks("cuda"), *torch_tasks()),
)

"""Where a kernel-only speed task's time goes on a GPU: the kernel, its launches, or the grader's worker.

    python3 -m benchmarks.gpu_timing_probe [--small]

The grader times a request of R back-to-back calls with the parent's clock (grader/timing.py), so a call's
figure is the GPU's time for the kernel only if the launches keep the GPU busy: a numba launch costs tens of
microseconds of host time, which overlaps the previous kernel as long as the kernels are longer. This script
measures, for the kernel-only contestants whose grader figures sat below their CUDA-event figures on an H200
(SAXPY's ``saxpy_device``, dnn's ``layernorm_device``, and torch's layer norm as the peer), on the grader's own
inputs and device staging:

* ``events``: CUDA events around R calls alternating between the two input sets (what the GPU spends);
* ``issue``: the host's time to launch the R calls (no waiting): above ``events``, the launches are the
  bottleneck and the GPU waits for them;
* ``wall``: the host's clock around the R calls and a synchronize, in this process (``do_run``'s loop);
* ``worker``: the same request through a grader worker process (``grader.sandbox.Worker``), parent-clocked:
  what the grader reports;
* ``1+1`` and ``3+3``: the grader's own rounds (``grader.timing.interleaved``) over two sides of one and of
  three worker processes each (a speed task times each scored side in PROCESSES_PER_SIDE = 3), the median of
  the rounds for the first side: whether processes that are merely alive, each with its CUDA context and two
  input sets on the GPU, slow a worker's kernels down;
* the three in-process rows again with the worker's audit hook installed (``_Guard``), in case the hook is
  what a worker pays for.

Microseconds a call, medians of 7; a table is printed last. Needs a CUDA GPU (``--small`` runs tiny inputs on
numba's simulator, to check the script itself).

Measured on an H200 (2026-12-02, load under 1.5; the audit-hook rows of an earlier run matched the plain ones):

    contestant           R   events   issue    wall  worker    1+1    3+3
    saxpy_device        87    369.6    33.2   370.3   400.2  439.5  441.2
    layernorm_device   126    140.3    46.0   140.5   151.3  185.0  206.4
    torch_layernorm    148    219.1   219.1   219.6   224.3  231.4  225.5

What it says: the launches are not the bottleneck (``issue`` far below ``events``), and in this process the
host's clock sees the kernels' time (``wall`` = ``events``). A worker's request costs about 2.5 ms beyond its
calls (``worker``: 30 us a call over 87), and the grader's rounds more again, with one process a side as with
three, so the processes merely being alive are not the cause. The grader's per-call times therefore sit 10-45%
above the kernels' for calls under half a millisecond (its chunks, calibrated from one-call requests, hold tens
of calls); the reference and the learner pay alike, so the ratio that scores is unchanged. An untimed call
before each timed request, on the other input set, did not close the gap when graded (SAXPY 435-463 us).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 7
CHUNK_S = 0.05  # grader/timing.py's MIN_CHUNK_S


@dataclass(frozen=True)
class Case:
    label: str
    assignment: str
    inputs: str  # "module:function" of the suite's input maker
    params: dict
    function: str  # the contestant's function in solutions/<assignment>/cuda.py, or a baseline's
    prepare: str  # "module:function" staging the inputs on the GPU
    module: str  # where ``function`` lives


def _cases(small: bool) -> list[Case]:
    n = 2**12 if small else 2**27
    rows = 8 if small else 65536
    return [
        Case(
            "saxpy_device",
            "saxpy",
            "grader.suites.saxpy.baseline:make_inputs",
            {"n": n},
            "saxpy_device",
            "grader.suites.saxpy.baseline:to_device",
            "solutions.saxpy.cuda",
        ),
        Case(
            "layernorm_device",
            "dnn",
            "grader.suites.dnn.baseline:make_layernorm_inputs",
            {"rows": rows, "features": 1024},
            "layernorm_device",
            "grader.suites.dnn.baseline:to_device_layernorm",
            "solutions.dnn.cuda",
        ),
        Case(
            "torch_layernorm",
            "dnn",
            "grader.suites.dnn.baseline:make_layernorm_inputs",
            {"rows": rows, "features": 1024},
            "torch_layernorm",
            "grader.suites.dnn.baseline:to_torch_cuda",
            "grader.suites.dnn.baseline",
        ),
    ]


def _synchronize() -> None:
    from numba import cuda

    cuda.synchronize()
    if "torch" in sys.modules and sys.modules["torch"].cuda.is_initialized():
        sys.modules["torch"].cuda.synchronize()


def _in_process(case: Case, small: bool) -> dict[str, float]:
    """events, issue and wall, microseconds a call, in this process."""
    import importlib

    from numba import cuda

    from grader.sandbox_child import vary_inputs
    from grader.spec import resolve

    target = getattr(importlib.import_module(case.module), case.function)
    host = resolve(case.inputs)(**case.params)
    sets = [tuple(resolve(case.prepare)(*vary_inputs(host, index, 1))) for index in (0, 1)]
    target(*sets[0])
    _synchronize()
    started = time.perf_counter()
    target(*sets[1])
    _synchronize()
    repeats = max(1, min(2000, math.ceil(CHUNK_S / max(time.perf_counter() - started, 1e-9))))
    figures: dict[str, list[float]] = {"events": [], "issue": [], "wall": []}
    for _ in range(ROUNDS):
        begin, end = cuda.event(), cuda.event()
        _synchronize()
        begin.record()
        started = time.perf_counter()
        for call in range(repeats):
            target(*sets[call % 2])
        issued = time.perf_counter()
        end.record()
        end.synchronize()
        _synchronize()
        finished = time.perf_counter()
        figures["events"].append(0.0 if small else cuda.event_elapsed_time(begin, end) * 1e3 / repeats)
        figures["issue"].append((issued - started) * 1e6 / repeats)
        figures["wall"].append((finished - started) * 1e6 / repeats)
    result = {name: statistics.median(values) for name, values in figures.items()}
    result["repeats"] = repeats
    return result


def _worker_source(case: Case):
    """The worker source and limits of ``case``'s contestant: the reference solution, or a trusted baseline."""
    from grader.sandbox import Limits, Source

    source = Source.learner(ROOT / "solutions", case.assignment, "cuda")
    if case.module.startswith("grader."):
        source = Source.trusted(case.module)
    return source, Limits(call_time_s=120.0, memory_bytes=0)


def _through_worker(case: Case, repeats: int) -> float:
    """Microseconds a call of one grader worker's ``run`` request of ``repeats`` calls, parent-clocked."""
    from grader import grading
    from grader.sandbox import Worker

    source, limits = _worker_source(case)
    with Worker(source, limits, grading.worker_options_for("cuda")) as worker:
        worker.request(("setup", case.inputs, case.params, case.prepare, 1), 120.0)
        worker.request(("run", case.function, 1, {}, 0), 120.0)
        times = []
        for index in range(ROUNDS):
            started = time.perf_counter()
            worker.request(("run", case.function, repeats, {}, index % 2), 120.0)
            times.append((time.perf_counter() - started) * 1e6 / repeats)
    return statistics.median(times)


def _interleaved(case: Case, per_side: int) -> float:
    """Microseconds a call of the first side, the median of the grader's rounds over two sides of
    ``per_side`` worker processes each, all set up and warm (grader/timing.py, as a speed task runs them)."""
    from grader import grading, timing
    from grader.sandbox import Worker

    source, limits = _worker_source(case)
    workers = [Worker(source, limits, grading.worker_options_for("cuda")) for _ in range(2 * per_side)]
    try:
        for worker in workers:
            worker.start()
            worker.request(("setup", case.inputs, case.params, case.prepare, 1), 120.0)
        sides = {"first": workers[:per_side], "second": workers[per_side:]}
        times = timing.interleaved(
            {name: [(worker, case.function, {}) for worker in group] for name, group in sides.items()},
            rounds=ROUNDS,
            time_limit=120.0,
        )
    finally:
        for worker in workers:
            worker.close()
    return statistics.median(times["first"]) * 1e6


def _install_guard() -> None:
    """The audit hook a worker runs under (grader/sandbox_child.py), here in this process."""
    from grader import sandbox_child

    sys.addaudithook(sandbox_child._Guard((str(ROOT / "solutions"),), (str(ROOT / "grader"),), (), []))


def main() -> int:
    options = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    options.add_argument("--small", action="store_true", help="tiny inputs (numba's simulator: checks the script)")
    args = options.parse_args()
    sys.path.insert(0, str(ROOT))
    load = os.getloadavg()[0]
    rows: list[tuple[str, dict[str, float]]] = []
    for case in _cases(args.small):
        try:
            figures = _in_process(case, args.small)
            figures["worker"] = _through_worker(case, int(figures["repeats"]))
            figures["1+1"] = _interleaved(case, 1)
            figures["3+3"] = _interleaved(case, 3)
        except Exception as error:  # noqa: BLE001 -- one failed row must not cost the others
            print(f"{case.label}: {type(error).__name__}: {error}", flush=True)
            continue
        rows.append((case.label, figures))
        print(case.label, figures, flush=True)
    _install_guard()
    for case in _cases(args.small):
        try:
            rows.append((f"{case.label} (audit hook)", _in_process(case, args.small)))
        except Exception as error:  # noqa: BLE001
            print(f"{case.label} (audit hook): {type(error).__name__}: {error}", flush=True)
    print(f"\nus a call, median of {ROUNDS} requests of R calls (load {load:.1f} -> {os.getloadavg()[0]:.1f})")
    columns = ("events", "issue", "wall", "worker", "1+1", "3+3")
    print(f"{'contestant':<32}{'R':>6}" + "".join(f"{column:>10}" for column in columns))
    for label, figures in rows:
        cells = "".join(f"{figures[c]:>10.1f}" if c in figures else f"{'-':>10}" for c in columns)
        print(f"{label:<32}{int(figures['repeats']):>6}{cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

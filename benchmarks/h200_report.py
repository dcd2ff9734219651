"""The reference solutions' CUDA paths against the GPU's ceilings and published peers, in one table.

    python3 -m benchmarks.h200_report [--quick] [--budget S] [--save ROWS.json] [--gradings RESULTS.json ...]
    python3 -m benchmarks.h200_report --check-scan          # the single-pass scan, correct on this GPU? (0/1)
    python3 -m benchmarks.h200_report --rows ROWS.json [--gradings RESULTS.json ...]   # any machine: print

Measures, on the first CUDA GPU, in this order (each section guarded: a failure becomes its row's reason and
the next section runs; a section that would start past ``--budget`` seconds is listed as not run):

* device-to-device copy through CuPy, PyTorch and a numba copy kernel: the bandwidth ceiling (bytes read +
  written), against the HBM3e peak;
* SAXPY kernel-only (solutions/saxpy/cuda.py ``saxpy_device``), at least 0.90 of the copy ceiling;
* exclusive_scan of int32 at 2^28, the single pass (decoupled look-back) and reduce-then-scan
  (solutions/scan/cuda.py), against ``cupy.cumsum``: the single pass at least 2x;
* render (``render_device``) per frame, rand100k and snowsingle at 1024x1024, beside the course's published
  reference times on its T4-class GPU (29.6 and 19.7 ms);
* mandelbrot (``mandelbrot_device``), view 1 at the grader's GPU size, in pixel-iterations per second;
* when assignment 6 has its CUDA reference: layernorm against the copy ceiling (at least 0.8) and against
  torch's ``layer_norm`` (at least 1.0x); attention against torch's ``scaled_dot_product_attention`` and conv2d
  against ``torch.nn.functional.conv2d``, float32 with TF32 off (ratios reported);
* BFS (``bfs_hybrid_device``) on R-MAT scale 22 in GTEPS beside Gunrock's published 34.6 GTEPS.

``--gradings`` adds what the grader's results files say: whether every CUDA task earned full marks, and, for
each speed task, the reference's time over its own (``--solutions`` grades the reference against itself), which
must lie within 1.00 +/- 0.05 in every grading.

How it times: CUDA events on the default stream (CuPy and PyTorch launch there too; the script checks), every
side of a comparison interleaved round by round after a warm-up call, the median of the rounds
(assignments/saxpy/bench_gpu.py's timer). A memory-bound sample is ``BATCH`` back-to-back calls between two
events, so the host's cost of a numba launch (about 35 us) overlaps the previous kernel instead of counting:
the figures are the kernels', where the grader's per-call times also carry that launch cost. Inputs and device
staging come from the grader's own suites (grader/suites/*/baseline.py), outputs are checked before anything is
timed except where the row says the grading checks them (inputs whose CPU oracle takes tens of seconds).
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import re
import sys
import time
import traceback
import types
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
HBM_PEAK_GBPS = 4800  # H200 SXM: 4.8 TB/s (NVIDIA's data sheet)
FP32_PEAK_TFLOPS = 67  # H200 SXM, without tensor cores, an FMA counted as 2 operations (data sheet)
GUNROCK_GTEPS = 34.6  # Gunrock's BFS on kron_g500-logn21, one V100 (ORIGINALS.md)
COURSE_FRAME_MS = {"rand100k": 29.6, "snowsingle": 19.7}  # CS149's reference renderer, 1024x1024, cloud T4
SCAN_N = 2**28
BATCH = 4  # calls a sample, for memory-bound kernels of a millisecond or less
SELF_RATIO_TOLERANCE = 0.05


@dataclass(frozen=True)
class Row:
    """One line of the table: a figure against a ceiling or a peer, and the target it must meet, if any."""

    task: str
    figure: str
    peer: str
    ratio: float | None = None
    target: str = ""  # e.g. ">= 0.90"; empty where the issue asks for the figure only
    met: bool | None = None  # None: no target, or not measured (then ``why`` says why)
    why: str = ""


@dataclass
class Context:
    """What the sections share: the run's settings, and the copy ceiling once measured."""

    quick: bool
    budget_s: float
    started: float = dataclasses.field(default_factory=time.perf_counter)
    copy_gbps: float | None = None

    @property
    def runs(self) -> int:
        return 7 if self.quick else 20

    def left_s(self) -> float:
        return self.budget_s - (time.perf_counter() - self.started)


# -- timing -------------------------------------------------------------------------------------------------------
def _interleaved_ms(launches: dict, ctx: Context, batch: int = 1) -> dict:
    """Median milliseconds per call of each launch, timed interleaved after a warm-up (the SAXPY bench's timer);
    a sample is ``batch`` back-to-back calls."""
    from assignments.saxpy.bench_gpu import _medians_ms

    def batched(launch):
        def run():
            for _ in range(batch):
                launch()

        return run

    medians = _medians_ms({name: batched(launch) for name, launch in launches.items()}, runs=ctx.runs)
    return {name: ms / batch for name, ms in medians.items()}


def _require_default_streams() -> None:
    """The timer's events go on the legacy default stream: CuPy's and PyTorch's work must go there too."""
    import cupy

    if cupy.cuda.get_current_stream().ptr != 0:
        raise RuntimeError("CuPy's current stream is not the default stream: the events would not bracket it")
    try:
        import torch
    except ImportError:
        return
    if torch.cuda.current_stream().cuda_stream != 0:
        raise RuntimeError("PyTorch's current stream is not the default stream: the events would not bracket it")


def _gbps(bytes_a_call: float, ms: float) -> float:
    return bytes_a_call / ms / 1e6


def _free_device_memory() -> None:
    gc.collect()
    try:
        import cupy

        cupy.get_default_memory_pool().free_all_blocks()
    except ImportError:
        pass
    try:
        import torch

        torch.cuda.empty_cache()
    except ImportError:
        pass


# -- sections -----------------------------------------------------------------------------------------------------
def copy_ceiling(ctx: Context) -> list[Row]:
    import cupy
    from numba import cuda

    from assignments.saxpy.bench_gpu import _copy_kernel

    n = 2**28
    source = cupy.random.standard_normal(n, dtype=cupy.float32)
    destination = cupy.empty_like(source)
    launches = {"cupy.copyto": lambda: cupy.copyto(destination, source)}
    numba_source, numba_destination = cuda.as_cuda_array(source), cuda.as_cuda_array(destination)
    blocks = (n + 255) // 256
    launches["numba copy kernel"] = lambda: _copy_kernel[blocks, 256](numba_source, numba_destination)
    try:
        import torch

        torch_source = torch.as_tensor(source, device="cuda")  # the same memory (the CUDA array interface)
        torch_destination = torch.empty_like(torch_source)
        launches["torch copy_"] = lambda: torch_destination.copy_(torch_source)
    except ImportError:
        pass
    medians = _interleaved_ms(launches, ctx, BATCH)
    if not cupy.array_equal(destination, source):
        raise RuntimeError("the copies did not copy")
    figures = {name: _gbps(8 * n, ms) for name, ms in medians.items()}
    ctx.copy_gbps = max(figures.values())
    return [
        Row(
            f"device copy, {name}, 2^28 float32",
            f"{gbps:,.0f} GB/s ({medians[name]:.3f} ms)",
            f"HBM3e peak {HBM_PEAK_GBPS:,} GB/s",
            gbps / HBM_PEAK_GBPS,
        )
        for name, gbps in figures.items()
    ]


def _ceiling(ctx: Context) -> float:
    if ctx.copy_gbps is None:
        raise RuntimeError("no copy ceiling (its section failed)")
    return ctx.copy_gbps


def saxpy(ctx: Context) -> list[Row]:
    from grader.suites.saxpy import baseline, oracle
    from solutions.saxpy import cuda as reference

    n = 2**28
    host = baseline.make_inputs(n)
    args = baseline.to_device(*host)
    reference.saxpy_device(*args)
    error = np.abs(baseline.from_device(args, None) - oracle.saxpy(*host))
    if not np.all(error <= oracle.tolerance(*host)):
        raise RuntimeError(f"saxpy_device's result differs from the oracle's by up to {error.max():.3g}")
    ms = _interleaved_ms({"saxpy": lambda: reference.saxpy_device(*args)}, ctx, BATCH)["saxpy"]
    gbps, ceiling = _gbps(12 * n, ms), _ceiling(ctx)
    return [
        Row(
            "SAXPY kernel-only, 2^28 float32",
            f"{gbps:,.0f} GB/s ({ms:.3f} ms)",
            f"copy ceiling {ceiling:,.0f} GB/s",
            gbps / ceiling,
            ">= 0.90",
            gbps / ceiling >= 0.90,
        )
    ]


def _look_back_variant(threads: int, items: int):
    """A module-like object whose ``exclusive_scan_device`` is the single pass with these tiles (the scan
    bench's ``check`` takes a module)."""
    from solutions.scan import cuda as reference

    def scan(a, out):
        return reference.look_back_scan_device(a, out, threads=threads, items=items)

    return types.SimpleNamespace(
        __name__=f"look-back {threads}x{items}",
        exclusive_scan_device=scan,
        find_repeats_device=reference.find_repeats_device,
    )


def check_scan() -> int:
    """The single-pass scan at the scan bench's awkward sizes and three calls at 2^28, against the oracle:
    prints one line; 0 if correct, 1 if not."""
    from numba import cuda

    from assignments.scan.bench_gpu import CHECK_SIZES, check
    from grader.suites.scan import baseline, oracle
    from solutions.scan import cuda as reference

    module = _look_back_variant(reference.LOOK_BACK_THREADS, reference.LOOK_BACK_ITEMS)
    try:
        check(module, CHECK_SIZES)
        (host,) = baseline.make_inputs(SCAN_N)
        expected = oracle.exclusive_scan(host)
        a, out = baseline.to_device_scan(host)
        for call in range(3):
            out.copy_to_device(np.zeros(SCAN_N, dtype=np.int32))
            module.exclusive_scan_device(a, out)
            cuda.synchronize()
            if not np.array_equal(out.copy_to_host(), expected):
                raise AssertionError(f"wrong at n = 2^28, call {call + 1} of 3")
    except AssertionError as wrong:
        print(f"{module.__name__} scan: WRONG: {wrong}")
        return 1
    print(f"{module.__name__} scan: correct at n = {', '.join(map(str, CHECK_SIZES))} and 3 calls at 2^28")
    return 0


def scan(ctx: Context) -> list[Row]:
    import cupy

    from assignments.scan.bench_gpu import CHECK_SIZES, check
    from grader.suites.scan import baseline, oracle
    from solutions.scan import cuda as reference

    (host,) = baseline.make_inputs(SCAN_N)
    expected = oracle.exclusive_scan(host)
    a, out = baseline.to_device_scan(host)
    a_cupy, out_cupy = cupy.asarray(a), cupy.asarray(out)
    tiles = [(reference.LOOK_BACK_THREADS, reference.LOOK_BACK_ITEMS)]
    if not ctx.quick:
        tiles += [shape for shape in ((256, 8), (512, 8), (128, 16)) if shape not in tiles]
    rows, candidates = [], {}
    if reference.ALGORITHM is reference.Algorithm.LOOK_BACK:
        candidates = {f"look-back {t}x{i}": _look_back_variant(t, i) for t, i in tiles}
    else:  # the fallback was chosen, after a failed check (h200_run.sh): a broken single pass may also hang
        rows.append(
            Row(
                "scan look-back, 2^28 int32",
                "-",
                "cupy.cumsum",
                target=">= 2x",
                why=f"not run: {reference.ALGORITHM_VARIABLE}={reference.ALGORITHM.value}",
            )
        )
    candidates["reduce-then-scan"] = types.SimpleNamespace(
        __name__="reduce-then-scan",
        exclusive_scan_device=reference.reduce_then_scan_device,
        find_repeats_device=reference.find_repeats_device,
    )
    launches = {}
    for name, module in candidates.items():
        try:
            check(module, CHECK_SIZES)
            out_cupy.fill(0)
            module.exclusive_scan_device(a, out)
            if not np.array_equal(out.copy_to_host(), expected):
                raise AssertionError("wrong at n = 2^28")
        except AssertionError as wrong:
            rows.append(
                Row(
                    f"scan {name}, 2^28 int32",
                    "-",
                    "cupy.cumsum",
                    why=f"not timed: WRONG: {wrong}",
                    target=">= 2x" if name.startswith("look-back") else "",
                )
            )
            continue
        launches[name] = lambda module=module: module.exclusive_scan_device(a, out)
    launches["cupy.cumsum"] = lambda: baseline.cupy_exclusive_scan(a_cupy, out_cupy)
    launches["cupy.copyto"] = lambda: cupy.copyto(out_cupy, a_cupy)
    medians = _interleaved_ms(launches, ctx, BATCH)
    cumsum_ms, copy_ms = medians.pop("cupy.cumsum"), medians.pop("cupy.copyto")
    graded = (
        f"look-back {tiles[0][0]}x{tiles[0][1]}"
        if reference.ALGORITHM is reference.Algorithm.LOOK_BACK
        else "reduce-then-scan"
    )
    for name, ms in medians.items():
        speedup = cumsum_ms / ms
        single_pass = name.startswith("look-back")
        rows.append(
            Row(
                f"scan {name}{' (graded)' if name == graded else ''}, 2^28 int32",
                f"{ms:.3f} ms, {_gbps(8 * SCAN_N, ms):,.0f} GB/s, {copy_ms / ms:.2f} of copy",
                f"cupy.cumsum {cumsum_ms:.3f} ms",
                speedup,
                ">= 2x" if single_pass else "",
                speedup >= 2.0 if single_pass else None,
            )
        )
    return rows


def render(ctx: Context) -> list[Row]:
    from grader.suites.render import baseline
    from grader.suites.render.tasks import SIZE
    from solutions.render import cuda as reference

    rows = []
    for scene_name, course_ms in COURSE_FRAME_MS.items():
        args = baseline.to_device(*baseline.make_inputs(scene_name, SIZE, SIZE))
        ms = _interleaved_ms({"render": lambda args=args: reference.render_device(*args)}, ctx)["render"]
        rows.append(
            Row(
                f"render {scene_name} {SIZE}x{SIZE}, kernel-only frame",
                f"{ms:.3f} ms",
                f"course reference {course_ms} ms (T4)",
                course_ms / ms,
                why="speedup over the course's time; the grading checks the frame",
            )
        )
    return rows


def mandelbrot(ctx: Context) -> list[Row]:
    from grader.suites.mandelbrot import baseline
    from grader.suites.mandelbrot.tasks import (
        GPU_HEIGHT,
        GPU_WIDTH,
        OPERATIONS_PER_ITERATION,
        PIXEL_ITERATIONS,
    )
    from solutions.mandelbrot import cuda as reference

    args = baseline.to_device(*baseline.make_inputs(1, GPU_WIDTH, GPU_HEIGHT))
    ms = _interleaved_ms({"mandelbrot": lambda: reference.mandelbrot_device(*args)}, ctx)["mandelbrot"]
    counts = baseline.from_device(args, None)
    iterations = PIXEL_ITERATIONS[1, GPU_WIDTH, GPU_HEIGHT]
    # A GPU's fused multiply-add legitimately changes the count of pixels near the escape boundary (the
    # oracle's tolerance; an H200 totalled 0.013% fewer): a sum within 0.1% is the same image, a wrong kernel
    # is far off. The gradings check every pixel against the oracle's tolerance.
    total = int(counts.sum(dtype=np.int64))
    if abs(total - iterations) > 1e-3 * iterations:
        raise RuntimeError(f"the counts add up to {total:,}, not {iterations:,} (within 0.1%)")
    rate = iterations / (ms / 1e3)
    tflops = rate * OPERATIONS_PER_ITERATION / 1e12
    return [
        Row(
            f"mandelbrot view 1 {GPU_WIDTH}x{GPU_HEIGHT}, kernel-only",
            f"{rate / 1e12:.2f} T pixel-iterations/s ({ms:.3f} ms)",
            f"FP32 peak {FP32_PEAK_TFLOPS} TFLOP/s ({OPERATIONS_PER_ITERATION} flop an iteration)",
            tflops / FP32_PEAK_TFLOPS,
        )
    ]


def _close_to_torch(ours, theirs, what: str) -> None:
    ours, theirs = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    scale = max(float(np.abs(theirs).max(initial=0.0)), 1.0)
    error = float(np.abs(ours - theirs).max(initial=0.0))
    if ours.shape != theirs.shape or error > 1e-3 * scale:
        raise RuntimeError(f"{what} differs from torch's: max |difference| {error:.3g} (scale {scale:.3g})")


def dnn(ctx: Context) -> list[Row]:
    if not (ROOT / "grader/suites/dnn/tasks.py").exists() or not (ROOT / "solutions/dnn/cuda.py").exists():
        return [Row("dnn (assignment 6)", "-", "torch", why="not run: no grader/suites/dnn or solutions/dnn/cuda.py")]
    import torch

    from grader.suites.dnn import baseline
    from grader.suites.dnn.tasks import GPU_SIZES
    from solutions.dnn import cuda as reference

    # float32 against float32: cuDNN's convolutions default to TF32 (10-bit mantissas), faster and less exact
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    # torch's operators as a program calls them: the grader's peers (baseline.torch_*) also wait for the GPU
    # after each call, which would charge torch a synchronisation per call in a batched sample.
    operators = {
        "layernorm": lambda x, weight, bias, eps: torch.native_layer_norm(x, (x.shape[-1],), weight, bias, eps),
        "attention": lambda q, k, v, causal: torch.nn.functional.scaled_dot_product_attention(
            q, k, v, is_causal=causal
        ),
        "conv2d": lambda x, w, bias, stride, padding: torch.nn.functional.conv2d(
            x, w, bias, stride=stride, padding=padding
        ),
    }
    rows = []
    for function in ("layernorm", "attention", "conv2d"):
        params = GPU_SIZES[function]
        try:
            host = getattr(baseline, f"make_{function}_inputs")(**params)
            args = getattr(baseline, f"to_device_{function}")(*host)
            ours = getattr(reference, f"{function}_device")
            peer = operators[function]
            tensors = baseline.to_torch_cuda(*host)
            ours(*args)
            expected = peer(*tensors)
            got = (
                baseline.from_device_layernorm(args, None)
                if function == "layernorm"
                else baseline.from_device_last(args, None)
            )
            if function == "layernorm":
                _close_to_torch(got[0], expected[0].cpu().numpy(), "layernorm's y")
            else:
                _close_to_torch(got, expected.cpu().numpy(), function)
            medians = _interleaved_ms(
                {
                    "ours": lambda ours=ours, args=args: ours(*args),
                    "torch": lambda peer=peer, tensors=tensors: peer(*tensors),
                },
                ctx,
                BATCH if function == "layernorm" else 1,
            )
        except Exception as failure:  # noqa: BLE001 -- one operator's failure costs only its rows
            rows.append(Row(f"dnn {function}", "-", "torch", why=f"failed: {_reason(failure)}"))
            continue
        size = ", ".join(f"{key} {value}" for key, value in params.items() if not isinstance(value, bool))
        ms, torch_ms = medians["ours"], medians["torch"]
        peer_name = {
            "layernorm": "torch layer_norm",
            "attention": "torch scaled_dot_product_attention",
            "conv2d": "torch conv2d (TF32 off)",
        }[function]
        if function == "layernorm":
            gbps, ceiling = _gbps(8 * params["rows"] * params["features"], ms), _ceiling(ctx)
            rows.append(
                Row(
                    f"layernorm {size} float32, kernel-only",
                    f"{gbps:,.0f} GB/s ({ms:.3f} ms)",
                    f"copy ceiling {ceiling:,.0f} GB/s",
                    gbps / ceiling,
                    ">= 0.8",
                    gbps / ceiling >= 0.8,
                )
            )
            rows.append(
                Row(
                    f"layernorm {size} float32, kernel-only",
                    f"{ms:.3f} ms",
                    f"{peer_name} {torch_ms:.3f} ms",
                    torch_ms / ms,
                    ">= 1.0x",
                    torch_ms / ms >= 1.0,
                )
            )
        else:
            rows.append(
                Row(
                    f"{function} {size}{' causal' if params.get('causal') else ''} float32, kernel-only",
                    f"{ms:.3f} ms",
                    f"{peer_name} {torch_ms:.3f} ms",
                    torch_ms / ms,
                    why="speed relative to torch (higher is faster)",
                )
            )
    return rows


def bfs(ctx: Context) -> list[Row]:
    from grader.suites.graph import baseline, oracle
    from grader.suites.graph.tasks import EDGE_FACTOR, GPU_SCALE
    from solutions.graph import cuda as reference

    g, source = baseline.make_bfs_inputs(GPU_SCALE)
    args = baseline.to_device(g, source)
    ms = _interleaved_ms({"bfs": lambda: reference.bfs_hybrid_device(*args)}, ctx)["bfs"]
    checked = "the grading checks the distances"
    if ctx.left_s() > 60:
        distances = baseline.from_device(args, None)
        if not np.array_equal(distances, oracle.bfs(g, source)):
            raise RuntimeError("bfs_hybrid_device's distances differ from the oracle's")
        checked = "distances checked against the oracle"
    gteps = EDGE_FACTOR * 2**GPU_SCALE / (ms / 1e3) / 1e9
    return [
        Row(
            f"BFS bfs_hybrid R-MAT scale {GPU_SCALE} (edge factor {EDGE_FACTOR})",
            f"{gteps:.1f} GTEPS ({ms:.2f} ms)",
            f"Gunrock {GUNROCK_GTEPS} GTEPS (kron logn21, one V100)",
            gteps / GUNROCK_GTEPS,
            why=f"all edges counted as traversed; {checked}",
        )
    ]


# (name, function, seconds it needs left to start) in the order they run
SECTIONS = (
    ("device copy", copy_ceiling, 10),
    ("SAXPY", saxpy, 15),
    ("scan", scan, 25),
    ("render", render, 15),
    ("mandelbrot", mandelbrot, 10),
    ("dnn", dnn, 25),
    ("BFS", bfs, 60),
)


def _reason(failure: BaseException) -> str:
    lines = str(failure).strip().splitlines()
    return f"{type(failure).__name__}: {lines[0] if lines else ''}"[:160]


def measure(ctx: Context, save=None) -> list[Row]:
    """Every section's rows, in order; ``save(rows)`` after each section, so that a run stopped by a timeout
    keeps what it measured."""
    rows = []
    for name, section, needs_s in SECTIONS:
        if ctx.left_s() < needs_s:
            rows.append(
                Row(
                    name,
                    "-",
                    "-",
                    why=f"not run: {ctx.left_s():.0f} s of the {ctx.budget_s:.0f} s "
                    f"budget left, it needs about {needs_s} s",
                )
            )
            continue
        began = time.perf_counter()
        try:
            _require_default_streams()
            rows += section(ctx)
        except Exception as failure:  # noqa: BLE001 -- a section's failure is its row, never the end of the run
            traceback.print_exc(file=sys.stderr)
            rows.append(Row(name, "-", "-", why=f"failed: {_reason(failure)}"))
        finally:
            _free_device_memory()
        print(f"[{name}: {time.perf_counter() - began:.1f} s]", file=sys.stderr, flush=True)
        if save:
            save(rows)
    return rows


# -- the grader's results files -------------------------------------------------------------------------------------
_SELF_RATIO = re.compile(r"(\d+(?:\.\d+)?)x the time of the reference")


def grading_rows(paths: list[str]) -> list[Row]:
    """Full marks on every CUDA task (each file), and each CUDA speed task's ratio to the reference, which is
    itself under --solutions, gathered over the files."""
    rows, ratios = [], {}
    for path in paths:
        try:
            tests = json.loads(Path(path).read_text())["tests"]
        except (OSError, ValueError, KeyError) as failure:
            rows.append(Row(f"grading {Path(path).name}", "-", "-", why=f"unreadable: {_reason(failure)}"))
            continue
        cuda_tests = [test for test in tests if " · cuda · " in test["name"]]
        # A task this GPU cannot run is "skipped" with max_score 0: short too. "info" tasks carry no points.
        short = [
            test["name"]
            for test in cuda_tests
            if test["status"] not in ("passed", "info") or test["score"] < test["max_score"]
        ]
        score = sum(test["score"] for test in cuda_tests)
        best = sum(test["max_score"] for test in cuda_tests)
        rows.append(
            Row(
                f"grading {Path(path).name}: CUDA tasks",
                f"{len(cuda_tests) - len(short)}/{len(cuda_tests)} at full marks, {score:g}/{best:g} points",
                "full marks",
                target="all",
                met=bool(cuda_tests) and not short,
                why=("short: " + "; ".join(short))[:300] if short else "",
            )
        )
        for test in cuda_tests:
            found = _SELF_RATIO.search(test.get("output", ""))
            if found:
                ratios.setdefault(test["name"], []).append(float(found.group(1)))
    for name, values in ratios.items():
        worst = max(values, key=lambda value: abs(value - 1.0))
        rows.append(
            Row(
                f"reference vs itself: {name}",
                ", ".join(f"{value:.2f}" for value in values),
                "the reference",
                worst,
                f"1.00 +/- {SELF_RATIO_TOLERANCE:.2f} ({len(values)} gradings)",
                all(abs(value - 1.0) <= SELF_RATIO_TOLERANCE for value in values),
            )
        )
    return rows


# -- the table ------------------------------------------------------------------------------------------------------
def table(rows: list[Row]) -> str:
    def verdict(row: Row) -> str:
        if row.met is None:
            return row.why or "-"
        word = "yes" if row.met else "NO"
        return f"{word} ({row.target})" + (f"; {row.why}" if row.why else "")

    header = ("task", "figure", "ceiling or peer", "ratio", "target met?")
    lines = [
        (row.task, row.figure, row.peer, "-" if row.ratio is None else f"{row.ratio:.2f}", verdict(row)) for row in rows
    ]
    widths = [max(len(line[column]) for line in [header, *lines]) for column in range(4)]

    def format_line(line) -> str:
        return " | ".join(text.ljust(width) for text, width in zip(line[:4], widths, strict=True)) + " | " + line[4]

    rule = "-+-".join("-" * width for width in widths) + "-+-" + "-" * 11
    return "\n".join([format_line(header), rule, *map(format_line, lines)])


def _machine_line() -> str:
    import os

    from numba import cuda

    name = cuda.get_current_device().name
    name = name.decode() if isinstance(name, bytes) else name
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return f"{name}; host load average {load}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m benchmarks.h200_report", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, one scan tile shape")
    parser.add_argument(
        "--budget",
        type=float,
        default=None,
        metavar="S",
        help="seconds for all measurements (default 220, --quick 120)",
    )
    parser.add_argument("--save", metavar="FILE", help="also write the measured rows to FILE (JSON)")
    parser.add_argument(
        "--rows",
        metavar="FILE",
        action="append",
        default=[],
        help="print rows saved by --save instead of measuring (no GPU needed)",
    )
    parser.add_argument(
        "--gradings",
        metavar="FILE",
        nargs="*",
        default=[],
        help="grader results.json files of --solutions --variant cuda runs",
    )
    parser.add_argument("--check-scan", action="store_true", help="check the single-pass scan; exit 0 or 1")
    options = parser.parse_args(argv)

    if options.rows:
        rows, heading = [], []
        for path in options.rows:
            try:
                saved = json.loads(Path(path).read_text())
                heading.append(saved["machine"])
                rows += [Row(**row) for row in saved["rows"]]
            except (OSError, ValueError, KeyError, TypeError) as failure:
                rows.append(Row(f"measurements {path}", "-", "-", why=f"unreadable: {_reason(failure)}"))
        print("\n".join(dict.fromkeys(heading)))
        print(table(rows + grading_rows(options.gradings)))
        return 0

    from grader import machine

    if machine.cuda_gpu() is None:
        print("no CUDA GPU here")
        return 2
    if options.check_scan:
        return check_scan()
    budget = options.budget if options.budget is not None else (120.0 if options.quick else 220.0)
    ctx = Context(quick=options.quick, budget_s=budget)
    heading = _machine_line() + (", --quick" if options.quick else "")

    def save(rows: list[Row]) -> None:
        Path(options.save).write_text(
            json.dumps({"machine": heading, "rows": [dataclasses.asdict(row) for row in rows]}, indent=1)
        )

    rows = measure(ctx, save if options.save else None)
    print(heading)
    print(table(rows + grading_rows(options.gradings)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

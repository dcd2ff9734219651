"""The reference CUDA scan's single pass (decoupled look-back, solutions/scan/cuda.py), piece by piece.

On numba's simulator the hardware path (warp shuffles and votes, which the simulator lacks) runs on an
emulation of those intrinsics written here, so CI checks its logic; on a GPU the same tests run the real
intrinsics. The simulator runs blocks one after another, so there every predecessor has finished before a
tile looks back: the walk's handling of predecessors that published only their own total is checked directly,
on status words built by the test (``test_look_back_adds_every_predecessor``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numba import config, cuda, int64

from grader.suites.scan import oracle
from solutions.scan import cuda as solution

SIMULATED = config.ENABLE_CUDASIM
FULL_MASK = 0xFFFFFFFF


class _WarpEmulation:
    """``shfl_up_sync``, ``shfl_xor_sync``, ``ballot_sync`` and ``syncwarp`` for the simulator, whose CUDA
    threads are Python threads: the 32 lanes of a warp meet at a barrier, each leaves its value in a slot, and
    each reads the slot its intrinsic names. Every lane of the warp must call (the full mask), as on hardware."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._warps: dict[int, tuple[threading.Barrier, list]] = {}

    def exchange(self, value):
        thread_id = threading.current_thread().thread_id
        lane, warp = thread_id % 32, thread_id // 32
        with self._lock:
            if warp not in self._warps:
                self._warps[warp] = (threading.Barrier(32, timeout=60), [None] * 32)
            barrier, slots = self._warps[warp]
        slots[lane] = value
        barrier.wait()
        seen = list(slots)
        barrier.wait()  # nobody overwrites a slot before every lane has read
        return lane, seen

    def install(self, monkeypatch):
        from numba.cuda.simulator.kernelapi import FakeCUDAModule

        def shfl_up_sync(_, mask, value, delta):
            lane, seen = self.exchange(value)
            return seen[lane - delta] if lane >= delta else value

        def shfl_xor_sync(_, mask, value, lane_mask):
            lane, seen = self.exchange(value)
            return seen[lane ^ lane_mask]

        def ballot_sync(_, mask, predicate):
            _, seen = self.exchange(bool(predicate))
            return sum(1 << lane for lane, flag in enumerate(seen) if flag)

        def syncwarp(_, mask=FULL_MASK):
            self.exchange(None)

        for name, function in (
            ("shfl_up_sync", shfl_up_sync),
            ("shfl_xor_sync", shfl_xor_sync),
            ("ballot_sync", ballot_sync),
            ("syncwarp", syncwarp),
        ):
            monkeypatch.setattr(FakeCUDAModule, name, function, raising=False)


@pytest.fixture
def warp_intrinsics(monkeypatch):
    """Warp intrinsics where the kernels run: emulated on the simulator, the hardware's on a GPU."""
    if SIMULATED:
        _WarpEmulation().install(monkeypatch)


@cuda.jit
def _walk_with_a_warp(status, tile, epoch, result):
    prefix = solution._look_back_warp(status, tile, epoch)
    if cuda.threadIdx.x == 0:
        result[0] = prefix


@cuda.jit
def _walk_alone(status, tile, epoch, result):
    if cuda.threadIdx.x == 0:
        result[0] = solution._look_back_serial(status, tile, epoch)


def _status_words(totals, inclusive, epoch):
    """What tiles 0 .. len(totals)-1 publish in ``epoch``: tile j its inclusive prefix where inclusive[j], its
    total otherwise, packed as the kernel packs them (tag in the high half, the value's 32 bits in the low)."""
    prefix = np.concatenate(([0], np.cumsum(totals, dtype=np.int64)))
    words = []
    for j, total in enumerate(totals):
        tag = 2 * epoch + (1 if inclusive[j] else 0)
        value = prefix[j + 1] if inclusive[j] else total
        words.append((tag << 32) | (int(value) & 0xFFFFFFFF))
    return np.array(words, dtype=np.int64)


@st.composite
def _published_predecessors(draw):
    """(totals, inclusive flags, epoch): tile 0 always inclusive (as the kernel publishes it), the others
    drawn, including long runs of bare totals that push the walk past one 32-tile window."""
    tiles = draw(st.integers(1, 100))
    totals = draw(st.lists(st.integers(-(2**20), 2**20), min_size=tiles, max_size=tiles))
    inclusive = [True] + draw(st.lists(st.booleans() | st.just(False), min_size=tiles - 1, max_size=tiles - 1))
    epoch = draw(st.sampled_from([1, 2, 7, solution.MAX_EPOCH]) | st.integers(1, solution.MAX_EPOCH))
    return np.array(totals, dtype=np.int64), inclusive, epoch


@pytest.mark.parametrize("walk", ["warp", "alone"])
@given(case=_published_predecessors())
@settings(
    max_examples=15 if SIMULATED else 200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)  # the fixture only installs intrinsics
def test_look_back_adds_every_predecessor(walk, case, warp_intrinsics):
    totals, inclusive, epoch = case
    tile = len(totals)
    # The tile's own word and one beyond it hold an older epoch's words: they must never be read.
    stale = (int(2 * (epoch - 1) + 1) << 32) | 12345
    status = cuda.to_device(np.concatenate((_status_words(totals, inclusive, epoch), [stale, stale])))
    result = cuda.to_device(np.zeros(1, dtype=np.int64))
    kernel = _walk_with_a_warp if walk == "warp" else _walk_alone
    kernel[1, 32](status, int64(tile), int64(epoch), result)
    assert int(result.copy_to_host()[0]) == int(totals.sum())


# Every path of the kernel on two warps a block (64 threads x 2 elements), so that the warp totals are combined:
# each combination of the fields that place barriers (shuffles, exchange, early scan), items held in registers
# on half of them (with and without each other field), and tiles numbered by block index on two.
_SMALL_BUILDS = [
    solution.LookBackConfig(
        64,
        2,
        exchange,
        early_scan=early_scan,
        registers=early_scan != (exchange is solution.Exchange.BLOCK),
        shuffles=shuffles,
    )
    for shuffles in (False, True)
    for exchange in solution.Exchange
    for early_scan in (False, True)
] + [
    solution.LookBackConfig(64, 2, order=solution.TileOrder.BLOCK_INDEX, shuffles=shuffles)
    for shuffles in (False, True)
]


@pytest.mark.parametrize("build", _SMALL_BUILDS, ids=lambda build: build.label)
@pytest.mark.parametrize("n", [1, 63, 64, 65, 257, 640])
def test_look_back_scan_matches_the_oracle(n, build, warp_intrinsics):
    """640 elements are 5 tiles; each size scanned twice, so the second call must ignore the status words the
    first left behind."""
    a = np.random.default_rng(n).integers(-1000, 1000, n, dtype=np.int32)
    a_device, out = cuda.to_device(a), cuda.device_array(n, dtype=np.int32)
    for _ in range(2):
        out.copy_to_device(np.full(n, -7, dtype=np.int32))
        solution.look_back_scan_device(a_device, out, build)
        assert np.array_equal(out.copy_to_host(), oracle.exclusive_scan(a))
    assert np.array_equal(a_device.copy_to_host(), a), "the input was modified"


_GPU_BUILDS = [
    solution.LookBackConfig(256, 16, solution.Exchange.BLOCK, early_scan=False),
    solution.LookBackConfig(128, 16, solution.Exchange.WARP),
    solution.LookBackConfig(128, 16, solution.Exchange.WARP, early_scan=False),
    solution.LookBackConfig(256, 24, solution.Exchange.WARP, registers=True),
    solution.LookBackConfig(256, 16, solution.Exchange.WARP, order=solution.TileOrder.BLOCK_INDEX),
    solution.LookBackConfig(128, 32, solution.Exchange.WARP),
]


@pytest.mark.gpu
@pytest.mark.parametrize("build", _GPU_BUILDS, ids=lambda build: build.label)
@pytest.mark.parametrize("n", [2**20 * 33 + 1, 2**24 - 1])
def test_look_back_scan_on_the_gpu(n, build):
    """Real concurrency: thousands of tiles look back while their predecessors are still publishing."""
    a = np.random.default_rng(n).integers(-1000, 1000, n, dtype=np.int32)
    a_device, out = cuda.to_device(a), cuda.device_array(n, dtype=np.int32)
    expected = oracle.exclusive_scan(a)
    for _ in range(3):
        out.copy_to_device(np.zeros(n, dtype=np.int32))
        solution.look_back_scan_device(a_device, out, build)
        assert np.array_equal(out.copy_to_host(), expected)


def test_a_build_that_cannot_scan_is_refused():
    with pytest.raises(ValueError, match="power of two"):
        solution.LookBackConfig(96, 4, solution.Exchange.BLOCK, shuffles=False)
    with pytest.raises(ValueError, match="whole warps"):
        solution.LookBackConfig(16, 4, solution.Exchange.WARP)
    with pytest.raises(ValueError, match="at least one"):
        solution.LookBackConfig(64, 0)


def test_an_unknown_algorithm_is_named_in_the_error(monkeypatch):
    monkeypatch.setenv(solution.ALGORITHM_VARIABLE, "fastest")
    with pytest.raises(ValueError, match="look-back.*reduce-then-scan"):
        solution._algorithm_from_environment()


def test_the_sweep_compares_the_default_with_the_previous_build():
    from benchmarks import scan_sweep

    builds = [build for _, build in scan_sweep.candidates() if build is not None]
    assert solution.LOOK_BACK in builds
    previous = solution.LookBackConfig(256, 16, solution.Exchange.BLOCK, early_scan=False)
    assert previous in builds


def test_the_sweep_without_a_gpu_says_so_in_one_line_and_exits_2():
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.scan_sweep"],
        capture_output=True,
        text=True,
        env={**os.environ, "PARLAB_NO_GPU": "1"},
        cwd=Path(__file__).resolve().parent.parent,
        timeout=120,
    )
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert len(completed.stderr.strip().splitlines()) == 1
    assert "no CUDA GPU" in completed.stderr

"""Exclusive scan and find_repeats on a CUDA GPU with numba.cuda: a single pass with decoupled look-back, and
reduce-then-scan.

**exclusive_scan: one pass, decoupled look-back** (``look_back_scan_device``, the default). One launch; each
block takes the next tile number from an atomic counter, loads its tile (``LOOK_BACK``: ``threads`` x ``items``
elements, each warp loading its own segment coalesced into shared memory), and:

1. sums it and publishes the total in its status word at once;
2. scans its items in shared memory (without the tile's prefix) while warp 0 looks back: adds the published
   values of its predecessors, nearest first, until it meets one that has published its *inclusive* prefix
   (the sum of everything up to its end), and publishes its own;
3. writes the tile out, adding the prefix on the way.

``LookBackConfig`` names each of these choices (``Exchange``, ``early_scan``, ``registers``, ``TileOrder``, a
register cap), and ``look_back_kernel`` builds a kernel for any of them, so that benchmarks/scan_sweep.py can time
them against each other on a GPU.

8 bytes an element through device memory (read a, write out): the least any scan can move. What makes it
correct on hardware:

* *progress*: tile numbers follow the order in which blocks start (the counter), not ``blockIdx``, so a block
  only ever waits on blocks that are already running, never on one that is not scheduled yet;
* *no torn reads*: a status word is one int64, tag in the high half (which call, and total or inclusive
  prefix), value in the low half, written with ``atomic.exch`` and read with an atomic add of zero, so no
  reader can see a tag without its value and no read is served from a stale L1 line;
* *no clearing between calls*: the tag carries the call's epoch, so words from earlier calls read as
  unpublished, and ``atomic.inc`` wraps the counter back to zero after the last tile.

Which path runs where: on a GPU, the block scan is warp shuffles (``shfl_up_sync``, five steps a warp, then
the warp totals) and the look-back is a whole warp reading 32 predecessors a step (``ballot_sync`` finds the
nearest inclusive prefix, ``shfl_xor_sync`` adds); ``WARP_SHUFFLES`` is True. numba's simulator
(NUMBA_ENABLE_CUDASIM=1) has no warp intrinsics: there ``WARP_SHUFFLES`` is False, the block scan is the
up-sweep/down-sweep below, one thread walks back alone and block barriers stand in for ``syncwarp``, on
128-element tiles so that tiny inputs span several tiles (tests/test_scan_look_back.py also runs the shuffle
path there, on emulated intrinsics, for every kind of build). Only a GPU runs blocks concurrently: the waiting
in the look-back, and the races a missing barrier would cause, are exercised there alone (the ``gpu`` tests,
benchmarks/scan_sweep.py).

``SCAN_CUDA_ALGORITHM=reduce-then-scan`` in the environment selects the algorithm below instead
(``ALGORITHM``), the fallback should the single pass misbehave on some GPU.

**reduce-then-scan** (``reduce_then_scan_device``; always used by find_repeats). The array is cut into tiles
of ``TILE`` = ``THREADS`` x ``ITEMS`` elements, one thread block a tile. Three launches, for any n (no
rounding up to a power of two):

1. ``_tile_totals``: every block sums its tile (one int32 per tile).
2. the tile totals are exclusive-scanned, by this same algorithm, recursively (2**28 elements make 131,072
   tiles, a second level of 64, a third of one), giving each tile its offset;
3. ``_tile_scan``: every block scans its tile and adds the tile's offset as it writes.

12 bytes an element through device memory (read a twice, write out once) against 16 for the course's
scan-then-add (write the partial scan, read it back to add the offsets): at best 2/3 of copy speed counted as
8 bytes.

Inside a block (``_tile_scan``), four steps, each chosen for the memory system:

* load the tile into shared memory *striped* (thread t reads elements t, t + THREADS, ...): consecutive
  threads read consecutive addresses, so each warp's load coalesces into full 128-byte transactions;
* each thread then scans its own ``ITEMS`` *consecutive* elements from shared memory: serial work with no
  synchronisation, which is what makes the algorithm work-efficient (O(n) adds in total);
* the ``THREADS`` per-thread totals are scanned by a work-efficient up-sweep/down-sweep (Blelloch) in shared
  memory (2 log2(THREADS) steps, the course's algorithm) to give each thread its offset;
* the scanned tile goes back to global memory striped, coalesced again.

Shared memory is padded (one spare word every 32) so that thread-consecutive access (stride ``ITEMS``) hits 32
different banks. The simulator uses tiny tiles so that tiny inputs still exercise several tiles and two levels
of recursion. The look-back kernel loads, pads and scans its tile the same way.

find_repeats is the same three launches over the n - 1 pairs, with flag = (a[i] == a[i+1]) in place of a[i]:
count the flags per tile, scan the counts, then each block scans its flags to get each repeat's output slot and
scatters the indices (flags, scan, scatter). The flags are recomputed from a instead of stored: 4 bytes
re-read (from cache) instead of 8 written and read.

Device-resident entry points (kernel-only timing; arrays already on the GPU, launches asynchronous):

* ``exclusive_scan_device(a, out)``: a, out int32[n] device arrays.
* ``find_repeats_device(a, out, count)``: a int32[n], out int32[max(n - 1, 0)], count int32[1]; writes the k
  repeat indices into out[:k] and k into count[0], on the device, so no host round trip stalls the launch.
"""

import dataclasses
import enum
import functools
import os
from dataclasses import dataclass

import numpy as np
from numba import config, cuda, int32, int64, uint64

if config.ENABLE_CUDASIM:
    THREADS, ITEMS = 32, 4  # 128-element tiles: inputs of a few hundred elements already span several tiles
else:
    THREADS, ITEMS = 256, 8  # 2,048-element tiles; 8 loads in flight per thread hide memory latency
TILE = THREADS * ITEMS
BANK_BITS = 5
BANKS = 1 << BANK_BITS  # 32 banks of 4-byte words
PADDED_TILE = TILE + TILE // BANKS


@cuda.jit(device=True, inline=True)
def _padded(i):
    """Shared-memory slot of tile element i: one spare word every 32 keeps strided access conflict-free."""
    return i + (i >> BANK_BITS)  # i // BANKS for every integer, without floor division's sign fix-ups


@cuda.jit(device=True)
def _block_exclusive_scan(value, scratch):
    """Exclusive scan of one value per thread across the block; returns (this thread's sum of the values of
    the threads before it, the block's total). Work-efficient up-sweep/down-sweep over the block's threads (a
    power of two of them, one slot each of shared memory ``scratch``); every thread of the block must call it."""
    t = cuda.threadIdx.x
    threads = scratch.shape[0]  # one slot a thread
    scratch[t] = value
    # Up-sweep: build partial sums in a balanced tree; scratch[threads - 1] ends up holding the total.
    stride = 1
    while stride < threads:
        cuda.syncthreads()
        right = (t + 1) * 2 * stride - 1
        if right < threads:
            scratch[right] += scratch[right - stride]
        stride *= 2
    cuda.syncthreads()
    total = scratch[threads - 1]
    cuda.syncthreads()  # everyone has read the total before the root is cleared
    if t == 0:
        scratch[threads - 1] = 0
    # Down-sweep: push prefixes back down the tree; each left child takes its parent's prefix, each right child
    # its parent's prefix plus the left sibling's sum.
    stride = threads // 2
    while stride >= 1:
        cuda.syncthreads()
        right = (t + 1) * 2 * stride - 1
        if right < threads:
            left_sum = scratch[right - stride]
            scratch[right - stride] = scratch[right]
            scratch[right] += left_sum
        stride //= 2
    cuda.syncthreads()
    before = scratch[t]
    cuda.syncthreads()  # scratch may be reused as soon as this returns
    return before, total


@cuda.jit(device=True)
def _scan_tile_in_shared(tile, tile_offset, scratch):
    """Replace the tile held in shared memory by its exclusive scan plus ``tile_offset``; returns the tile's
    total. Each thread scans its ITEMS consecutive elements serially; the block scan links the threads."""
    first = cuda.threadIdx.x * ITEMS
    thread_total = int32(0)
    for k in range(ITEMS):
        thread_total += tile[_padded(first + k)]
    before, tile_total = _block_exclusive_scan(thread_total, scratch)
    running = int32(tile_offset + before)
    for k in range(ITEMS):
        slot = _padded(first + k)
        value = tile[slot]
        tile[slot] = running
        running += value
    cuda.syncthreads()
    return tile_total


@cuda.jit(device=True, inline=True)
def _repeat_flag(a, i, pairs):
    """1 if pair i exists and repeats (a[i] == a[i+1]), else 0."""
    return int32(1) if i < pairs and a[i] == a[i + 1] else int32(0)


@cuda.jit(cache=True)
def _tile_totals(a, totals):
    """totals[b] = sum of tile b of a."""
    scratch = cuda.shared.array(THREADS, int32)
    base = cuda.blockIdx.x * TILE
    thread_total = int32(0)
    for k in range(ITEMS):
        i = base + k * THREADS + cuda.threadIdx.x  # striped: coalesced
        if i < a.size:
            thread_total += a[i]
    _, tile_total = _block_exclusive_scan(thread_total, scratch)
    if cuda.threadIdx.x == 0:
        totals[cuda.blockIdx.x] = tile_total


@cuda.jit(cache=True)
def _tile_scan(a, tile_offsets, out):
    """out = exclusive scan of each tile of a, plus that tile's offset."""
    tile = cuda.shared.array(PADDED_TILE, int32)
    scratch = cuda.shared.array(THREADS, int32)
    base = cuda.blockIdx.x * TILE
    for k in range(ITEMS):
        i = k * THREADS + cuda.threadIdx.x
        tile[_padded(i)] = a[base + i] if base + i < a.size else 0  # zeros past the end change no sum
    cuda.syncthreads()
    _scan_tile_in_shared(tile, tile_offsets[cuda.blockIdx.x], scratch)
    for k in range(ITEMS):
        i = k * THREADS + cuda.threadIdx.x
        if base + i < out.size:
            out[base + i] = tile[_padded(i)]


@cuda.jit(cache=True)
def _tile_repeat_counts(a, pairs, counts):
    """counts[b] = number of repeating pairs in tile b of the pairs 0 .. pairs-1."""
    scratch = cuda.shared.array(THREADS, int32)
    base = cuda.blockIdx.x * TILE
    thread_count = int32(0)
    for k in range(ITEMS):
        thread_count += _repeat_flag(a, base + k * THREADS + cuda.threadIdx.x, pairs)
    _, tile_count = _block_exclusive_scan(thread_count, scratch)
    if cuda.threadIdx.x == 0:
        counts[cuda.blockIdx.x] = tile_count


@cuda.jit(cache=True)
def _tile_repeat_scatter(a, pairs, tile_offsets, out, count):
    """Write every repeat index of tile b into out at its slot (tile offset + flags before it in the tile);
    the last block also writes the total count."""
    tile = cuda.shared.array(PADDED_TILE, int32)
    scratch = cuda.shared.array(THREADS, int32)
    base = cuda.blockIdx.x * TILE
    for k in range(ITEMS):
        i = k * THREADS + cuda.threadIdx.x
        tile[_padded(i)] = _repeat_flag(a, base + i, pairs)
    cuda.syncthreads()
    tile_offset = tile_offsets[cuda.blockIdx.x]
    tile_count = _scan_tile_in_shared(tile, tile_offset, scratch)
    for k in range(ITEMS):
        i = k * THREADS + cuda.threadIdx.x
        if _repeat_flag(a, base + i, pairs):  # the flag again, from cache, instead of a stored copy
            out[tile[_padded(i)]] = base + i
    if cuda.blockIdx.x == cuda.gridDim.x - 1 and cuda.threadIdx.x == 0:
        count[0] = tile_offset + tile_count


@functools.lru_cache(maxsize=32)
def _scratch(tiles: int):
    """Per-tile totals and offsets for a level of ``tiles`` tiles, allocated once per size and reused, so
    that repeated calls do not pay cudaMalloc. A single tile's offset is the zero it starts with."""
    offsets = cuda.to_device(np.zeros(tiles, dtype=np.int32))
    return cuda.device_array(tiles, dtype=np.int32), offsets


def _tile_offsets(totals_kernel, tiles, *arguments):
    """Run ``totals_kernel`` (one total per tile), scan the totals: each tile's offset (device array)."""
    totals, offsets = _scratch(tiles)
    if tiles > 1:
        totals_kernel[tiles, THREADS](*arguments, totals)
        reduce_then_scan_device(totals, offsets)
    return offsets


def reduce_then_scan_device(a, out):
    """out[i] = a[0] + ... + a[i-1] (int32 device arrays) by reduce-then-scan; launches asynchronously and
    returns out."""
    n = a.shape[0]
    if n == 0:
        return out
    tiles = (n + TILE - 1) // TILE
    offsets = _tile_offsets(_tile_totals, tiles, a)
    _tile_scan[tiles, THREADS](a, offsets, out)
    return out


# -- single pass: decoupled look-back -------------------------------------------------------------------------
class Algorithm(enum.Enum):
    """How ``exclusive_scan_device`` scans (find_repeats always reduces, then scans)."""

    LOOK_BACK = "look-back"
    REDUCE_THEN_SCAN = "reduce-then-scan"


ALGORITHM_VARIABLE = "SCAN_CUDA_ALGORITHM"  # not PARLAB_*: those name the grader's settings, and it refuses others


def _algorithm_from_environment() -> Algorithm:
    chosen = os.environ.get(ALGORITHM_VARIABLE, Algorithm.LOOK_BACK.value)
    try:
        return Algorithm(chosen)
    except ValueError:
        raise ValueError(
            f"{ALGORITHM_VARIABLE}={chosen!r}: choose one of {', '.join(algorithm.value for algorithm in Algorithm)}"
        ) from None


ALGORITHM = _algorithm_from_environment()

WARP = 32
FULL_MASK = 0xFFFFFFFF
# The simulator has no warp shuffles, votes or syncwarp: there the block scan is the up-sweep/down-sweep, one
# thread walks back alone, and block barriers stand in for warp ones.
WARP_SHUFFLES = not config.ENABLE_CUDASIM
MAX_EPOCH = 2**30 - 1  # the largest tag, 2 * MAX_EPOCH + 1, fills the high half of an int64 word but its sign bit


class Exchange(enum.Enum):
    """How a tile goes between its striped layout in device memory (consecutive threads, consecutive addresses:
    coalesced) and its blocked layout (each thread its ``items`` consecutive elements: a serial scan), through
    shared memory. Either way thread t ends up holding elements t * items ... t * items + items - 1."""

    BLOCK = "block"  # the whole tile striped across the block: a block barrier on each side of the transpose
    WARP = "warp"  # each warp loads and stores its own 32 * items segment: only warp barriers (syncwarp)


class TileOrder(enum.Enum):
    """Which block scans which tile."""

    COUNTER = "counter"  # the order blocks start in, from an atomic counter: progress guaranteed
    # Tile = blockIdx (CUB's choice): no atomic and no barrier before the loads, but a block then waits on
    # lower-numbered blocks, which only the hardware's in-order dispatch of a 1-D grid (observed, not promised
    # by the programming model) guarantees to be running.
    BLOCK_INDEX = "block index"


@dataclass(frozen=True)
class LookBackConfig:
    """One build of the single-pass kernel: tiles of ``threads`` x ``items`` elements, one block a tile.

    ``exchange``: the transpose (``Exchange``). ``early_scan``: each thread scans its items into shared memory
    (without the tile's prefix) while warp 0 looks back, and the prefix is added on the way out, so that the
    barrier sharing the prefix also completes the transpose; otherwise the scan waits for the prefix.
    ``registers``: each thread keeps its items in a local array between reading them for its total and writing
    their scan (registers when the compiler unrolls the loops), instead of reading shared memory twice.
    ``order``: ``TileOrder``. ``shuffles``: warp intrinsics (hardware) or shared memory and one thread (the
    simulator)."""

    threads: int
    items: int
    exchange: Exchange = Exchange.WARP
    early_scan: bool = True
    registers: bool = False
    order: TileOrder = TileOrder.COUNTER
    shuffles: bool = WARP_SHUFFLES

    def __post_init__(self):
        if self.threads < 1 or self.threads & (self.threads - 1):
            raise ValueError(f"threads = {self.threads}: the block scan needs a power of two")
        if (self.shuffles or self.exchange is Exchange.WARP) and self.threads % WARP:
            raise ValueError(f"threads = {self.threads}: warp shuffles and warp exchange need whole warps")
        if self.items < 1:
            raise ValueError(f"items = {self.items}: at least one element a thread")

    @property
    def tile(self) -> int:
        return self.threads * self.items

    @property
    def label(self) -> str:
        """e.g. ``warp 128x16 registers``: the exchange and tile, then what differs from the defaults."""
        parts = [f"{self.exchange.value} {self.threads}x{self.items}"]
        if not self.early_scan:
            parts.append("late scan")
        if self.registers:
            parts.append("registers")
        if self.order is not TileOrder.COUNTER:
            parts.append(self.order.value)
        if not self.shuffles:
            parts.append("no shuffles")
        return " ".join(parts)


if config.ENABLE_CUDASIM:
    LOOK_BACK = LookBackConfig(32, 4)  # 128-element tiles: a few hundred elements already span several tiles
else:
    # 8,192-element tiles, 32 loads in flight a thread, each warp exchanging its own segment, the scan done
    # during the look-back. Measured on an H200 (benchmarks/scan_sweep.py, 2^28 int32, median of 20): 0.590 ms,
    # 3.36x cupy.cumsum and 0.91 of a device copy; 128x16 0.723 ms, 256x16 0.628 ms, 128x32 0.603 ms.
    LOOK_BACK = LookBackConfig(256, 32)
LOOK_BACK_THREADS, LOOK_BACK_ITEMS = LOOK_BACK.threads, LOOK_BACK.items


@cuda.jit(device=True, inline=True)
def _status_word(epoch, inclusive, value):
    """A tile's status, one int64 written and read whole, so that no reader sees a tag without its value: the
    tag 2 * epoch + 1 (``value`` is the sum of every element up to the tile's end) or 2 * epoch (``value`` is
    the tile's own total) in the high 32 bits, value's 32 bits in the low half."""
    tag = int64(2 * epoch + (1 if inclusive else 0))
    return (tag << 32) | (int64(value) & 0xFFFFFFFF)


@cuda.jit(device=True, inline=True)
def _status_value(word):
    """The signed 32-bit value held in the low half of a status word."""
    low = word & 0xFFFFFFFF
    return low - (int64(1) << 32) if low >= (int64(1) << 31) else low


@cuda.jit(device=True, inline=True)
def _read_status(status, tile):
    """status[tile], read at the device's point of coherence (an atomic add of zero), never from a stale L1
    line, and not hoisted out of a waiting loop."""
    return cuda.atomic.add(status, tile, 0)


@cuda.jit(device=True)
def _block_exclusive_scan_shuffles(value, warp_totals):
    """The contract of ``_block_exclusive_scan`` (returns (sum of the values of the threads before this one,
    the block's total)) with warp shuffles: each warp scans its 32 values in five register-to-register steps
    (``shfl_up_sync``), lane 31 leaves the warp's total in shared ``warp_totals``, and every thread adds the
    totals of the warps before its own (one broadcast read each). One barrier instead of the up-sweep/down-
    sweep's 2 log2(threads) + 3; every thread of the block must call it, once a launch (``warp_totals`` is not
    cleared for reuse)."""
    lane = cuda.threadIdx.x % WARP
    warp = cuda.threadIdx.x // WARP
    inclusive = int32(value)
    delta = 1
    while delta < WARP:
        lower = cuda.shfl_up_sync(FULL_MASK, inclusive, delta)
        if lane >= delta:
            inclusive = int32(inclusive + lower)
        delta *= 2
    if lane == WARP - 1:
        warp_totals[warp] = inclusive
    cuda.syncthreads()
    before = int32(inclusive - value)
    total = int32(0)
    for other in range(cuda.blockDim.x // WARP):
        warp_total = warp_totals[other]
        if other < warp:
            before = int32(before + warp_total)
        total = int32(total + warp_total)
    return before, total


@cuda.jit(device=True)
def _look_back_warp(status, tile, epoch):
    """The sum of every element before tile ``tile`` (> 0), found by the 32 lanes of one warp together.

    Each step reads the status of 32 predecessors at once (lane j reads tile end - 1 - j), waits until all 32
    have published in this launch, then adds their values up to the nearest one holding an inclusive prefix
    (``ballot_sync`` finds it; a butterfly of ``shfl_xor_sync`` adds). Without one in the window, it adds all
    32 tile totals and moves the window 32 tiles back. Cost: one L2 round trip per 32 predecessors, where one
    thread walking alone pays one per predecessor (the handout's measured 2.5 ms)."""
    lane = cuda.threadIdx.x % WARP
    ready = 2 * epoch
    prefix = int64(0)
    end = int64(tile)
    while True:
        predecessor = end - 1 - lane
        # Past tile 0 a lane reads an inclusive zero; tile 0 itself always publishes an inclusive prefix, so
        # those lanes lie beyond the nearest one and add nothing.
        word = _read_status(status, predecessor) if predecessor >= 0 else _status_word(epoch, True, 0)
        while cuda.ballot_sync(FULL_MASK, (word >> 32) < ready) != 0:
            if (word >> 32) < ready:
                word = _read_status(status, predecessor)
        inclusive = int64(cuda.ballot_sync(FULL_MASK, (word >> 32) == ready + 1)) & 0xFFFFFFFF
        farthest = inclusive & -inclusive if inclusive != 0 else int64(1) << (WARP - 1)
        value = _status_value(word) if (int64(1) << lane) <= farthest else int64(0)
        offset = WARP // 2
        while offset >= 1:
            value += cuda.shfl_xor_sync(FULL_MASK, value, offset)
            offset //= 2
        prefix += value
        if inclusive != 0:
            return prefix
        end -= WARP


@cuda.jit(device=True)
def _look_back_serial(status, tile, epoch):
    """The sum of every element before tile ``tile`` (> 0), found by one thread: walk back one predecessor a
    step, adding tile totals, until one holds an inclusive prefix. (The simulator's path; it runs blocks one
    after another, so every predecessor has finished and nothing waits.)"""
    ready = 2 * epoch
    prefix = int64(0)
    predecessor = int64(tile) - 1
    while True:
        word = _read_status(status, predecessor)
        if (word >> 32) >= ready:  # published in this launch; otherwise read again
            prefix += _status_value(word)
            if (word >> 32) == ready + 1:
                return prefix
            predecessor -= 1


@functools.cache
def look_back_kernel(build: LookBackConfig):
    """The single-pass scan kernel of one ``LookBackConfig``, compiled on first launch. Launch it as
    ``kernel[tiles, build.threads](a, out, status, counter, epoch)``.

    A tile, counted in block barriers (``syncthreads``), each a moment in which the block has no memory traffic
    in flight: take a tile number (``TileOrder.COUNTER``: 1); load the tile striped into shared memory
    (``Exchange.BLOCK``: 1, ``Exchange.WARP``: a syncwarp); each thread sums its items and the block scans the
    thread totals (1 with shuffles); thread 0 publishes the tile's total, warp 0 looks back and publishes the
    inclusive prefix (1, to share it); each thread scans its items into shared memory (``early_scan``: before
    the look-back, without the prefix, which is added on the way out; otherwise after it, then ``BLOCK``: 1,
    ``WARP``: a syncwarp); the tile goes out striped. From 5 barriers (block, late scan, counter) down to 2
    (warp, early scan, block index)."""
    threads, items, shuffles, registers = build.threads, build.items, build.shuffles, build.registers
    early_scan = build.early_scan
    by_counter = build.order is TileOrder.COUNTER
    tile_size = build.tile
    padded_tile = tile_size + tile_size // BANKS
    warp_exchange = build.exchange is Exchange.WARP
    warp_barriers = warp_exchange and shuffles  # the simulator has no syncwarp: a block barrier does

    @cuda.jit
    def look_back_scan(a, out, status, counter, epoch):
        tile = cuda.shared.array(padded_tile, int32)
        scratch = cuda.shared.array(threads, int32)
        tile_number = cuda.shared.array(1, int32)
        tile_prefix = cuda.shared.array(1, int32)
        held = cuda.local.array(items, int32)  # used only with ``registers``; otherwise optimised away
        # Indices are unsigned: numba wraps negative indices around (a test and an add per access) and gives
        # signed division floor semantics, instructions that an unsigned index does without.
        t = uint64(cuda.threadIdx.x)
        if by_counter:
            # Tiles numbered in the order blocks start: a block then waits only on tiles whose blocks already
            # run, which is what guarantees progress (blocks need not be scheduled in index order). atomic.inc
            # wraps the counter back to 0 after the last tile, ready for the next launch.
            if t == 0:
                tile_number[0] = cuda.atomic.inc(counter, 0, cuda.gridDim.x - 1)
            cuda.syncthreads()
            number = tile_number[0]
        else:
            number = cuda.blockIdx.x
        size = uint64(a.size)
        base = uint64(number) * uint64(tile_size)
        full = base + uint64(tile_size) <= size  # every tile but the last: no bounds test per element
        # Striped positions: thread t's k-th load or store is tile element start + k * stride, so that each of
        # a warp's accesses covers 32 consecutive elements (128 bytes, one transaction).
        if warp_exchange:
            start = (t // uint64(WARP)) * uint64(WARP * items) + t % uint64(WARP)
            stride = uint64(WARP)
        else:
            start = t
            stride = uint64(threads)
        for k in range(items):
            i = start + uint64(k) * stride
            if full:
                tile[_padded(i)] = a[base + i]
            else:
                tile[_padded(i)] = a[base + i] if base + i < size else 0  # zeros past the end change no sum
        if warp_barriers:
            cuda.syncwarp()  # a warp reads back only the segment it wrote
        else:
            cuda.syncthreads()
        first = t * uint64(items)
        thread_total = int32(0)
        for k in range(items):
            value = tile[_padded(first + uint64(k))]
            if registers:
                held[k] = value
            thread_total = int32(thread_total + value)
        if shuffles:
            before, tile_total = _block_exclusive_scan_shuffles(thread_total, scratch)
        else:
            before, tile_total = _block_exclusive_scan(thread_total, scratch)
        # Publish the tile's total at once, so that successors can walk past this tile while it walks back.
        if t == 0:
            cuda.atomic.exch(status, number, _status_word(epoch, number == 0, tile_total))
        if early_scan:  # the thread's slots are its own: no barrier until the striped stores read them
            running = before
            for k in range(items):
                slot = _padded(first + uint64(k))
                value = held[k] if registers else tile[slot]
                tile[slot] = running
                running = int32(running + value)
        prefix = int64(0)
        if number > 0:
            if shuffles:
                if t < WARP:
                    prefix = _look_back_warp(status, number, epoch)
            elif t == 0:
                prefix = _look_back_serial(status, number, epoch)
            if t == 0:
                cuda.atomic.exch(status, number, _status_word(epoch, True, prefix + tile_total))
        if t == 0:
            tile_prefix[0] = prefix
        cuda.syncthreads()
        if early_scan:
            offset = tile_prefix[0]
        else:
            offset = int32(0)
            running = int32(tile_prefix[0] + before)
            for k in range(items):
                slot = _padded(first + uint64(k))
                value = held[k] if registers else tile[slot]
                tile[slot] = running
                running = int32(running + value)
            if warp_barriers:
                cuda.syncwarp()
            else:
                cuda.syncthreads()
        for k in range(items):
            i = start + uint64(k) * stride
            if full or base + i < size:
                out[base + i] = int32(tile[_padded(i)] + offset)

    return look_back_scan


class _LookBackState:
    """What the look-back scan keeps on the device for one number of tiles, across calls: the tiles' status
    words and the tile counter. ``epoch`` numbers the calls, and a status word counts only when its tag carries
    the current epoch, so the words an earlier call left behind read as "not published yet" and nothing is
    cleared between calls (no extra launch or copy per call)."""

    def __init__(self, tiles: int):
        self.status = cuda.to_device(np.zeros(tiles, dtype=np.int64))
        self.counter = cuda.to_device(np.zeros(1, dtype=np.uint32))
        self.epoch = 0

    def next_epoch(self) -> int:
        self.epoch += 1
        if self.epoch > MAX_EPOCH:  # a billion calls later: start the numbering again on cleared words
            self.status.copy_to_device(np.zeros(self.status.size, dtype=np.int64))
            self.epoch = 1
        return self.epoch


@functools.lru_cache(maxsize=32)
def _look_back_state(tiles: int) -> _LookBackState:
    return _LookBackState(tiles)


def look_back_scan_device(a, out, build: LookBackConfig = LOOK_BACK, **changes):
    """out[i] = a[0] + ... + a[i-1] (int32 device arrays) in one launch, by decoupled look-back; asynchronous,
    returns out. ``build`` picks the kernel; keywords change its fields (``threads=64, items=2``)."""
    if changes:
        build = dataclasses.replace(build, **changes)
    n = a.shape[0]
    if n == 0:
        return out
    tiles = (n + build.tile - 1) // build.tile
    state = _look_back_state(tiles)
    look_back_kernel(build)[tiles, build.threads](a, out, state.status, state.counter, state.next_epoch())
    return out


def exclusive_scan_device(a, out):
    """out[i] = a[0] + ... + a[i-1] (int32 device arrays) by ``ALGORITHM``; launches asynchronously and
    returns out."""
    if ALGORITHM is Algorithm.LOOK_BACK:
        return look_back_scan_device(a, out)
    return reduce_then_scan_device(a, out)


def find_repeats_device(a, out, count):
    """Write the ascending repeat indices into out[:k] and k into count[0] (all device arrays); asynchronous."""
    pairs = max(a.shape[0] - 1, 0)
    if pairs == 0:
        count.copy_to_device(np.zeros(1, dtype=np.int32))
        return count
    tiles = (pairs + TILE - 1) // TILE
    offsets = _tile_offsets(_tile_repeat_counts, tiles, a, pairs)
    _tile_repeat_scatter[tiles, THREADS](a, pairs, offsets, out, count)
    return count


def exclusive_scan(a):
    """Return out (int32[n]) with out[i] = a[0] + ... + a[i-1] and out[0] = 0: copy in, scan, copy out."""
    if a.size == 0:
        return np.empty(0, dtype=np.int32)
    a_device = cuda.to_device(a)
    out = cuda.device_array(a.size, dtype=np.int32)
    return exclusive_scan_device(a_device, out).copy_to_host()


def find_repeats(a):
    """Return the ascending indices i (int32) with a[i] == a[i+1]: copy in, find, copy the k indices out."""
    if a.size < 2:
        return np.empty(0, dtype=np.int32)
    a_device = cuda.to_device(a)
    out = cuda.device_array(a.size - 1, dtype=np.int32)
    count = cuda.device_array(1, dtype=np.int32)
    find_repeats_device(a_device, out, count)
    k = int(count.copy_to_host()[0])
    return out[:k].copy_to_host() if k else np.empty(0, dtype=np.int32)

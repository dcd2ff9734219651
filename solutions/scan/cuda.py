"""Exclusive scan and find_repeats on a CUDA GPU with numba.cuda: reduce, scan the tile totals, scan the tiles.

The array is cut into tiles of ``TILE`` = ``THREADS`` x ``ITEMS`` elements, one thread block a tile. Three
launches, for any n (no rounding up to a power of two):

1. ``_tile_totals``: every block sums its tile (one int32 per tile).
2. the tile totals are exclusive-scanned, by this same algorithm, recursively (2**28 elements make 131,072
   tiles, a second level of 64, a third of one), giving each tile its offset;
3. ``_tile_scan``: every block scans its tile and adds the tile's offset as it writes.

This is *reduce-then-scan*: 12 bytes an element through device memory (read a twice, write out once) against 16
for the course's scan-then-add (write the partial scan, read it back to add the offsets). On an H100 it is bound
by memory bandwidth, about 3 TB/s; the best possible for these 12 bytes is 2/3 of copy speed counted as 8 bytes.

Inside a block (``_tile_scan``), four steps, each chosen for the memory system:

* load the tile into shared memory *striped* (thread t reads elements t, t + THREADS, ...): consecutive
  threads read consecutive addresses, so each warp's load coalesces into full 128-byte transactions;
* each thread then scans its own ``ITEMS`` *consecutive* elements from shared memory: serial work with no
  synchronisation, which is what makes the algorithm work-efficient (O(n) adds in total);
* the ``THREADS`` per-thread totals are scanned by a work-efficient up-sweep/down-sweep (Blelloch) in shared
  memory (2 log2(THREADS) steps, the course's algorithm) to give each thread its offset;
* the scanned tile goes back to global memory striped, coalesced again.

Shared memory is padded (one spare word every 32) so that thread-consecutive access (stride ``ITEMS``) hits 32
different banks. The simulator (NUMBA_ENABLE_CUDASIM=1) uses tiny tiles so that tiny inputs still exercise
several tiles and two levels of recursion.

find_repeats is the same three launches over the n - 1 pairs, with flag = (a[i] == a[i+1]) in place of a[i]:
count the flags per tile, scan the counts, then each block scans its flags to get each repeat's output slot and
scatters the indices (flags, scan, scatter). The flags are recomputed from a instead of stored: 4 bytes
re-read (from cache) instead of 8 written and read.

Device-resident entry points (kernel-only timing; arrays already on the GPU, launches asynchronous):

* ``exclusive_scan_device(a, out)``: a, out int32[n] device arrays.
* ``find_repeats_device(a, out, count)``: a int32[n], out int32[max(n - 1, 0)], count int32[1]; writes the k
  repeat indices into out[:k] and k into count[0], on the device, so no host round trip stalls the launch.
"""

import functools

import numpy as np
from numba import config, cuda, int32

if config.ENABLE_CUDASIM:
    THREADS, ITEMS = 32, 4  # 128-element tiles: inputs of a few hundred elements already span several tiles
else:
    THREADS, ITEMS = 256, 8  # 2,048-element tiles; 8 loads in flight per thread hide memory latency
TILE = THREADS * ITEMS
BANKS = 32
PADDED_TILE = TILE + TILE // BANKS


@cuda.jit(device=True, inline=True)
def _padded(i):
    """Shared-memory slot of tile element i: one spare word every 32 keeps strided access conflict-free."""
    return i + i // BANKS


@cuda.jit(device=True)
def _block_exclusive_scan(value, scratch):
    """Exclusive scan of one value per thread across the block; returns (this thread's sum of the values of
    the threads before it, the block's total). Work-efficient up-sweep/down-sweep over ``THREADS`` (a power of
    two) values in shared memory ``scratch``; every thread of the block must call it."""
    t = cuda.threadIdx.x
    scratch[t] = value
    # Up-sweep: build partial sums in a balanced tree; scratch[THREADS - 1] ends up holding the total.
    stride = 1
    while stride < THREADS:
        cuda.syncthreads()
        right = (t + 1) * 2 * stride - 1
        if right < THREADS:
            scratch[right] += scratch[right - stride]
        stride *= 2
    cuda.syncthreads()
    total = scratch[THREADS - 1]
    cuda.syncthreads()  # everyone has read the total before the root is cleared
    if t == 0:
        scratch[THREADS - 1] = 0
    # Down-sweep: push prefixes back down the tree; each left child takes its parent's prefix, each right child
    # its parent's prefix plus the left sibling's sum.
    stride = THREADS // 2
    while stride >= 1:
        cuda.syncthreads()
        right = (t + 1) * 2 * stride - 1
        if right < THREADS:
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
        exclusive_scan_device(totals, offsets)
    return offsets


def exclusive_scan_device(a, out):
    """out[i] = a[0] + ... + a[i-1] (int32 device arrays); launches asynchronously and returns out."""
    n = a.shape[0]
    if n == 0:
        return out
    tiles = (n + TILE - 1) // TILE
    offsets = _tile_offsets(_tile_totals, tiles, a)
    _tile_scan[tiles, THREADS](a, offsets, out)
    return out


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

"""Exclusive scan and find_repeats with explicit CPU threads: a blocked two-pass scan, reduce then scan.

The array is cut into ``num_threads`` contiguous chunks, one per thread. A scan looks sequential (element i
needs the sum of everything before it), but the sum of a chunk does not depend on the chunks before it, so:

1. **Reduce** (parallel): each thread sums its own chunk. This is a pure reduction: iterations are
   independent apart from the accumulator, so the compiler vectorizes it (packed adds, several sums at once)
   and it runs at memory speed, 4 bytes read an element.
2. **Scan the chunk sums** (serial, tiny): ``chunk_offset[t] = total[0] + ... + total[t-1]``:
   ``num_threads`` numbers.
3. **Scan** (parallel): each thread scans its chunk starting from its offset, so the offset is added on the
   way and no third pass is needed. 8 bytes an element (read a, write out).

Cost model: 12 bytes of memory traffic an element over two passes, against 8 for a serial scan, bought back by
running both passes on every core. The scan pass is the expensive one: its loop-carried dependency
(``running += a[i]``) keeps the compiler from vectorizing it, so it is written four elements a group: the
in-group partial sums do not depend on ``running``, which is then advanced once per group (one dependent add
per four elements instead of four). The compiler still emits scalar code for it, but the core overlaps the
independent adds and runs ahead on the loads (measured: 1.7-2x the plain loop out of cache). On 2 cores at
n = 2**24: see assignments/scan/README.md for the figures.

find_repeats is the same pattern with the flags computed on the fly: pass 1 counts the repeats in each chunk
(a compare and a sum: vectorizes), the counts are scanned into each chunk's first output slot, and pass 2
scatters each chunk's indices from there: flags, scan, scatter, without materialising the flags.

Chunks are contiguous so each thread streams its own region of memory, and equal-size chunks balance the load
because every element costs the same.
"""

import os
import threading

import numpy as np
from numba import njit


def _chunk_bounds(n: int, num_threads: int) -> list[int]:
    """Thread t owns [bounds[t], bounds[t+1]); the last chunk ends exactly at n, however n divides."""
    return [n * t // num_threads for t in range(num_threads + 1)]


def _run_threads(target, argument_lists) -> None:
    """Run ``target(*arguments)`` once per argument list, each in its own thread, and wait for all."""
    threads = [threading.Thread(target=target, args=arguments) for arguments in argument_lists]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


# Each kernel gets its chunk as slices (views) and loops from 0: with indices provably >= 0 the compiler drops
# numba's negative-index check from the loop, which is what lets it vectorize the reductions.
@njit(nogil=True, cache=True)
def _chunk_total(chunk, totals, t):
    """totals[t] = the sum of chunk; a reduction, so it vectorizes (int32 adds wrap like the scan's)."""
    total = np.int32(0)
    for i in range(chunk.size):
        total = np.int32(total + chunk[i])
    totals[t] = total


@njit(nogil=True, cache=True)
def _chunk_scan(chunk, offset, out):
    """out[i] = offset + chunk[0] + ... + chunk[i-1], four elements a group."""
    running = np.int32(offset)
    groups = chunk.size // 4
    for g in range(groups):
        i = 4 * g
        # The group's own partial sums need nothing from ``running``: the core computes them while the previous
        # group's add is still in flight, and the one dependent add per group is the only serial work.
        first = chunk[i]
        first_two = first + chunk[i + 1]
        first_three = first_two + chunk[i + 2]
        out[i] = running
        out[i + 1] = running + first
        out[i + 2] = running + first_two
        out[i + 3] = running + first_three
        running = np.int32(running + first_three + chunk[i + 3])
    for i in range(4 * groups, chunk.size):
        out[i] = running
        running = np.int32(running + chunk[i])


@njit(nogil=True, cache=True)
def _chunk_repeat_count(pairs, counts, t):
    """counts[t] = how many i have pairs[i] == pairs[i+1] (pairs: the chunk plus its right neighbour)."""
    count = 0
    for i in range(pairs.size - 1):
        count += pairs[i] == pairs[i + 1]  # no branch: a packed compare and a sum
    counts[t] = count


@njit(nogil=True, cache=True)
def _chunk_repeat_scatter(pairs, first_index, first_slot, out):
    """Write first_index + i for each repeat pairs[i] == pairs[i+1] into out, from out[first_slot] on."""
    slot = first_slot
    for i in range(pairs.size - 1):
        if pairs[i] == pairs[i + 1]:
            out[slot] = first_index + i
            slot += 1


def exclusive_scan(a, num_threads=None):
    """Return out (int32[n]) with out[i] = a[0] + ... + a[i-1] and out[0] = 0, on ``num_threads`` threads."""
    num_threads = num_threads or os.cpu_count() or 1
    n = a.size
    out = np.empty(n, dtype=np.int32)
    bounds = _chunk_bounds(n, num_threads)
    totals = np.zeros(num_threads, dtype=np.int32)
    chunks = [slice(bounds[t], bounds[t + 1]) for t in range(num_threads)]
    _run_threads(_chunk_total, [(a[chunk], totals, t) for t, chunk in enumerate(chunks)])
    offsets = np.zeros(num_threads, dtype=np.int32)  # exclusive scan of the chunk totals
    np.cumsum(totals[:-1], dtype=np.int32, out=offsets[1:])
    _run_threads(_chunk_scan, [(a[chunk], offsets[t], out[chunk]) for t, chunk in enumerate(chunks)])
    return out


def find_repeats(a, num_threads=None):
    """Return the ascending indices i (int32) with a[i] == a[i+1], found by ``num_threads`` threads."""
    num_threads = num_threads or os.cpu_count() or 1
    pairs = max(a.size - 1, 0)  # candidate indices 0 .. n-2: the last element has no right neighbour
    bounds = _chunk_bounds(pairs, num_threads)
    counts = np.zeros(num_threads, dtype=np.int64)
    # Thread t owns pairs [bounds[t], bounds[t+1]): the elements up to bounds[t+1] inclusive.
    windows = [a[bounds[t] : bounds[t + 1] + 1] if bounds[t] < bounds[t + 1] else a[:0] for t in range(num_threads)]
    _run_threads(_chunk_repeat_count, [(windows[t], counts, t) for t in range(num_threads)])
    first_slots = np.zeros(num_threads, dtype=np.int64)  # exclusive scan of the counts
    np.cumsum(counts[:-1], out=first_slots[1:])
    out = np.empty(int(counts.sum()), dtype=np.int32)
    _run_threads(_chunk_repeat_scatter, [(windows[t], bounds[t], first_slots[t], out) for t in range(num_threads)])
    return out

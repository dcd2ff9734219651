"""Exclusive scan and find_repeats on a CUDA GPU with numba.cuda. Read README.md (in this folder) first.

Write, for int32 arrays of ANY length n (not only powers of two):

* ``exclusive_scan_device(a, out)``: a and out are int32[n] device arrays; write the exclusive scan of a into
  out. Launch kernels and return: do not copy anything to the host (the grader times this function).
* ``find_repeats_device(a, out, count)``: a is int32[n], out int32[max(n-1, 0)], count int32[1], all device
  arrays; write the ascending indices i with a[i] == a[i+1] into out[:k] and k into count[0], on the device.
* ``exclusive_scan(a)`` / ``find_repeats(a)``: host arrays in and out; they are written for you below, on top
  of the two device functions.

Runs on numba's CUDA simulator where there is no GPU (slow: keep test inputs small), on a real GPU otherwise.
Grade it with:  python -m grader scan --variant cuda
"""

import numpy as np
from numba import cuda, int32  # noqa: F401  (int32: for cuda.shared.array(SIZE, int32) in your kernels)

THREADS = 256  # threads per block: a power of two, a multiple of the 32-thread warp


# TODO (1 of 3): kernels. The suggested plan (README.md, "The CUDA plan"), for tiles of TILE elements, one block
# each: (a) a kernel that sums each tile into totals[block]; (b) scan those totals by calling
# exclusive_scan_device on them (recursion: they are far fewer); (c) a kernel that loads its tile into shared
# memory, scans it (up-sweep/down-sweep, or each thread scanning a few consecutive elements and a block scan of
# the thread totals), adds the tile's offset and writes it out. Guard every access past n.


def exclusive_scan_device(a, out):
    """Write the exclusive scan of device array a into device array out (asynchronously) and return out."""
    # TODO (2 of 3): launch your kernels (n = 0 must work: launch nothing).
    raise NotImplementedError("TODO: launch the scan kernels in exclusive_scan_device")


def find_repeats_device(a, out, count):
    """Write the repeat indices into out[:k] and k into count[0] (device arrays, asynchronously)."""
    # TODO (3 of 3): flags (a[i] == a[i+1] for i < n-1), their exclusive scan (each repeat's slot in out), and a
    # kernel that scatters out[slot[i]] = i where the flag is set and writes count[0] = total.
    raise NotImplementedError("TODO: flags, scan and scatter in find_repeats_device")


def exclusive_scan(a):
    """Return the exclusive scan of host array a (int32): copy in, scan on the GPU, copy out."""
    if a.size == 0:
        return np.empty(0, dtype=np.int32)
    out = cuda.device_array(a.size, dtype=np.int32)
    return exclusive_scan_device(cuda.to_device(a), out).copy_to_host()


def find_repeats(a):
    """Return the repeat indices of host array a (int32): copy in, find on the GPU, copy the k indices out."""
    if a.size < 2:
        return np.empty(0, dtype=np.int32)
    out = cuda.device_array(a.size - 1, dtype=np.int32)
    count = cuda.device_array(1, dtype=np.int32)
    find_repeats_device(cuda.to_device(a), out, count)
    k = int(count.copy_to_host()[0])
    return out[:k].copy_to_host() if k else np.empty(0, dtype=np.int32)

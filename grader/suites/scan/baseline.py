"""Trusted code that runs inside the benchmark's child processes for scan.

* :func:`make_inputs` builds the benchmark's input deterministically: rand() % 10, as in the course.
* :func:`exclusive_scan` / :func:`find_repeats`: the serial baseline, one plain compiled loop on one core.
* :func:`numpy_exclusive_scan` / :func:`numpy_find_repeats`: the numpy peers (``np.cumsum(a, dtype=np.int32)``
  and ``np.flatnonzero``), the serial baseline of the threaded variant, so its report shows the speedup over
  what a numpy user would write.
* GPU staging: :func:`to_device_scan` / :func:`to_device_repeats` put the input (and the preallocated output)
  on the GPU for the device-resident entry points, :func:`from_device_scan` / :func:`from_device_repeats` bring
  the answer back; :func:`to_cupy` and :func:`cupy_exclusive_scan` / :func:`cupy_find_repeats` are the CuPy
  peers of the CUDA variant (``cupy.cumsum``), timed in the same run as its baseline. Without CuPy the peers
  fall back to numpy on the host (the report then says so through the time).

Device-resident contract (see assignments/scan/README.md):

* ``exclusive_scan_device(a, out)``: a and out int32 device arrays of length n; writes the scan into out.
* ``find_repeats_device(a, out, count)``: a int32[n], out int32[max(n - 1, 0)], count int32[1], all on the
  device; writes the k indices into out[:k] and k into count[0]. Nothing returns to the host, so the launch
  stays asynchronous and the timing measures the kernels alone.
"""

import numpy as np
from numba import njit


def make_inputs(n: int, seed: int = 0):
    return (np.random.default_rng(seed).integers(0, 10, n, dtype=np.int32),)


# -- serial baseline: the obvious loops -----------------------------------------------------------------------
@njit(cache=True)
def _scan_loop(a, out):
    running = 0
    for i in range(a.size):
        out[i] = running
        running += a[i]


@njit(cache=True)
def _repeats_loop(a, out):
    count = 0
    for i in range(a.size - 1):
        if a[i] == a[i + 1]:
            out[count] = i
            count += 1
    return count


def exclusive_scan(a):
    out = np.empty_like(a)
    _scan_loop(a, out)
    return out


def find_repeats(a):
    out = np.empty(max(a.size - 1, 0), dtype=np.int32)
    return out[: _repeats_loop(a, out)].copy()


# -- numpy peers ---------------------------------------------------------------------------------------------
def numpy_exclusive_scan(a):
    out = np.empty_like(a)
    if a.size:
        out[0] = 0
        np.cumsum(a[:-1], dtype=np.int32, out=out[1:])
    return out


def numpy_find_repeats(a):
    return np.flatnonzero(a[:-1] == a[1:]).astype(np.int32)


# -- GPU staging for the device-resident entry points ---------------------------------------------------------
def to_device_scan(a):
    """Arguments of ``exclusive_scan_device(a, out)``, on the GPU."""
    from numba import cuda

    return cuda.to_device(a), cuda.device_array(a.size, dtype=np.int32)


def from_device_scan(args, returned):
    return args[1].copy_to_host()


def to_device_repeats(a):
    """Arguments of ``find_repeats_device(a, out, count)``, on the GPU."""
    from numba import cuda

    return (
        cuda.to_device(a),
        cuda.device_array(max(a.size - 1, 0), dtype=np.int32),
        cuda.device_array(1, dtype=np.int32),
    )


def from_device_repeats(args, returned):
    count = int(args[2].copy_to_host()[0])
    return args[1][:count].copy_to_host() if count else np.empty(0, dtype=np.int32)


# -- CuPy peers (the CUDA variant's baseline) -----------------------------------------------------------------
def to_cupy(a):
    """(a, out) on the GPU as CuPy arrays; on the host if CuPy is not installed."""
    try:
        import cupy
    except ImportError:
        return a, np.empty_like(a)
    return cupy.asarray(a), cupy.empty(a.size, dtype=cupy.int32)


def cupy_exclusive_scan(a, out):
    """``cupy.cumsum`` of int32 into int32: the inclusive scan, the same traffic as an exclusive one."""
    if isinstance(a, np.ndarray):
        np.cumsum(a, dtype=np.int32, out=out)
        return out
    import cupy

    return cupy.cumsum(a, dtype=cupy.int32, out=out)


def cupy_find_repeats(a, out):
    """The indices of equal neighbours with CuPy (a compare, then ``flatnonzero``'s scan and scatter)."""
    xp = np
    if not isinstance(a, np.ndarray):
        import cupy as xp
    return xp.flatnonzero(a[:-1] == a[1:])

"""What this machine can run: CPU cores, a CUDA GPU, an MPI launcher.

The grader asks before it runs a task, so that a task this machine cannot run is reported as skipped, with
the reason, instead of failing. Nothing here imports numba: probing must be cheap and must not create a
CUDA context in the grader's own process.
"""

from __future__ import annotations

import ctypes
import functools
import importlib.util
import os
import shutil

from grader import settings


def cores() -> int:
    """CPU cores this process may use (respects taskset / container limits)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS has no affinity API
        return os.cpu_count() or 1


@functools.cache
def cuda_gpu() -> str | None:
    """The name of the first CUDA GPU, or None. ``PARLAB_NO_GPU=1`` pretends there is none."""
    if settings.NO_GPU.read():
        return None
    for library in ("libcuda.so.1", "libcuda.so", "nvcuda.dll"):
        try:
            driver = ctypes.CDLL(library)
            break
        except OSError:
            continue
    else:
        return None
    count = ctypes.c_int(0)
    if driver.cuInit(0) != 0 or driver.cuDeviceGetCount(ctypes.byref(count)) != 0 or count.value < 1:
        return None
    name = ctypes.create_string_buffer(256)
    device = ctypes.c_int(0)
    if driver.cuDeviceGet(ctypes.byref(device), 0) != 0:
        return "CUDA GPU"
    driver.cuDeviceGetName(name, 256, device)
    return name.value.decode(errors="replace") or "CUDA GPU"


MPI_INSTALL_HINT = 'pip install -e ".[mpi]"  (mpi4py and MPICH from PyPI)'


@functools.cache
def mpi_launcher() -> str | None:
    """The path of ``mpiexec`` if it and mpi4py are installed, else None."""
    if settings.NO_MPI.read() or importlib.util.find_spec("mpi4py") is None:
        return None
    return shutil.which("mpiexec")


def total_memory_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30

"""Planted: reads the reference's compiled code from numba's cache, where the reference solutions (another uid)
keep their compiled kernels between runs: lists that cache, then the directory numba itself would use for
``solutions/saxpy/threaded.py``. It reports what it got, or what stopped it; it never answers right."""

import hashlib
import os
from pathlib import Path

import grader


def saxpy(a, x, y, num_threads=None):
    reference_dir = str(Path(grader.__file__).resolve().parent.parent / "solutions" / "saxpy")
    numba_caches = Path(os.environ.get("PARLAB_CACHE_DIR") or "/var/cache/parlab") / "numba"
    outcomes = []
    for cache in sorted(numba_caches.glob("trusted*")):
        entries = cache / f"saxpy_{hashlib.sha1(reference_dir.encode()).hexdigest()}"  # numba's own naming
        for what, path in (("listing it", cache), ("its saxpy entries", entries)):
            try:
                outcomes.append(f"{what}: listed {sorted(os.listdir(path))[:3]}")
            except OSError as error:
                outcomes.append(f"{what}: {error.strerror}")
    raise RuntimeError(f"could not read the reference's numba cache: {'; '.join(outcomes) or 'none found'}")

"""Planted: reads the reference's compiled code from numba's cache, where the reference solutions (another uid)
keep their compiled kernels between runs: lists that cache, then the directory numba itself would use for
``solutions/saxpy/threaded.py``. It reports what it got, or what stopped it; it never answers right."""

import hashlib
import os
from pathlib import Path

import grader
import grader.settings


def saxpy(a, x, y, num_threads=None):
    reference_dir = str(Path(grader.__file__).resolve().parent.parent / "solutions" / "saxpy")
    # Named, not globbed: a glob of a directory it cannot see answers "nothing" and would hide the refusal.
    cache = grader.settings.shared_cache_root() / "numba" / f"trusted-{grader.settings.TRUSTED_UID.read()}"
    outcomes = []
    entries = cache / f"saxpy_{hashlib.sha1(reference_dir.encode()).hexdigest()}"  # numba's own naming
    for what, path in (("listing it", cache), ("its saxpy entries", entries)):
        try:
            outcomes.append(f"{what}: listed {sorted(os.listdir(path))[:3]}")
        except OSError as error:
            outcomes.append(f"{what}: {error.strerror}")
    raise RuntimeError(f"could not read the reference's numba cache: {'; '.join(outcomes)}")

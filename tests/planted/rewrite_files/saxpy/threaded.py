"""Planted: tries, through libc (no Python file call for the audit hook to see), to change what later
gradings run: append to a grader module, drop a ``.pth`` file into site-packages (run by every Python start),
and write into the reference's numba cache. If any write worked it answers correctly (the attack paid);
otherwise it fails saying what stopped each write."""

import ctypes
import os
import site
import sysconfig

import numpy as np

import grader

libc = ctypes.CDLL(None, use_errno=True)
CHECKOUT = os.path.dirname(os.path.dirname(os.path.realpath(grader.__file__)))


def _write(path: str) -> str:
    fd = libc.open(path.encode(), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    if fd < 0:
        return os.strerror(ctypes.get_errno())
    libc.write(fd, b"\n# planted\n", 11)
    libc.close(fd)
    return "written"


def _targets():
    yield "grader module", os.path.join(CHECKOUT, "grader", "suites", "saxpy", "oracle.py")
    for directory in {sysconfig.get_paths()["purelib"], *site.getsitepackages()}:
        yield ".pth file", os.path.join(directory, "zz_planted.pth")
    for cache_root in (os.environ.get("PARLAB_CACHE_DIR"), "/var/cache/parlab"):
        if cache_root and os.path.isdir(os.path.join(cache_root, "numba")):
            for entry in os.listdir(os.path.join(cache_root, "numba")):
                if entry.startswith("trusted"):
                    yield "numba cache", os.path.join(cache_root, "numba", entry, "planted.nbi")


def saxpy(a, x, y, num_threads=None):
    outcomes = [(what, _write(path)) for what, path in _targets()]
    if any(outcome == "written" for _, outcome in outcomes):
        return np.float32(a) * x + y
    raise RuntimeError("could not write: " + "; ".join(f"{what}: {outcome}" for what, outcome in outcomes))

"""Planted: swaps a path between the audit hook's check and the open. It opens a symbolic link that points
at a harmless file; its own audit hook, which runs after the sandbox's, re-points the link at the reference
solution (through libc, so no audit event names the solution) once the sandbox has looked. If it got the
file it answers with the reference's code; otherwise it says so."""

import ctypes
import os
import sys
import tempfile

import grader

CHECKOUT = os.path.dirname(os.path.dirname(os.path.realpath(grader.__file__)))
SOLUTION = os.path.join(CHECKOUT, "solutions", "saxpy", "threaded.py")
libc = ctypes.CDLL(None, use_errno=True)
LINK = os.path.join(tempfile.mkdtemp(), "peek.py")


def _swap(event, args):
    if event == "open" and args and args[0] == LINK:
        libc.unlink(LINK.encode())
        libc.symlink(SOLUTION.encode(), LINK.encode())


sys.addaudithook(_swap)


def saxpy(a, x, y, num_threads=None):
    libc.unlink(LINK.encode())
    libc.symlink(os.path.join(CHECKOUT, "README.md").encode(), LINK.encode())
    try:
        stolen = open(LINK).read()
    except OSError as error:
        raise RuntimeError(f"could not read the solutions: {error.strerror}") from None
    if "def saxpy" not in stolen:
        raise RuntimeError("could not read the solutions: the swap came too late")
    namespace = {}
    exec(compile(stolen, "stolen", "exec"), namespace)
    return namespace["saxpy"](a, x, y, num_threads)

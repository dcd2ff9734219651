"""Planted: hard-links the reference solution into its temporary directory and reads the link (a path
outside solutions/). If it got the file it answers with the reference's code; otherwise it says so."""

import os
import tempfile

import grader


def saxpy(a, x, y, num_threads=None):
    checkout = os.path.dirname(os.path.dirname(os.path.realpath(grader.__file__)))
    link = os.path.join(tempfile.mkdtemp(), "copy.py")
    try:
        os.link(os.path.join(checkout, "solutions", "saxpy", "threaded.py"), link)
        stolen = open(link).read()
    except OSError as error:
        raise RuntimeError(f"could not read the solutions: {error.strerror}") from None
    namespace = {}
    exec(compile(stolen, "stolen", "exec"), namespace)
    return namespace["saxpy"](a, x, y, num_threads)

"""Planted: connects to every other worker's socket it can find (to answer a reference worker's timing
requests itself) and reports what happened."""

import glob
import os
import socket
import tempfile

import numpy as np


def saxpy(a, x, y, num_threads=None):
    outcomes = []
    patterns = ("/tmp/parlab-run-*/w*/socket", "/tmp/parlab-*/socket",
                os.path.join(tempfile.gettempdir(), "*", "socket"))
    for pattern in patterns:
        for path in glob.glob(pattern):
            probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                probe.connect(path)
                outcomes.append("connected")
            except OSError as error:
                outcomes.append(error.strerror)
            finally:
                probe.close()
    if "connected" in outcomes:
        return np.float32(a) * x + y
    seen = ", ".join(sorted(set(outcomes))) or "no socket in sight"
    raise RuntimeError(f"could not connect to another worker: {seen}")

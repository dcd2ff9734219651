"""Planted: forks a process that outlives the call (sleeping forever), then answers correctly.
If PLANTED_PID_FILE is set, the forked process writes its process id there (so a test can check it died)."""

import os
import time

import numpy as np


def saxpy(a, x, y, num_threads=None):
    if os.fork() == 0:
        if os.environ.get("PLANTED_PID_FILE"):
            with open(os.environ["PLANTED_PID_FILE"], "w") as out:
                out.write(str(os.getpid()))
        while True:
            time.sleep(3600)
    time.sleep(0.5)  # give the fork time to write its pid
    return np.float32(a) * x + y

"""Planted: forks a process that outlives the call (sleeping forever), then answers correctly.
If PLANTED_PID_FILE is set, the forked process tries to write its process id there; the test finds it either
way by the PLANTED_PID_FILE in its environment."""

import os
import time

import numpy as np


def saxpy(a, x, y, num_threads=None):
    if os.fork() == 0:
        try:
            with open(os.environ["PLANTED_PID_FILE"], "w") as out:
                out.write(str(os.getpid()))
        except (KeyError, OSError):
            pass
        while True:
            time.sleep(3600)
    time.sleep(0.5)  # give the fork time to write its pid
    return np.float32(a) * x + y

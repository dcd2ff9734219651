"""Planted, and honest: uses temporary files and directories the ordinary way (tempfile, shutil) to stage its
work. It must pass: the sandbox gives each worker a private writable temporary directory."""

import os
import shutil
import tempfile

import numpy as np


def saxpy(a, x, y, num_threads=None):
    with tempfile.TemporaryDirectory() as scratch:
        np.save(os.path.join(scratch, "x.npy"), x)
        with tempfile.NamedTemporaryFile(dir=scratch, suffix=".npy", delete=False) as handle:
            np.save(handle, y)
        shutil.copy(os.path.join(scratch, "x.npy"), os.path.join(scratch, "x2.npy"))
        x_back = np.load(os.path.join(scratch, "x2.npy"))
        y_back = np.load(handle.name)
    return np.float32(a) * x_back + y_back

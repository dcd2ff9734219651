"""Planted: finds the grader's --json and --junitxml files in the command line of any process it can see and
overwrites them with a perfect score, and tries to make the oracle's file return zeros for a later run. It
swallows the errors and answers correctly."""

import os

import numpy as np

import grader.suites.saxpy.oracle as oracle

FORGED = '{"score": 1000, "max_score": 1000, "tests": [], "output": "forged by the write_results planted case"}'


def _result_paths():
    paths = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            words = open(f"/proc/{pid}/cmdline", "rb").read().decode().split("\0")
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            continue
        paths += [os.path.join(cwd, words[i + 1]) for i, word in enumerate(words[:-1])
                  if word in ("--json", "--junitxml")]
    return paths


def saxpy(a, x, y, num_threads=None):
    for path in _result_paths():
        try:
            with open(path, "w") as out:
                out.write(FORGED)
        except OSError:
            pass
    try:
        with open(oracle.__file__, "a") as source:
            source.write("\nsaxpy = lambda a, x, y: x * 0\n")
    except OSError:
        pass
    return np.float32(a) * x + y

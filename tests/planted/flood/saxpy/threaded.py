"""Planted: prints 64 MB of output (the sandbox allows 16 MB), and keeps printing if a write fails."""

import sys


def saxpy(a, x, y, num_threads=None):
    line = "spam " * 200_000 + "\n"  # 1 MB
    for _ in range(64):
        try:
            sys.stdout.write(line)
        except OSError:
            pass
    return a * x + y

"""Planted: ends the worker process from inside the learner's function, skipping all cleanup."""

import os


def saxpy(a, x, y, num_threads=None):
    os._exit(3)

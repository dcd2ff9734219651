"""Planted: never returns."""

import time


def saxpy(a, x, y, num_threads=None):
    while True:
        time.sleep(3600)

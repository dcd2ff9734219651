"""Planted: the function each thread runs raises a TypeError (a float used as a slice index, the most common
slip when splitting n into chunks). Without the grader's help the threads die quietly and saxpy returns an
array nobody filled."""

import threading

import numpy as np


def _work(a, x, y, result, t, num_threads):
    chunk = x.size / num_threads  # the slip: / gives a float; // was meant
    start, stop = t * chunk, (t + 1) * chunk
    result[start:stop] = a * x[start:stop] + y[start:stop]


def saxpy(a, x, y, num_threads=None):
    num_threads = num_threads or 2
    result = np.empty_like(x)
    threads = [threading.Thread(target=_work, args=(np.float32(a), x, y, result, t, num_threads))
               for t in range(num_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return result

"""What every dnn variant shares: output shapes and the thread split. Nothing here is a TODO.

Shapes (float32 throughout):

* layernorm: x [rows, features], weight and bias [features]; mean and rstd [rows].
* attention: q, k, v [heads, seq, dim]; the output [heads, seq, dim].
* conv2d: x [n, c_in, h, w] (NCHW), w [c_out, c_in, kh, kw], bias [c_out]; the output [n, c_out, h_out, w_out]
  with h_out = (h + 2 padding - kh) // stride + 1 (and likewise w_out): see :func:`conv_output_size`.
"""

from __future__ import annotations

import threading

import numpy as np
from numba import njit

LOG2E = np.float32(1.4426950408889634)
LN2_HIGH = np.float32(0.693359375)  # ln 2 split in two: LN2_HIGH has few bits, so n * LN2_HIGH is exact
LN2_LOW = np.float32(-2.12194440e-4)


@njit(nogil=True, cache=True, fastmath={"contract"})
def exp_inplace(values, count):
    """values[:count] = exp(values[:count]) for arguments <= 0 (softmax's, after subtracting the maximum),
    within 2 ulp, in a loop the compiler vectorizes.

    ``math.exp`` in a loop is a call into the C library, one value at a time: no vector instructions, and at
    ~15 cycles a value it costs more than the 2 * dim multiply-adds that attention spends on each score. Here
    exp(x) = 2**n * exp(r) with n = round(x / ln 2) and r = x - n ln 2 in [-ln 2 / 2, ln 2 / 2]; exp(r) is a
    degree-7 polynomial (Horner's rule: 7 fused multiply-adds), and 2**n is added straight into the float's
    exponent bits (an integer add on the same memory, seen through an int32 view). Arguments below -87 give
    about 1e-38 instead of a subnormal: negligible against the row's largest weight, 1.
    """
    bits = values.view(np.int32)
    for j in range(count):
        x = max(values[j], np.float32(-87.0))
        n = np.floor(x * LOG2E + np.float32(0.5))
        r = (x - n * LN2_HIGH) - n * LN2_LOW
        p = np.float32(1.0 / 5040.0)
        p = p * r + np.float32(1.0 / 720.0)
        p = p * r + np.float32(1.0 / 120.0)
        p = p * r + np.float32(1.0 / 24.0)
        p = p * r + np.float32(1.0 / 6.0)
        p = p * r + np.float32(0.5)
        p = p * r + np.float32(1.0)
        p = p * r + np.float32(1.0)
        values[j] = p
        bits[j] += np.int32(n) << 23


def conv_output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Output positions along one axis: where a kernel of ``kernel`` taps, moved ``stride`` at a time, fits in
    the input padded by ``padding`` zeros on both sides."""
    return (size + 2 * padding - kernel) // stride + 1


def chunk_bounds(n: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` contiguous ranges [start, stop) covering [0, n) exactly, as equal as integers allow."""
    edges = [n * part // parts for part in range(parts + 1)]
    return [(edges[part], edges[part + 1]) for part in range(parts)]


def run_threads(target, argument_lists) -> None:
    """Run ``target(*arguments)`` in one thread per entry of ``argument_lists`` and wait for all of them.

    ``target`` should be a numba function compiled with ``nogil=True``: it then releases Python's global
    interpreter lock while it runs, so the threads really run at the same time.
    An exception in any thread is raised here, in the caller, once every thread has finished (a thread's
    exception would otherwise only be printed, and the caller would return a half-written result).
    """
    errors: list[BaseException] = []

    def guarded(*arguments):
        try:
            target(*arguments)
        except BaseException as error:  # noqa: BLE001 -- handed to the caller below
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=tuple(arguments)) for arguments in argument_lists]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]

"""The Mandelbrot oracle: what a correct ``mandelbrot(x0, y0, x1, y1, width, height, max_iters)`` returns, and
at which pixels a correct implementation may legitimately return something else.

The answer. Every step rounded to float32, in this order (the handout states the same)::

    x0, y0, x1, y1 = float32(x0), float32(y0), float32(x1), float32(y1)
    dx = (x1 - x0) / float32(width);  dy = (y1 - y0) / float32(height)
    pixel (j, i):  c_re = x0 + float32(i) * dx;  c_im = y0 + float32(j) * dy
    z_re, z_im = c_re, c_im;  count = 0
    while count < max_iters and not (z_re*z_re + z_im*z_im > 4):
        z_re, z_im = c_re + (z_re*z_re - z_im*z_im), c_im + 2*z_re*z_im
        count += 1

:func:`mandelbrot` computes exactly that with numpy float32 arrays: one IEEE rounding per operation, no fused
multiply-add. Any scalar, threaded or SIMD implementation that keeps the order is bit-identical to it, whatever
its decomposition, because a pixel's count depends on nothing but its own c.

Why a tolerance at all. A GPU compiler fuses ``a*b + c`` into one FMA by default (so does numba with
``fastmath={"contract"}`` on a CPU that has FMA): a fused step rounds once instead of twice. Away from the set's
boundary that changes nothing. Near it the map is chaotic: a difference of one ulp in z is multiplied by |2z| at
every step and after some dozens of steps decides whether and when the orbit escapes, so the count can change by
any amount. A bound on |count difference| is therefore useless; a bound on *where* counts may differ is not.

The rule: a running error bound along each orbit. Let u = 2**-24 (float32's unit roundoff) and let z_k be the
oracle's orbit. Another correct float32 implementation (rounding differently at any of the ~3 roundings of a
step) follows an orbit z'_k with |z'_k - z_k| <= delta_k to first order, where

    delta_0     = e_c = S * 2u (|c_re| + |c_im|)                      c itself rounds at most twice a coordinate
    delta_{k+1} = 2|z_k| delta_k + delta_k**2 + e_c + S * 3u (|z_k|**2 + |c|)
                  (|(z+d)**2 - z**2| <= 2|z||d| + |d|**2; each rounding errs by u times its operand, <= |z|^2+|c|)

and its escape test at step k sees |z'_k|**2 within 2|z_k| delta_k + delta_k**2 + S * 2u |z_k|**2 of the
oracle's |z_k|**2. If at any step up to the oracle's escape (or to max_iters) |z_k|**2 lies that close to 4,
another implementation may decide that step the other way: the pixel is *excused* and may hold any count in
[0, max_iters]. Every other pixel must equal the oracle exactly. S = 2 is a safety factor over the first-order
bound. :func:`excused` evaluates this (for the pixels asked about only, so checking a correct answer costs
nothing extra).

Measured on the two full 1600x1200 views (tests/test_mandelbrot_tolerance.py checks both sides): about 1.2% of
view 1's pixels and 24% of view 2's (a zoom into the boundary) are excused; a numba build with real FMA differs
from the oracle at 4,934 and 45,773 pixels and a float64 computation at 5,551 and 65,108, every one of them
excused. A skipped row or column (hundreds of pixels, most of them not excused), an off-by-one count (every
pixel wrong) and a transposed non-square image (wrong shape) all fail.
"""

from __future__ import annotations

import numpy as np

from grader.compare import UNIT_ROUNDOFF, expect_array
from grader.spec import Mismatch

SAFETY = 2.0  # factor over the first-order error bound (module doc)


def _grid(x0, y0, x1, y1, width: int, height: int, dtype=np.float32) -> tuple[np.ndarray, np.ndarray]:
    """c_re and c_im of every pixel, each [height, width], computed in the handout's order in ``dtype``."""
    x0, y0, x1, y1 = (dtype(np.float32(v)) for v in (x0, y0, x1, y1))
    dx = (x1 - x0) / dtype(width)
    dy = (y1 - y0) / dtype(height)
    c_re = x0 + np.arange(width, dtype=dtype) * dx
    c_im = y0 + np.arange(height, dtype=dtype) * dy
    return np.broadcast_to(c_re[None, :], (height, width)), np.broadcast_to(c_im[:, None], (height, width))


def _counts(c_re: np.ndarray, c_im: np.ndarray, max_iters: int) -> np.ndarray:
    """Escape counts for every c (any shape, any float dtype), in the handout's operation order.

    Only orbits still running are advanced, so the cost is the image's work, not pixels x max_iters.
    """
    counts = np.zeros(c_re.shape, dtype=np.int32)
    flat_counts = counts.reshape(-1)
    running = np.arange(c_re.size)  # flat indices of the orbits that have not escaped yet
    c_re, c_im = c_re.reshape(-1).copy(), c_im.reshape(-1).copy()
    z_re, z_im = c_re.copy(), c_im.copy()
    for _ in range(max_iters):
        re2, im2 = z_re * z_re, z_im * z_im
        inside = ~(re2 + im2 > 4)
        if not inside.all():
            running, c_re, c_im = running[inside], c_re[inside], c_im[inside]
            z_re, z_im, re2, im2 = z_re[inside], z_im[inside], re2[inside], im2[inside]
            if running.size == 0:
                break
        flat_counts[running] += 1
        z_re, z_im = c_re + (re2 - im2), c_im + 2 * z_re * z_im
    return counts


def mandelbrot(x0, y0, x1, y1, width: int, height: int, max_iters: int) -> np.ndarray:
    """The exact answer: int32[height, width], float32 throughout, in the handout's operation order."""
    return _counts(*_grid(x0, y0, x1, y1, width, height), max_iters)


def mandelbrot_float64(x0, y0, x1, y1, width: int, height: int, max_iters: int) -> np.ndarray:
    """The same computation carried out in float64 from the float32 corners (a more precise implementation,
    which the tolerance must accept: tests use it)."""
    return _counts(*_grid(x0, y0, x1, y1, width, height, dtype=np.float64), max_iters)


def excused(x0, y0, x1, y1, width: int, height: int, max_iters: int, rows=None, cols=None) -> np.ndarray:
    """bool for each pixel (rows[k], cols[k]) (default: the whole image, shaped [height, width]): whether its
    count may legitimately differ from the oracle's, by the running error bound of the module doc."""
    c_re, c_im = _grid(x0, y0, x1, y1, width, height)
    if rows is not None:
        c_re, c_im = c_re[rows, cols], c_im[rows, cols]
    shape = c_re.shape
    flags = np.zeros(c_re.size, dtype=bool)
    running = np.arange(c_re.size)
    c_re, c_im = c_re.reshape(-1).copy(), c_im.reshape(-1).copy()
    z_re, z_im = c_re.copy(), c_im.copy()
    c_size = np.hypot(c_re.astype(np.float64), c_im.astype(np.float64))
    c_error = SAFETY * 2 * UNIT_ROUNDOFF * (np.abs(c_re) + np.abs(c_im)).astype(np.float64)
    delta = c_error.copy()  # bound on |another implementation's z - the oracle's z|
    with np.errstate(over="ignore", invalid="ignore"):  # delta may overflow to inf: then it is excused
        for _ in range(max_iters):  # the escape tests of steps 0 .. max_iters-1
            size2 = z_re.astype(np.float64) ** 2 + z_im.astype(np.float64) ** 2
            size = np.sqrt(size2)
            test_error = 2 * size * delta + delta * delta + SAFETY * 2 * UNIT_ROUNDOFF * size2
            flags[running[~(np.abs(size2 - 4) > test_error)]] = True
            inside = ~(z_re * z_re + z_im * z_im > 4)
            if not inside.all():
                keep = inside & ~flags[running]
                running, c_re, c_im, c_size, c_error = (a[keep] for a in (running, c_re, c_im, c_size, c_error))
                z_re, z_im, size, size2, delta = (a[keep] for a in (z_re, z_im, size, size2, delta))
            if running.size == 0:
                break
            delta = 2 * size * delta + delta * delta + c_error + SAFETY * 3 * UNIT_ROUNDOFF * (size2 + c_size)
            z_re, z_im = c_re + (z_re * z_re - z_im * z_im), c_im + 2 * z_re * z_im
    return flags.reshape(shape)


def expect_counts(
    got, x0, y0, x1, y1, width: int, height: int, max_iters: int, *, what: str, expected: np.ndarray | None = None
) -> None:
    """Raise :class:`Mismatch` unless ``got`` is int32[height, width], every count lies in [0, max_iters],
    and every pixel that is not :func:`excused` equals the oracle's count."""
    args = (x0, y0, x1, y1, width, height, max_iters)
    if expected is None:
        expected = mandelbrot(*args)
    if not (isinstance(got, np.ndarray) and got.dtype == expected.dtype and got.shape == expected.shape):
        expect_array(got, expected, what=what)  # words the wrong type, dtype or shape
    out_of_range = (got < 0) | (got > max_iters)
    if out_of_range.any():
        j, i = (int(k) for k in np.argwhere(out_of_range)[0])
        raise Mismatch(
            f"{what}: {int(out_of_range.sum())} of {got.size} counts lie outside [0, {max_iters}]; "
            f"first at pixel (row {j}, column {i}): {int(got[j, i])}"
        )
    rows, cols = np.nonzero(got != expected)
    if rows.size == 0:
        return
    wrong = ~excused(*args, rows=rows, cols=cols)
    if wrong.any():
        rows, cols = rows[wrong], cols[wrong]
        j, i = int(rows[0]), int(cols[0])
        spread = ""
        if rows.size > 1:
            spread = (
                f"; wrong pixels span rows {int(rows.min())}-{int(rows.max())} and columns "
                f"{int(cols.min())}-{int(cols.max())}"
            )
        raise Mismatch(
            f"{what}: {rows.size} of {got.size} pixels differ where rounding cannot explain it "
            f"(the rule: grader/suites/mandelbrot/oracle.py); first at pixel (row {j}, column {i}): "
            f"expected count {int(expected[j, i])}, got {int(got[j, i])}{spread}"
        )

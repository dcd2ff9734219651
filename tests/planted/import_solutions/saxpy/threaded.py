"""Planted: hands in the reference solution."""

from solutions.saxpy.threaded import saxpy  # noqa: F401

"""Errors in a learner's threads and compiled kernels, surfaced where they happen (runs in the sandbox child).

Left alone, Python loses an exception raised in a thread: ``threading`` prints it to stderr and the thread
just ends, so the learner's function returns an array nobody filled and the grader reports garbage values
("got 3.36e+15"). Likewise a ``concurrent.futures`` job keeps its exception until someone asks for the
result, and a numba typing error is a screen of text whose one useful line is buried in the middle.

:func:`install` (called once in the child, before the learner's module is imported) makes each of these
fail the call that started the work, with the original exception:

* ``threading.Thread.join`` raises the exception that ended the joined thread (recorded by
  ``threading.excepthook``), so ``saxpy`` fails at its ``join`` with the thread's own traceback;
* ``ThreadPoolExecutor.shutdown`` (the end of a ``with`` block) raises the first exception of a job whose
  result nobody asked for (a job whose result was asked for raised it then, as usual).

:func:`describe` turns such an exception into the one-line message the learner reads: its type, its message
and the line of the learner's file where it was raised (for a numba error: the line of the kernel that numba
could not compile, which numba records, not the line that called the kernel).
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

_P = ParamSpec("_P")
_T = TypeVar("_T")

# numba colours its messages for a terminal; the grader's report is not one
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# numba's message: a stage line, the explanation, then details from the first of these on.
_NUMBA_STAGE = "Failed in "
_NUMBA_DETAILS = ("There are ", "During: ", 'File "', "- Resolution failure", "Rejected as ")
SHOWN_NUMBA_LINES = 4

_installed = False


def install() -> None:
    """Make exceptions in threads and thread-pool jobs fail the call that started them (see module doc).

    Idempotent. Costs nothing until a thread fails: one attribute look-up per ``join``.
    """
    global _installed
    if _installed:
        return
    _installed = True

    def record(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None or args.thread is None:
            return
        args.exc_value.__dict__["_parlab_thread"] = args.thread.name  # read back by describe()
        # kept on the thread itself, so the exception goes with it, until a join takes it
        args.thread.__dict__["_parlab_error"] = args.exc_value

    original_join = threading.Thread.join

    def join(self: threading.Thread, timeout: float | None = None) -> None:
        original_join(self, timeout)
        error = None if self.is_alive() else self.__dict__.pop("_parlab_error", None)
        if error is not None:
            raise error

    original_submit = ThreadPoolExecutor.submit
    original_shutdown = ThreadPoolExecutor.shutdown
    original_result, original_exception = Future.result, Future.exception

    # typed on Executor, as typeshed declares the methods they replace
    def submit(self: Executor, fn: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs) -> Future[_T]:
        future = original_submit(self, fn, *args, **kwargs)
        self.__dict__.setdefault("_parlab_futures", []).append(future)
        return future

    def shutdown(self: Executor, wait: bool = True, *, cancel_futures: bool = False) -> None:
        original_shutdown(self, wait, cancel_futures=cancel_futures)
        if not wait:
            return
        for future in self.__dict__.pop("_parlab_futures", []):
            unread = future.done() and not future.cancelled() and not future.__dict__.get("_parlab_read", False)
            if unread and future._exception is not None:  # not exception(): that marks it read
                raise future._exception

    def result(self: Future[Any], timeout: float | None = None) -> Any:
        self.__dict__["_parlab_read"] = True
        return original_result(self, timeout)

    def exception(self: Future[Any], timeout: float | None = None) -> BaseException | None:
        self.__dict__["_parlab_read"] = True
        return original_exception(self, timeout)

    threading.excepthook = record
    # Replacing these methods on the classes is the point: the learner's threads and pools are these classes.
    threading.Thread.join = join  # type: ignore[method-assign]
    ThreadPoolExecutor.submit = submit  # type: ignore[method-assign]
    ThreadPoolExecutor.shutdown = shutdown  # type: ignore[method-assign]
    Future.result = result  # type: ignore[method-assign]
    Future.exception = exception  # type: ignore[method-assign]


def describe(error: BaseException, learner_frame: Callable, display_path: Callable[[str], str]) -> str | None:
    """The learner's message for an exception of a thread or of numba's compiler; None for any other.

    ``learner_frame(traceback)`` is the innermost frame in the learner's files (or None); ``display_path``
    shows a file name as the learner knows it. Examples::

        raised TypeError in thread Thread-2 (_work): slice indices must be integers ... (at saxpy/threaded.py:14)
        numba could not compile saxpy/threaded.py:22 `r[i] = a * x[i] + y` (TypingError): No implementation ...
    """
    frame = learner_frame(error.__traceback__)
    where = f" (at {display_path(frame.filename)}:{frame.lineno})" if frame else ""
    numba, numba_errors = sys.modules.get("numba"), sys.modules.get("numba.core.errors")
    thread = getattr(error, "_parlab_thread", None)
    if isinstance(error, NotImplementedError):
        return None  # a starter's TODO, in a thread or not: the sandbox points at it ("not implemented: TODO in ...")
    if numba_errors is not None and isinstance(error, numba_errors.NumbaError):
        return _compile_error(error, display_path) + (f" (in thread {thread})" if thread else "")
    if numba is not None and isinstance(error, ValueError) and "number of threads must be between" in str(error):
        return (
            f"raised ValueError: {error}{where}: numba.set_num_threads accepts at most "
            f"numba.config.NUMBA_NUM_THREADS = {numba.config.NUMBA_NUM_THREADS} here (the threads numba "
            "started with), and the grader asks for more threads than cores on purpose: pass "
            "min(num_threads, numba.config.NUMBA_NUM_THREADS)"
        )
    if thread is None:
        return None
    text = str(error).strip()
    return f"raised {type(error).__name__} in thread {thread}" + (f": {text}" if text else "") + where


def _compile_error(error: BaseException, display_path: Callable[[str], str]) -> str:
    """numba's compile error in one line: where (numba's own record of the kernel line), what, and why."""
    lines = [line.rstrip() for line in _ANSI.sub("", str(error)).splitlines()]
    why = []
    for line in lines:
        if line.startswith(_NUMBA_DETAILS):
            break  # the rest lists candidate overloads, compiler passes and the source again
        if line.strip() and not line.startswith(_NUMBA_STAGE):
            why.append(line.strip().removeprefix(">>> "))
    carets = [i for i, line in enumerate(lines) if i and line.strip() and set(line.strip()) == {"^"}]
    source = f" `{lines[carets[0] - 1].strip()}`" if carets else ""
    location = getattr(error, "loc", None)
    filename, lineno = getattr(location, "filename", None), getattr(location, "line", None)
    where = f"{display_path(filename)}:{lineno}" if filename and lineno else "your kernel"
    shown = " ".join(why[:SHOWN_NUMBA_LINES]) + (" [...]" if len(why) > SHOWN_NUMBA_LINES else "")
    return f"numba could not compile {where}{source} ({type(error).__name__})" + (f": {shown}" if shown else "")

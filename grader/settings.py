"""Every setting of the grader, in one place: the time and size limits, and the ``PARLAB_*`` environment
variables, each with what it means and how its value is read.

Two kinds of environment variable:

* :data:`USER_VARIABLES`: set by whoever runs the grader (an instructor, CI, the tests) to change a run.
  :func:`check_environment` reads them all when the command line starts, so a bad value is one usage
  error (exit status 2) rather than a failure of every task.
* :data:`CHILD_VARIABLES`: what the grader's process tells the worker processes it starts (the sandbox's
  side of the process boundary, grader/sandbox.py and grader/sandbox_child.py). Nobody sets them by hand;
  the parent sets each one for each worker, so a value a worker cannot read is a bug of the grader
  (:class:`SettingError`, raised).

Every module reads its settings here (``CALL_TIME_LIMIT.read()``, :func:`cache_root`), never from
``os.environ`` itself, and writes a worker's by ``CHILD_*.name``: each name, default and parsing lives once.

A time limit given in an assignment's ``tasks.py`` (a :class:`~grader.spec.Property` or
:class:`~grader.spec.Benchmark` of its own) overrides the default here for that task only.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# -- limits ----------------------------------------------------------------------------------------------
CORRECTNESS_TIME_LIMIT_S = 300.0  # one correctness task, all its cases together
CALL_TIME_LIMIT_S = 60.0  # one call of the learner's function in a correctness task
BENCHMARK_REQUEST_TIME_LIMIT_S = 300.0  # each request of a speed task: set-up, one timed chunk, the output
INSPECTION_TIME_LIMIT_S = 120.0  # each request of an inspection's worker (its warm-up calls compile the code)
PICTURE_CALL_TIME_LIMIT_S = 600.0  # each call --images makes (full-size frames, timed three times)
WORKER_START_TIME_LIMIT_S = 120.0  # a worker's start: the interpreter, numpy and numba, the module's import
WORKER_OUTPUT_LIMIT_BYTES = 16 * 2**20  # what one worker may print or write to files


class SettingError(ValueError):
    """A ``PARLAB_*`` variable holds a value the grader cannot use; the message is one line."""


# -- how values are read: each raises ValueError saying what the value must be ------------------------------
def _number(text: str, must_be: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"must be {must_be}") from None
    if not value > 0:  # also refuses nan
        raise ValueError(f"must be {must_be}")
    return value


def seconds(text: str) -> float:
    return _number(text, "a positive number of seconds")


def mebibytes(text: str) -> float:
    return _number(text, "a positive number of MiB")


def integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError("must be an integer") from None


def uid(text: str) -> int:
    value = integer(text)
    if not 0 < value < 2**32 - 1:
        raise ValueError("must be a user id from 1 to 4294967294")
    return value


def flag(text: str) -> bool:
    if text not in ("0", "1"):
        raise ValueError("must be 1 or 0")
    return text == "1"


def one_of(*choices: str) -> Callable[[str], str]:
    def choice(text: str) -> str:
        if text.lower() not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return text.lower()

    return choice


def any_text(value: str) -> str:
    return value


def paths(text: str) -> tuple[str, ...]:
    return tuple(filter(None, text.split(os.pathsep)))


@dataclass(frozen=True)
class Variable:
    """One ``PARLAB_*`` environment variable: its name, what it does, how its value is read, and the value
    it has when unset."""

    name: str
    meaning: str
    parse: Callable[[str], Any]
    default: Any = None

    def read(self, environ: Mapping[str, str] | None = None) -> Any:
        """The value set in ``environ`` (default: this process's environment), or ``default`` when it is
        unset or empty. Raises :class:`SettingError` for a value ``parse`` refuses."""
        text = (os.environ if environ is None else environ).get(self.name, "").strip()
        if not text:
            return self.default
        try:
            return self.parse(text)
        except ValueError as why:
            raise SettingError(f"{self.name}={text!r}: {why}") from None

    def require(self, environ: Mapping[str, str] | None = None) -> Any:
        """The value set in ``environ``, for a variable that must be set there (one the parent sets with
        another, a worker's gid with its uid). Raises :class:`SettingError` when it is unset or bad."""
        if not (os.environ if environ is None else environ).get(self.name, "").strip():
            raise SettingError(f"{self.name} is not set: {self.meaning}")
        return self.read(environ)


# -- set by whoever runs the grader ----------------------------------------------------------------------
CALL_TIME_LIMIT = Variable(
    "PARLAB_CALL_TIME_LIMIT",
    "no request to a learner's worker may take longer than this many seconds "
    "(caps every task's own limits, for the whole run)",
    seconds,
)
MEMORY_LIMIT_MB = Variable(
    "PARLAB_MEMORY_LIMIT_MB",
    "no worker may reserve more than this many MiB of address space (not applied to "
    "CUDA on a real GPU, whose runtime reserves far more than it uses); default: half the machine's memory",
    mebibytes,
)
TIME_LIMIT = Variable(
    "PARLAB_TIME_LIMIT",
    "the whole run's time limit in seconds: when it runs out the grader stops its workers and exits with status 124",
    seconds,
)
SANDBOX = Variable(
    "PARLAB_SANDBOX",
    "which boundary runs learner code when the grader is root: bwrap (namespaces), uid (its "
    "own uid only), off (the grader's own user), auto (the strongest available; the default)",
    one_of("auto", "bwrap", "uid", "off"),
    default="auto",
)
DEFAULT_TRUSTED_UID = 65533
TRUSTED_UID = Variable(
    "PARLAB_TRUSTED_UID",
    "the uid that runs the reference solutions and the baselines when the grader is root "
    f"(default {DEFAULT_TRUSTED_UID})",
    uid,
    default=DEFAULT_TRUSTED_UID,
)
CACHE_DIR = Variable(
    "PARLAB_CACHE_DIR",
    "the grader's cache directory: numba's compile caches, this machine's ceilings, the replay files "
    "(default ~/.cache/parlab; as root, the reference's numba cache lives under /var/cache/parlab)",
    Path,
)
NO_GPU = Variable(
    "PARLAB_NO_GPU", "1: act as if this machine had no CUDA GPU (CUDA runs on the simulator)", flag, default=False
)
NO_MPI = Variable("PARLAB_NO_MPI", "1: act as if MPI were not installed (MPI tasks are skipped)", flag, default=False)
TRACEBACK = Variable(
    "PARLAB_TRACEBACK",
    "1: an exception raised by learner code is reported with its whole traceback, not just "
    "the line it came from (for debugging the grader)",
    flag,
    default=False,
)

USER_VARIABLES = (
    CALL_TIME_LIMIT,
    MEMORY_LIMIT_MB,
    TIME_LIMIT,
    SANDBOX,
    TRUSTED_UID,
    CACHE_DIR,
    NO_GPU,
    NO_MPI,
    TRACEBACK,
)


def cache_root() -> Path:
    """The cache directory of the user running the grader: ``PARLAB_CACHE_DIR``, else ``~/.cache/parlab``.
    It holds this machine's ceilings (grader/ceilings.py), the replay files (grader/replay.py) and, when the
    workers run as the grader's own user, their numba caches (grader/sandbox.py)."""
    return CACHE_DIR.read() or Path.home() / ".cache" / "parlab"


def shared_cache_root() -> Path:
    """Where a grader running as root keeps what other uids must reach, the reference's numba cache, written
    by the trusted uid and kept between runs (grader/isolation.py): ``PARLAB_CACHE_DIR``, else
    ``/var/cache/parlab``. Not root's :func:`cache_root`: /root is closed to other uids (0700)."""
    return CACHE_DIR.read() or Path("/var/cache/parlab")


# -- set by the grader for each worker it starts ----------------------------------------------------------
CHILD_MEMORY_LIMIT = Variable(
    "PARLAB_MEMORY_LIMIT", "the worker's address-space limit in bytes (0 or unset: none)", integer, default=0
)
CHILD_OUTPUT_LIMIT = Variable(
    "PARLAB_OUTPUT_LIMIT", "the worker's output limit in bytes (0 or unset: none)", integer, default=0
)
CHILD_PIN_CPU = Variable(
    "PARLAB_PIN_CPU", "the one CPU the worker's timed calls run on (SIMD, the serial baseline)", integer
)
CHILD_MPI = Variable("PARLAB_MPI", "1: the worker is one rank of an mpiexec launch", flag, default=False)
CHILD_PROTECTED = Variable(
    "PARLAB_PROTECTED",
    "paths the learner's code may not write (the results files), separated by os.pathsep",
    paths,
    default=(),
)
CHILD_SANDBOX_TOKEN = Variable(
    "PARLAB_SANDBOX_TOKEN",
    "this run's token: every process a worker starts inherits it, so the grader finds and kills them all",
    any_text,
)
CHILD_SHOWN_CWD = Variable(
    "PARLAB_SHOWN_CWD", "the directory the grader was started in: the worker shows paths relative to it", any_text
)
CHILD_NAMESPACED = Variable(
    "PARLAB_NAMESPACED", "1: the worker runs inside bubblewrap's namespaces", flag, default=False
)
CHILD_WORKER_UID = Variable("PARLAB_WORKER_UID", "the uid the worker drops to before it imports the module", uid)
CHILD_WORKER_GID = Variable("PARLAB_WORKER_GID", "the gid the worker drops to with it", integer)

CHILD_VARIABLES = (
    CHILD_MEMORY_LIMIT,
    CHILD_OUTPUT_LIMIT,
    CHILD_PIN_CPU,
    CHILD_MPI,
    CHILD_PROTECTED,
    CHILD_SANDBOX_TOKEN,
    CHILD_SHOWN_CWD,
    CHILD_NAMESPACED,
    CHILD_WORKER_UID,
    CHILD_WORKER_GID,
)


def check_environment(environ: Mapping[str, str] | None = None) -> None:
    """Read every user-set ``PARLAB_*`` variable; raise :class:`SettingError` for the first bad one, for one
    the grader sets for its workers (set by hand, a worker would inherit it), or for a ``PARLAB_*`` name the
    grader does not know (a typo would otherwise be ignored silently)."""
    environ = os.environ if environ is None else environ
    for variable in USER_VARIABLES:
        variable.read(environ)
    for variable in CHILD_VARIABLES:
        if variable.name in environ:
            raise SettingError(
                f"{variable.name} is set here, but only the grader sets it, for its workers "
                f"({variable.meaning}): unset it"
            )
    known = {variable.name for variable in USER_VARIABLES + CHILD_VARIABLES}
    unknown = sorted(name for name in environ if name.startswith("PARLAB_") and name not in known)
    if unknown:
        raise SettingError(
            f"{unknown[0]} is not a setting of the grader (grader/settings.py lists them: "
            f"{', '.join(sorted(variable.name for variable in USER_VARIABLES))})"
        )

"""The parent side of the sandbox: a child process that runs one variant module under limits.

Learner code never runs in the grader's own process. Each task starts a :class:`Worker` (a child process of
``grader.sandbox_child``) in its own process group, with

* a time limit per request: a hang is killed (with everything it forked) and reported, never waited on;
* memory and output limits (``RLIMIT_AS``, ``RLIMIT_FSIZE``): a 50 GB allocation or a print loop fails the task;
* its output captured to a file, of which the report shows the tail;
* replies decoded by a restricted unpickler that accepts only numbers, strings, containers and numpy arrays,
  so a child cannot make the parent run code, and the parent alone judges answers and writes reports.

A crash (segfault in a numba kernel, ``os._exit``, a signal) ends the worker; the task that was running fails
with the reason, and the next task starts a fresh worker. A learner's worker that breaks a rule of the sandbox
(starts a process, reads ``solutions/``, writes into the grader's files or the results: see
``grader/sandbox_child.py``) is answered "fatal": the worker is killed and the task fails with the reason.

Instructors may tighten the limits for a whole run through the environment (instructors/README.md):

    PARLAB_CALL_TIME_LIMIT=S     no request to a learner's worker may take longer than S seconds
    PARLAB_MEMORY_LIMIT_MB=M     no worker may reserve more than M MiB of address space (not on a real GPU)

On Linux the grader also makes itself a "child subreaper", so a process that a submission detaches from
the worker's process group (``setsid`` after a fork) is handed to the grader when the worker dies, and is
killed then, before any result is written.
"""

from __future__ import annotations

import ctypes
import dataclasses
import io
import os
import pickle
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from grader import machine

CHECKOUT = Path(__file__).resolve().parent.parent
OUTPUT_LIMIT_BYTES = 16 * 2**20
SHOWN_OUTPUT_CHARS = 1500
SHOWN_LINE_CHARS = 160
START_TIMEOUT_S = 120.0
CALL_TIME_LIMIT_ENV = "PARLAB_CALL_TIME_LIMIT"
MEMORY_LIMIT_ENV = "PARLAB_MEMORY_LIMIT_MB"
# Repeated calls that run this many times faster than one call did were not all run (or were cached).
SUSPICIOUS_REPEAT_SPEEDUP = 10.0
SUSPICION_MIN_SINGLE_S = 0.005  # below this, request overhead blurs one call's time: no verdict
_TOKEN = secrets.token_hex(8)  # marks the environment of every process a worker starts (see _sweep)
_LIVE_WORKERS: set[int] = set()
_PROTECTED_PATHS: set[str] = set()


def protect_path(path: str | os.PathLike) -> None:
    """Forbid learner workers started from now on to write ``path`` (a results file, say)."""
    _PROTECTED_PATHS.add(os.path.realpath(path))


def _env_limit(name: str) -> float | None:
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise WorkerFailure(f"{name}={value!r} is not a number") from None
    return number if number > 0 else None


class WorkerFailure(Exception):
    """The learner's code failed in a way that ends the request: an error, a crash or a time-out."""


@dataclass(frozen=True)
class Source:
    """Where a worker's module comes from.

    ``learner(root, assignment, variant)``: a file ``root/assignment/variant.py`` (untrusted: imports of
    ``solutions`` are refused). ``trusted(module)``: an importable module (the reference or a baseline).
    """

    kind: str
    root: str = ""
    assignment: str = ""
    variant: str = ""
    module: str = ""
    functions: tuple[str, ...] = ()

    @staticmethod
    def learner(root: str | os.PathLike, assignment: str, variant: str, functions=()) -> "Source":
        return Source("file", root=str(root), assignment=assignment, variant=variant,
                      functions=tuple(functions))

    @staticmethod
    def trusted(module: str, functions=()) -> "Source":
        return Source("module", module=module, functions=tuple(functions))

    @property
    def path(self) -> Path:
        return Path(self.root) / self.assignment / f"{self.variant}.py"

    def describe(self) -> str:
        return _display(self.path) if self.kind == "file" else self.module


@dataclass
class Limits:
    call_time_s: float = 60.0
    memory_bytes: int = 0  # 0: no limit (GPU runtimes reserve huge address spaces)
    output_bytes: int = OUTPUT_LIMIT_BYTES


@dataclass
class WorkerOptions:
    simulate_cuda: bool = False
    pin_cpu: int | None = None  # run on this one core (SIMD variants and serial baselines)
    ranks: int = 0  # > 0: launch under mpiexec -n ranks
    env: dict = field(default_factory=dict)


_ALLOWED_GLOBALS = {
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy._core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "scalar"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "scalar"),
    ("numpy._core.numeric", "_frombuffer"), ("numpy.core.numeric", "_frombuffer"),
    ("builtins", "complex"), ("builtins", "slice"),
}


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _ALLOWED_GLOBALS or module == "numpy.dtypes":
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"the sandbox may not send {module}.{name}")


def _decode(payload: bytes):
    return _RestrictedUnpickler(io.BytesIO(payload)).load()


class Unsupported:
    """Stands for a value the child could not send (a GPU array, a custom object); names its type."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<object of type {self.type_name}>"


def _restore(value):
    if isinstance(value, dict):
        if set(value) == {"__unsupported__"}:
            # A fresh class named after the learner's type, so messages say "got DeviceNDArray".
            return type(value["__unsupported__"].rsplit(".", 1)[-1], (Unsupported,), {})(value["__unsupported__"])
        return {key: _restore(item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(_restore(item) for item in value)
    return value


def _display(path: Path | str) -> str:
    relative = os.path.relpath(path)
    return relative if not relative.startswith("..") else str(path)


class Worker:
    """One child process serving one module. Use as a context manager; every method may raise
    :class:`WorkerFailure` with a message meant for the learner."""

    def __init__(self, source: Source, limits: Limits | None = None, options: WorkerOptions | None = None):
        self.source = source
        self.limits = limits or Limits()
        self.options = options or WorkerOptions()
        self.process: subprocess.Popen | None = None
        self.connection: Connection | None = None
        self.dead: str | None = None  # why the worker ended, once it has
        self._single_call_s: dict[str, float] = {}  # function -> fastest single timed call (see _watch)
        self._tmp = tempfile.TemporaryDirectory(prefix="parlab-")
        self._log_path = Path(self._tmp.name) / "output.txt"

    # -- lifetime -----------------------------------------------------------------------------------------
    def __enter__(self) -> "Worker":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def learner(self) -> bool:
        return self.source.kind == "file"

    def start(self) -> None:
        if self.learner and not self.source.path.is_file():
            raise WorkerFailure(f"missing file: {_display(self.source.path)}")
        memory_cap = _env_limit(MEMORY_LIMIT_ENV)
        if memory_cap and self.limits.memory_bytes:  # 0 stays 0: a real GPU's runtime needs the address space
            self.limits = dataclasses.replace(
                self.limits, memory_bytes=min(self.limits.memory_bytes, int(memory_cap * 2**20)))
        _become_subreaper()
        address = os.path.join(self._tmp.name, "socket")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(address)
        listener.listen(1)
        listener.settimeout(0.2)  # short, so that a child that dies while starting is noticed at once
        command = [sys.executable, "-m", "grader.sandbox_child", address]
        if self.options.ranks:
            command = [machine.mpi_launcher(), "-n", str(self.options.ranks)] + command
        self._log = open(self._log_path, "wb")
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=self._log,
                                        stderr=subprocess.STDOUT, env=self._environment(),
                                        cwd=os.getcwd(), start_new_session=True)
        _LIVE_WORKERS.add(self.process.pid)
        deadline = time.monotonic() + START_TIMEOUT_S
        try:
            while True:
                try:
                    sock, _ = listener.accept()
                    break
                except socket.timeout:
                    if self.process.poll() is not None:
                        self._fail(self._death_reason())
                    if time.monotonic() > deadline:
                        self._kill()
                        self._fail(f"did not start within {START_TIMEOUT_S:.0f} s")
        finally:
            listener.close()
        sock.setblocking(True)
        self.connection = Connection(sock.detach())
        self.request(("load", {"kind": self.source.kind, "root": self.source.root,
                               "assignment": self.source.assignment, "variant": self.source.variant,
                               "module": self.source.module, "functions": self.source.functions}),
                     time_limit=START_TIMEOUT_S)

    def _environment(self) -> dict:
        env = dict(os.environ)
        env.update(self.options.env)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CHECKOUT), env.get("PYTHONPATH")]))
        env["PYTHONUNBUFFERED"] = "1"
        # numba's cache records the module a function was compiled in; the same file is loaded as
        # "solutions.x.y" (reference) and "submission.x.y" (learner), so each kind gets its own cache.
        env["NUMBA_CACHE_DIR"] = str(Path(env.get("PARLAB_CACHE_DIR", Path.home() / ".cache" / "parlab"))
                                     / "numba" / ("learner" if self.source.kind == "file" else "trusted"))
        env["PARLAB_OUTPUT_LIMIT"] = str(self.limits.output_bytes)
        env["PARLAB_SANDBOX_TOKEN"] = _TOKEN
        if self.learner:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
            env["PARLAB_PROTECTED"] = os.pathsep.join(sorted(_PROTECTED_PATHS))
        env["PARLAB_MEMORY_LIMIT"] = str(self.limits.memory_bytes)
        if self.options.simulate_cuda:
            env["NUMBA_ENABLE_CUDASIM"] = "1"
        if self.options.pin_cpu is not None:
            env["PARLAB_PIN_CPU"] = str(self.options.pin_cpu)
            env["NUMBA_NUM_THREADS"] = "1"
        if self.options.ranks:
            env["PARLAB_MPI"] = "1"
            env["NUMBA_NUM_THREADS"] = "1"  # one core per rank: scaling comes from ranks
        return env

    def close(self) -> None:
        if self.process and self.process.poll() is None and self.connection and not self.dead:
            try:
                self.connection.send_bytes(pickle.dumps(("exit",)))
                self.process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._kill()
        if self.connection:
            self.connection.close()
            self.connection = None
        if hasattr(self, "_log"):
            self._log.close()
        self._tmp.cleanup()

    def _kill(self) -> None:
        if self.process and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)  # the whole group: forks and MPI ranks too
            except ProcessLookupError:
                pass
            self.process.wait()
        if self.process:
            try:  # what is left of the group once its leader is gone
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            _LIVE_WORKERS.discard(self.process.pid)
            _sweep()

    # -- requests -----------------------------------------------------------------------------------------
    def request(self, message: tuple, time_limit: float | None = None):
        """Send one request and return the reply's payload; raise WorkerFailure on error, crash or hang."""
        if self.dead:
            raise WorkerFailure(self.dead)
        limit = self.limits.call_time_s if time_limit is None else time_limit
        cap = _env_limit(CALL_TIME_LIMIT_ENV)
        if cap and self.learner and message[0] != "load":
            limit = min(limit, cap)
        started = time.perf_counter()
        try:
            self.connection.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))
            if not self.connection.poll(limit):
                self._kill()
                self._fail(f"did not finish within the time limit of {limit:g} s (a hang, or far too slow)")
            reply = _restore(_decode(self.connection.recv_bytes()))
        except (EOFError, OSError, ConnectionError):
            self._fail(self._death_reason())
        except pickle.UnpicklingError as error:
            self._kill()
            self._fail(f"sent a reply the grader refuses ({error})")
        if not isinstance(reply, tuple) or not reply:
            self._kill()
            self._fail("sent a malformed reply")
        if reply[0] == "fatal":
            self._kill()
            self._fail(f"broke a rule of the sandbox: {reply[1]}")
        if reply[0] == "error":
            raise WorkerFailure(str(reply[1]))
        if message[0] == "run" and self.learner:
            self._watch(message[1], message[2], message[3], time.perf_counter() - started)
        return reply[1:]

    def _watch(self, function: str, repeats: int, kwargs: dict, seconds: float) -> None:
        """Refuse timings that cannot be honest: ``repeats`` calls far faster than one call takes.

        The parent's clock times every request, so a submission cannot report a time of its own. What it
        can do is less work than asked: skip repeated calls (patching the worker), or return a cached answer
        when called again on the same inputs. One call of a function that takes milliseconds is a floor for
        each of the repeated calls; a chunk of repeats SUSPICIOUS_REPEAT_SPEEDUP times faster than that is
        checked against a fresh single call (a busy machine can slow one call down a few times, not ten)
        and, if it holds, refused rather than scored.
        """
        if repeats == 1:
            self._single_call_s[function] = min(seconds, self._single_call_s.get(function, seconds))
            return
        single = self._single_call_s.get(function)
        per_call = seconds / repeats
        if single is None or single < SUSPICION_MIN_SINGLE_S or per_call * SUSPICIOUS_REPEAT_SPEEDUP >= single:
            return
        started = time.perf_counter()
        self.request(("run", function, 1, kwargs))
        single = self._single_call_s[function] = time.perf_counter() - started
        if per_call * SUSPICIOUS_REPEAT_SPEEDUP < single:
            self._kill()
            self._fail(f"timing refused: {repeats} repeated calls of {function} took {per_call * 1e3:.2f} ms "
                       f"each, but one call takes {single * 1e3:.2f} ms: the repeated calls were skipped or "
                       "answered from a cache (the grader times the work, every call of it)")

    def call(self, function: str, args: tuple, kwargs: dict, time_limit: float | None = None):
        """Returns (result, names of modified input arrays)."""
        result, modified = self.request(("call", function, args, kwargs), time_limit)
        return result, modified

    def _fail(self, reason: str):
        self.dead = reason + self._output_tail()
        raise WorkerFailure(self.dead)

    def _death_reason(self) -> str:
        try:
            code = self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._kill()
            return "stopped answering"
        if code < 0:
            name = signal.Signals(-code).name
            why = {"SIGSEGV": "a segmentation fault (out-of-bounds access in compiled code?)",
                   "SIGBUS": "a bus error (out-of-bounds access in compiled code?)",
                   "SIGXFSZ": f"printed (or wrote to a file) more than {self.limits.output_bytes // 2**20} MB "
                              "of output, the sandbox's limit",
                   "SIGKILL": "killed (out of memory?)", "SIGABRT": "aborted"}.get(name, name)
            return f"crashed: {why}"
        return f"exited with status {code} (os._exit or a fatal error in native code)"

    def output(self) -> str:
        """What the child printed so far (stdout and stderr together), truncated to the last lines."""
        try:
            with open(self._log_path, "rb") as log:
                log.seek(0, os.SEEK_END)
                size = log.tell()
                log.seek(max(0, size - SHOWN_OUTPUT_CHARS))
                text = log.read().decode(errors="replace")
        except OSError:
            return ""
        return ("..." if size > SHOWN_OUTPUT_CHARS else "") + text

    def _output_tail(self) -> str:
        text = self.output().strip()
        lines = [line if len(line) <= SHOWN_LINE_CHARS else line[:SHOWN_LINE_CHARS] + " [...]"
                 for line in text.splitlines()[-12:]]
        return "\n  its output ended with:\n    " + "\n    ".join(lines) if text else ""


def _become_subreaper() -> None:
    """Linux: orphans of our descendants become our children (not init's), so _sweep can find them."""
    global _SUBREAPER
    if _SUBREAPER is None:
        _SUBREAPER = False
        if sys.platform.startswith("linux"):
            try:
                PR_SET_CHILD_SUBREAPER = 36
                _SUBREAPER = ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
            except (OSError, AttributeError):
                pass


_SUBREAPER: bool | None = None


def _sweep() -> None:
    """Kill (and reap) our children that came from a worker but are no worker: processes a submission
    detached from its worker's process group, handed to us when the worker died."""
    if not _SUBREAPER:
        return
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return
    children = set()
    for task in tasks:
        try:
            with open(f"/proc/self/task/{task}/children") as listing:
                children.update(int(pid) for pid in listing.read().split())
        except OSError:
            continue
    marker = f"PARLAB_SANDBOX_TOKEN={_TOKEN}".encode()
    for pid in children - _LIVE_WORKERS:
        try:
            with open(f"/proc/{pid}/environ", "rb") as environ:
                ours = marker in environ.read().split(b"\0")
        except OSError:
            ours = False  # a zombie (environ is empty) or not ours to read
        if not ours:
            continue  # never reap a child we did not start: its owner may be waiting for it
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


class SandboxCall:
    """The ``call`` handed to a Property's check: runs a learner function in the worker.

    Raises ``Mismatch`` (the check's failure) when the call errs, crashes, hangs or modifies its inputs.
    """

    def __init__(self, worker: Worker, variant: str, time_limit: float):
        self.worker = worker
        self.variant = variant
        self.time_limit = time_limit
        self.calls = 0

    def __call__(self, function: str, *args, **kwargs):
        from grader.spec import Mismatch

        self.calls += 1
        try:
            result, modified = self.worker.call(function, args, kwargs, self.time_limit)
        except WorkerFailure as failure:
            raise Mismatch(f"{function}(...) {failure}") from None
        if modified:
            raise Mismatch(f"{function}(...) modified its input {', '.join(modified)}: inputs must be left "
                           "unchanged (write results into a new array)")
        return result

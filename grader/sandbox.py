"""The parent side of the sandbox: a child process that runs one variant module under limits.

Learner code never runs in the grader's own process. Each task starts a :class:`Worker` (a child process of
``grader.sandbox_child``), inside the operating-system boundary of ``grader/isolation.py`` (its own uid,
namespaces where the kernel allows them; see instructors/README.md for the threat model), in its own
process group, with

* a time limit per request: a hang is killed (with everything it started) and reported, never waited on;
* memory and output limits (``RLIMIT_AS``, ``RLIMIT_FSIZE``): a 50 GB allocation or a print loop fails the task;
* its output captured to a file, of which the report shows the tail, control characters removed;
* a data-only protocol (``grader/sandbox_protocol.py``): no pickle; arrays as raw bytes of a plain dtype
  and a shape the parent checks, every string cut to a few KB; the connection is accepted only from the
  worker's own process (the kernel's peer credentials on the socket), so no other process can answer for it.

A crash (segfault in a numba kernel, ``os._exit``, a signal) ends the worker; the task that was running fails
with the reason, and the next task starts a fresh worker. A learner's worker that breaks a rule of the sandbox
(starts a process, reads ``solutions/``, writes into the grader's files or the results: see
``grader/sandbox_child.py``) is answered "fatal": the worker is killed and the task fails with the reason.

Instructors may tighten the limits for a whole run through the environment (instructors/README.md;
grader/settings.py reads them):

    PARLAB_CALL_TIME_LIMIT=S     no request to a learner's worker may take longer than S seconds
    PARLAB_MEMORY_LIMIT_MB=M     no worker may reserve more than M MiB of address space (not on a real GPU)
"""

from __future__ import annotations

import dataclasses
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from grader import isolation, machine, settings
from grader.isolation import Role
from grader.sandbox_child import INPUT_SETS
from grader.sandbox_protocol import (
    ProtocolError,
    clean_text,
    peer_credentials,
    receive,
    send,
)

CHECKOUT = Path(__file__).resolve().parent.parent
SOLUTIONS = CHECKOUT / "solutions"
SHOWN_OUTPUT_CHARS = 1500
SHOWN_LINE_CHARS = 160
# Repeated calls that run this many times faster than one call did were not all run (or were cached).
SUSPICIOUS_REPEAT_SPEEDUP = 10.0
SUSPICION_MIN_SINGLE_S = 0.005  # below this, request overhead blurs one call's time: no verdict
LIVE_WORKERS: set[int] = set()  # process ids of the workers now running (their process groups too)
LIVE_WORKERS_LOCK = threading.Lock()  # held from a worker's fork until its pid is in LIVE_WORKERS
_PROTECTED_PATHS: set[str] = set()


def protect_path(path: str | os.PathLike) -> None:
    """Forbid learner workers started from now on to write ``path`` (a results file, say)."""
    _PROTECTED_PATHS.add(os.path.realpath(path))


class WorkerFailure(Exception):
    """The learner's code failed in a way that ends the request: an error, a crash or a time-out."""


@dataclass(frozen=True)
class Source:
    """Where a worker's module comes from.

    ``learner(root, assignment, variant)``: a file ``root/assignment/variant.py``, loaded as the package
    ``submission``; untrusted unless it is one of the reference solutions of this checkout.
    ``trusted(module)``: an importable module of the grader (a baseline).
    """

    kind: str  # "file" or "module"
    root: str = ""
    assignment: str = ""
    variant: str = ""
    module: str = ""
    functions: tuple[str, ...] = ()

    @staticmethod
    def learner(root: str | os.PathLike, assignment: str, variant: str, functions=()) -> Source:
        return Source("file", root=str(root), assignment=assignment, variant=variant, functions=tuple(functions))

    @staticmethod
    def trusted(module: str, functions=()) -> Source:
        return Source("module", module=module, functions=tuple(functions))

    @property
    def path(self) -> Path:
        return Path(self.root) / self.assignment / f"{self.variant}.py"

    @property
    def role(self) -> Role:
        if self.kind == "module" or _inside(Path(self.root), SOLUTIONS):
            return Role.TRUSTED  # the instructor's code: the reference solutions, the baselines
        return Role.LEARNER

    def describe(self) -> str:
        return _display(self.path) if self.kind == "file" else self.module


def _inside(path: Path, root: Path) -> bool:
    real, real_root = os.path.realpath(path), os.path.realpath(root)
    return real == real_root or real.startswith(real_root + os.sep)


@dataclass
class Limits:
    call_time_s: float = settings.CALL_TIME_LIMIT_S
    memory_bytes: int = 0  # 0: no limit (GPU runtimes reserve huge address spaces)
    output_bytes: int = settings.WORKER_OUTPUT_LIMIT_BYTES


@dataclass
class WorkerOptions:
    simulate_cuda: bool = False
    pin_cpu: int | None = None  # the one core its timed calls run on (SIMD variants, serial baselines): see pin
    ranks: int = 0  # > 0: launch under mpiexec -n ranks
    env: dict = field(default_factory=dict)


def _clean(value):
    """A reply with every string in it bounded and stripped of control characters."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, tuple):
        return tuple(_clean(item) for item in value)
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, dict):
        return {clean_text(key, 200): _clean(item) for key, item in value.items()}
    return value


def _display(path: Path | str) -> str:
    relative = os.path.relpath(path)
    return relative if not relative.startswith("..") else str(path)


def _children_of(pid: int) -> list[int]:
    """The child processes of ``pid`` (Linux's /proc; none where it cannot be read)."""
    children = []
    try:
        for thread in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{thread}/children") as listing:
                children += [int(child) for child in listing.read().split()]
    except OSError:
        pass
    return children


def _descends_from(pid: int, ancestor: int) -> bool:
    """Whether process ``pid`` is ``ancestor`` or one of its descendants (walks /proc's parent links)."""
    for _ in range(64):
        if pid == ancestor:
            return True
        try:
            with open(f"/proc/{pid}/stat") as stat_file:
                pid = int(stat_file.read().rpartition(")")[2].split()[1])
        except (OSError, ValueError, IndexError):
            return False
        if pid <= 1:
            return False
    return False


class Worker:
    """One child process serving one module. Use as a context manager; every method may raise
    :class:`WorkerFailure` with a message meant for the learner."""

    def __init__(self, source: Source, limits: Limits | None = None, options: WorkerOptions | None = None):
        self.source = source
        self.limits = limits or Limits()
        self.options = options or WorkerOptions()
        self.process: subprocess.Popen | None = None
        self.sock: socket.socket | None = None
        self.dead: str | None = None  # why the worker ended, once it has
        self.uid: int | None = None  # the uid it runs under (None: the grader's own)
        self.last_input_set = 0  # which benchmark input set the last timed call used (see "collect")
        self._single_call_s: dict[str, float] = {}  # function -> fastest single timed call (see _watch)
        self._tmp = tempfile.TemporaryDirectory(prefix="parlab-")  # the grader's own: the output log
        self._log_path = Path(self._tmp.name) / "output.txt"
        # Between launch and connect: the socket the process will connect to, by when, and the root its
        # module is loaded from (the source's, or the staged copy of it).
        self._listener: socket.socket | None = None
        self._start_deadline = 0.0
        self._load_root = source.root
        self._under_bwrap = False  # whether the process is bwrap's, around the worker (see _kill)

    # -- lifetime -----------------------------------------------------------------------------------------
    def __enter__(self) -> Worker:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def learner(self) -> bool:
        return self.source.role is Role.LEARNER

    def start(self) -> None:
        """Start the worker and wait until its module is loaded: :meth:`launch`, then :meth:`connect`."""
        self.launch()
        self.connect()

    def launch(self) -> None:
        """Start the worker's process and return at once (milliseconds: the grader's own bookkeeping, then a
        fork); :meth:`connect` waits for it. Thread-safe, but call it from a thread that outlives the worker
        (the main thread): the parent-death signal that ends a worker with the grader fires when the thread
        that started it ends."""
        if self.source.kind == "file" and not self.source.path.is_file():
            raise WorkerFailure(f"missing file: {_display(self.source.path)}")
        memory_cap = settings.MEMORY_LIMIT_MB.read()
        if memory_cap and self.limits.memory_bytes:  # 0 stays 0: a real GPU's runtime needs the address space
            self.limits = dataclasses.replace(
                self.limits, memory_bytes=min(self.limits.memory_bytes, int(memory_cap * 2**20))
            )
        made = isolation.boundary()
        gid = None
        if made.privileged:
            self.uid, gid = (
                (made.new_learner_uid(), made.learner_gid) if self.learner else (made.trusted_uid, made.trusted_uid)
            )
        worker_dir = made.new_worker_dir(self.uid, gid)
        if self.source.kind == "file" and self.learner and made.privileged:
            self._load_root = str(isolation.stage_submission(made, Path(self.source.root), self.source.assignment))
        address = str(worker_dir / "socket")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(address)
            if self.uid is not None:
                os.chown(address, self.uid, -1 if gid is None else gid)
            listener.listen(4)
            listener.settimeout(0.2)  # short, so that a child that dies while starting is noticed at once
            command = [sys.executable, "-m", "grader.sandbox_child", address]
            launcher = machine.mpi_launcher()
            if self.options.ranks and launcher:
                command = [launcher, "-n", str(self.options.ranks), *command]
            cache = self._cache_dir(made)
            hide = [SOLUTIONS] if self.learner else []
            # As root the worker starts in its own directory (the grader's may be one it cannot reach); messages
            # still show paths relative to where the grader was started (PARLAB_SHOWN_CWD).
            cwd = str(worker_dir) if made.privileged else os.getcwd()
            command = made.wrap(command, worker_dir, cwd, hide, [cache] if made.privileged else [])
            self._under_bwrap = made.bwrap is not None and command[0] == made.bwrap
            self._log = open(self._log_path, "wb")
            with LIVE_WORKERS_LOCK:  # a sweep (isolation.sweep_marked) must not take it for a stray process
                self.process = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=self._log,
                    stderr=subprocess.STDOUT,
                    env=self._environment(made, worker_dir, cache, gid),
                    cwd=cwd,
                    start_new_session=True,
                    preexec_fn=isolation.die_with_parent,
                )
                LIVE_WORKERS.add(self.process.pid)
        except BaseException:
            listener.close()
            raise
        self._listener = listener
        self._start_deadline = time.monotonic() + settings.WORKER_START_TIME_LIMIT_S

    def connect(self) -> None:
        """Wait for the process :meth:`launch` started to connect, and have it load its module (about a second:
        the interpreter, numpy, numba, the module's import). Workers of one task connect each in a thread of
        its own, so that they boot at once."""
        listener = self._listener
        if listener is None or self.process is None:
            raise WorkerFailure("the worker was not launched")
        try:
            while True:
                try:
                    sock, _ = listener.accept()
                except TimeoutError:
                    if self.process.poll() is not None:
                        self._fail(self._death_reason())
                    if time.monotonic() > self._start_deadline:
                        self._kill()
                        self._fail(f"did not start within {settings.WORKER_START_TIME_LIMIT_S:.0f} s")
                    continue
                if self._is_ours(sock):
                    break
                sock.close()  # another process (another worker's code) knocking: not ours to talk to
        finally:
            listener.close()
            self._listener = None
        sock.setblocking(True)
        self.sock = sock
        self.request(
            (
                "load",
                {
                    "kind": self.source.kind,
                    "root": self._load_root,
                    "shown_root": self.source.root,
                    "assignment": self.source.assignment,
                    "variant": self.source.variant,
                    "module": self.source.module,
                    "functions": list(self.source.functions),
                    "learner": self.learner,
                },
            ),
            time_limit=settings.WORKER_START_TIME_LIMIT_S,
        )

    def pin(self) -> None:
        """Confine the worker, every thread of it, to its one core (``options.pin_cpu``; nothing if it has
        none). Sent after its untimed warm-up, before its timed calls (grader/timing.py): the lesson of the
        SIMD variant, and the serial baseline, is one core for the timed calls, while importing and compiling
        may use them all."""
        if self.options.pin_cpu is not None:
            self.request(("pin",))

    def _is_ours(self, sock: socket.socket) -> bool:
        """The peer is this worker's own process (or, under MPI, one its launcher started), as its uid."""
        try:
            pid, uid, _ = peer_credentials(sock)
        except OSError:
            return False
        if self.uid is not None and uid != self.uid:
            return False
        return self.process is not None and _descends_from(pid, self.process.pid)

    def _cache_dir(self, made: isolation.Boundary) -> Path:
        """numba's cache for this worker. Root: the trusted cache (reference, baselines), or the run's own
        learner cache. Otherwise one per kind under the grader's cache directory (settings.cache_root): the same
        file is loaded as "submission.x.y" by the learner's and the reference's workers, and numba's cache
        records the module."""
        cache = made.learner_cache if self.learner else made.trusted_cache
        if made.privileged and cache is not None:
            return cache
        return settings.cache_root() / "numba" / ("learner" if self.learner else "trusted")

    def _environment(self, made: isolation.Boundary, worker_dir: Path, cache: Path, gid: int | None) -> dict:
        env = dict(os.environ)
        env.update(self.options.env)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CHECKOUT), env.get("PYTHONPATH")]))
        env["PYTHONUNBUFFERED"] = "1"
        env[settings.CHILD_SHOWN_CWD.name] = os.getcwd()
        env["NUMBA_CACHE_DIR"] = str(cache)
        env["TMPDIR"] = str(worker_dir / "tmp")  # the worker's own: honest tempfile use works, privately
        if made.bwrap:
            env[settings.CHILD_NAMESPACED.name] = "1"
        if made.privileged:
            env["HOME"] = str(worker_dir)
            env[settings.CHILD_WORKER_UID.name] = str(self.uid)
            env[settings.CHILD_WORKER_GID.name] = str(gid)
        env[settings.CHILD_OUTPUT_LIMIT.name] = str(self.limits.output_bytes)
        env[settings.CHILD_SANDBOX_TOKEN.name] = made.token
        if self.learner:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
            env[settings.CHILD_PROTECTED.name] = os.pathsep.join(sorted(_PROTECTED_PATHS))
        env[settings.CHILD_MEMORY_LIMIT.name] = str(self.limits.memory_bytes)
        if self.options.simulate_cuda:
            env["NUMBA_ENABLE_CUDASIM"] = "1"
        if self.options.pin_cpu is not None:
            env[settings.CHILD_PIN_CPU.name] = str(self.options.pin_cpu)
            env["NUMBA_NUM_THREADS"] = "1"
        if self.options.ranks:
            env[settings.CHILD_MPI.name] = "1"
            env["NUMBA_NUM_THREADS"] = "1"  # one core per rank: scaling comes from ranks
        return env

    def close(self) -> None:
        """End the worker and remove its files. A worker under MPI is asked to exit (mpiexec then ends its
        ranks in order) and killed if it has not within 5 s; any other is killed at once: nothing of it is
        needed any more, and an interpreter's orderly exit (numpy's and numba's teardown) costs about 0.3 s."""
        graceful = self.options.ranks and isolation.stop_reason() is None
        if graceful and self.process and self.process.poll() is None and self.sock and not self.dead:
            try:
                send(self.sock, ("exit",))
                self.process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._kill()
        if self._listener:  # launched, never connected (another worker of its task failed first, or a stop)
            self._listener.close()
            self._listener = None
        if self.sock:
            self.sock.close()
            self.sock = None
        if hasattr(self, "_log"):
            self._log.close()
        self._tmp.cleanup()

    def _kill(self) -> None:
        if self.process and self.process.poll() is None:
            if self._under_bwrap:
                # bwrap's first process only watches its one child, in which the worker's PID namespace lives.
                # Killed first, it would leave that child to the grader (a subreaper) as a zombie that no one
                # waits for; the child killed first, the namespace ends, and bwrap reaps it and exits.
                for child in _children_of(self.process.pid):
                    try:
                        os.kill(child, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                try:
                    self.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
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
            LIVE_WORKERS.discard(self.process.pid)
        if self.uid is not None and self.learner:
            isolation.kill_uid(self.uid)  # whatever the learner's code left running, detached or not
        isolation.sweep_marked()

    # -- requests -----------------------------------------------------------------------------------------
    def request(self, message: tuple, time_limit: float | None = None):
        """Send one request and return the reply's payload; raise WorkerFailure on error, crash or hang."""
        if self.dead or self.sock is None:
            raise WorkerFailure(self.dead or "the worker is not running")
        limit = self.limits.call_time_s if time_limit is None else time_limit
        cap = settings.CALL_TIME_LIMIT.read()
        if cap and self.learner and message[0] != "load":
            limit = min(limit, cap)
        started = time.perf_counter()
        try:
            send(self.sock, message)
            ready, _, _ = select.select([self.sock], [], [], limit)
            if not ready:
                self._kill()
                self._fail(f"did not finish within the time limit of {limit:g} s (a hang, or far too slow)")
            reply = _clean(receive(self.sock, deadline=time.monotonic() + max(5.0, limit)))
        except TimeoutError:
            self._kill()
            self._fail("sent part of a reply and stopped")
        except (EOFError, OSError, ConnectionError):
            self._fail(self._death_reason())
        except ProtocolError as error:
            self._kill()
            self._fail(f"sent a reply the grader refuses ({error})")
        if not isinstance(reply, tuple) or not reply or not isinstance(reply[0], str):
            self._kill()
            self._fail("sent a malformed reply")
        if reply[0] == "fatal":
            self._kill()
            self._fail(f"broke a rule of the sandbox: {reply[1] if len(reply) > 1 else ''}")
        if reply[0] == "error":
            raise WorkerFailure(str(reply[1]) if len(reply) > 1 else "failed")
        if reply[0] != "ok":
            self._kill()
            self._fail("sent a malformed reply")
        if message[0] == "run":
            self.last_input_set = (message[4] + message[2] - 1) % INPUT_SETS
            if self.learner:
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
        self.request(("run", function, 1, kwargs, 0))
        single = self._single_call_s[function] = time.perf_counter() - started
        if per_call * SUSPICIOUS_REPEAT_SPEEDUP < single:
            self._kill()
            self._fail(
                f"timing refused: {repeats} repeated calls of {function} took {per_call * 1e3:.2f} ms "
                f"each, but one call takes {single * 1e3:.2f} ms: the repeated calls were skipped or "
                "answered from a cache (the grader times the work, every call of it)"
            )

    def call(self, function: str, args: tuple, kwargs: dict, time_limit: float | None = None):
        """Returns (result, names of modified input arrays)."""
        result, modified = self.request(("call", function, args, kwargs), time_limit)
        return result, modified

    def _fail(self, reason: str):
        self.dead = reason + self._output_tail()
        raise WorkerFailure(self.dead)

    def _death_reason(self) -> str:
        if self.process is None:
            return "did not start"
        try:
            code = self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._kill()
            return "stopped answering"
        if code < 0 or code > 128 and (self.options.ranks or isolation.boundary().bwrap):
            number = -code if code < 0 else code - 128
            try:
                name = signal.Signals(number).name
            except ValueError:
                name = f"signal {number}"
            why = {
                "SIGSEGV": "a segmentation fault (out-of-bounds access in compiled code?)",
                "SIGBUS": "a bus error (out-of-bounds access in compiled code?)",
                "SIGXFSZ": f"printed (or wrote to a file) more than {self.limits.output_bytes // 2**20} MB "
                "of output, the sandbox's limit",
                "SIGKILL": "killed (out of memory?)",
                "SIGABRT": "aborted",
            }.get(name, name)
            return f"crashed: {why}"
        return f"exited with status {code} (os._exit or a fatal error in native code)"

    def output(self) -> str:
        """What the child printed so far (stdout and stderr together), truncated to the last lines,
        control characters (terminal escapes) removed."""
        try:
            with open(self._log_path, "rb") as log:
                log.seek(0, os.SEEK_END)
                size = log.tell()
                log.seek(max(0, size - SHOWN_OUTPUT_CHARS))
                text = log.read().decode(errors="replace")
        except OSError:
            return ""
        return clean_text(("..." if size > SHOWN_OUTPUT_CHARS else "") + text)

    def _output_tail(self) -> str:
        text = self.output().strip()
        lines = [
            line if len(line) <= SHOWN_LINE_CHARS else line[:SHOWN_LINE_CHARS] + " [...]"
            for line in text.splitlines()[-12:]
        ]
        return "\n  its output ended with:\n    " + "\n    ".join(lines) if text else ""


def end_all_workers() -> None:
    """Kill every worker still running and what it left (the grader is stopping)."""
    for pid in list(LIVE_WORKERS):
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        LIVE_WORKERS.discard(pid)
    isolation.sweep()


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
            raise Mismatch(
                f"{function}(...) modified its input {', '.join(modified)}: inputs must be left "
                "unchanged (write results into a new array)"
            )
        return result

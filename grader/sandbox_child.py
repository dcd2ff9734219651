"""The child side of the sandbox: imports one variant module and runs what the parent asks, nothing else.

Started by ``grader.sandbox.Worker`` as ``python -m grader.sandbox_child SOCKET`` (under ``mpiexec`` for MPI
variants). It connects back over a Unix socket and serves requests until told to exit:

    ("load", source)                      import the module: a learner's file or a trusted module
    ("call", function, args, kwargs)      -> ("ok", result, modified_inputs) or ("error", message)
    ("setup", inputs, params, prepare, shift)  build the benchmark's input sets here (trusted maker), keep them
    ("run", function, repeats, kwargs, first)  call it ``repeats`` times, rotating through the input sets from
                                          set ``first`` (the parent times this)
    ("pin",)                              confine every thread to the one core PARLAB_PIN_CPU names (after
                                          the warm-up, before the timed calls)
    ("collect", collect)                  -> the last timed output, as a host array
    ("inspect", inspector)                -> (ok, message) read off the compiled module
    ("exit",)

Any request may instead be answered ("fatal", message): the learner's code broke a rule of the sandbox
(started a process, read the reference solutions, wrote into the grader's files or the results); the
parent then kills the worker and fails the task with the message.

Messages are plain data (``grader/sandbox_protocol.py``: no pickle). It never judges answers and never
writes reports: the parent does both. Under MPI, rank 0 talks to the parent and broadcasts each request, so
every rank takes part in each (collective) call. Where the grader runs as root, the child drops to the
unprivileged uid the parent chose (PARLAB_WORKER_UID) before it connects, so nothing of the submission
ever runs with the grader's privileges (see grader/isolation.py).

What a learner's process is kept from in the process itself, whoever runs the grader (the OS boundary of
grader/isolation.py does the rest; instructors/README.md says what these alone do not stop):

* reading ``solutions/`` (an import hook, and an audit hook on ``open``, ``os.listdir``, ``os.scandir``);
* writing into the grader's checkout or the results files (an audit hook on opens for writing, renames,
  removals), so a submission cannot edit the oracle, the baselines or the reference for a later run;
* starting processes (``os.fork``, multiprocessing, subprocess): the variants are about threads, and a
  process outside the sandbox's accounting could outlive it;
* printing without bound (``RLIMIT_FSIZE`` on its output, which now kills it with ``SIGXFSZ``);
* allocating without bound (``RLIMIT_AS``).

Every breach is recorded when it happens, so a submission that catches the ``PermissionError`` still fails.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import os
import signal
import socket
import sys
import traceback
import types
from pathlib import Path

import numpy as np

from grader import child_errors, settings, simulator
from grader import sandbox_protocol as protocol
from grader.spec import resolve

LEARNER_PACKAGE = "submission"
INPUT_SETS = 2  # the timed calls alternate between this many input sets (see vary_inputs)
LEARNER_PROCESS_LIMIT = 512  # RLIMIT_NPROC of a learner's uid: threads count, so generous; forks are refused anyway
CHECKOUT = Path(__file__).resolve().parent.parent
SOLUTIONS = CHECKOUT / "solutions"


class Refused(Exception):
    """A request the child turns down with a message meant for the learner, shown as it is."""


class _BlockSolutions:
    """Import hook: learner code may not import the reference solutions."""

    def __init__(self, breaches: list[str]):
        self.breaches = breaches

    def find_spec(self, name, path=None, target=None):
        if name == "solutions" or name.startswith("solutions."):
            self.breaches.append(f"tried to import the reference solutions ({name})")
            raise ImportError(
                f"importing the reference solutions is not allowed in a submission (tried to import {name!r})"
            )


_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
# Audit events that change the path they name (see _Guard.__call__ for those naming two).
_CHANGING_EVENTS = {
    "os.rename",
    "os.remove",
    "os.rmdir",
    "os.truncate",
    "os.mkdir",
    "os.chmod",
    "os.chown",
    "os.utime",
    "shutil.rmtree",
}
_DIR_FD_LAST = {"os.remove", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.utime", "shutil.rmtree"}


def _inside(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == root or path.startswith(root + os.sep) for root in roots)


class _Guard:
    """An audit hook (PEP 578) for a learner's process: refuses, and records, reads of the reference
    solutions and writes into the grader's checkout or the results files.

    Audit hooks cannot be removed once added. They see Python's own file operations, not native code
    (ctypes, a compiled kernel making system calls): that needs an OS boundary (instructors/README.md).
    """

    def __init__(
        self, hidden: tuple[str, ...], protected: tuple[str, ...], writable: tuple[str, ...], breaches: list[str]
    ):
        self.hidden, self.protected, self.writable, self.breaches = hidden, protected, writable, breaches

    def __call__(self, event: str, args: tuple) -> None:
        if event == "open":
            path, mode, flags = args
            writing = (isinstance(flags, int) and flags & _WRITE_FLAGS) or (
                isinstance(mode, str) and any(c in mode for c in "wax+")
            )
            self.check(path, writing=bool(writing))
        elif event in ("os.listdir", "os.scandir"):
            self.check(args[0], writing=False)
        elif event == "os.link":  # (source, destination, source dir_fd, destination dir_fd)
            self.check(args[0], writing=False, dir_fd=args[2])
            self.check(args[1], writing=True, dir_fd=args[3])
        elif event in ("os.symlink", "shutil.copyfile"):  # (source, destination): only one is written
            self.check(args[0], writing=False)
            self.check(args[1], writing=True, dir_fd=args[2] if event == "os.symlink" else None)
        elif event == "os.rename":  # a rename changes both of its paths
            self.check(args[0], writing=True, dir_fd=args[2])
            self.check(args[1], writing=True, dir_fd=args[3])
        elif event in _CHANGING_EVENTS:
            self.check(args[0], writing=True, dir_fd=args[-1] if event in _DIR_FD_LAST else None)

    def check(self, path, *, writing: bool, dir_fd=None) -> None:
        if isinstance(path, int) or path is None:
            return
        try:
            name = os.fsdecode(path)
            if isinstance(dir_fd, int) and not os.path.isabs(name):  # relative to an open directory
                name = os.path.join(os.readlink(f"/proc/self/fd/{dir_fd}"), name)
            real = os.path.realpath(name)
        except (TypeError, ValueError, OSError):
            return
        if self.hidden and _inside(real, self.hidden):
            self.refuse(f"tried to read the reference solutions ({_shown(real)})")
        if writing and _inside(real, self.protected) and not _inside(real, self.writable):
            self.refuse(f"tried to write {_shown(real)}: a submission may not change the grader's files or the results")

    def refuse(self, breach: str) -> None:
        if breach not in self.breaches:
            self.breaches.append(breach)
        raise PermissionError(f"parlab sandbox: {breach}")


def _shown(path: str) -> str:
    relative = os.path.relpath(path, CHECKOUT)
    return relative if not relative.startswith("..") else path


def _live_children() -> list[int]:
    """Process ids of this process's children that have not exited (Linux; elsewhere none are seen)."""
    children = []
    try:
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/children") as listing:
                children += [int(pid) for pid in listing.read().split()]
    except OSError:
        return []
    live = []
    for pid in children:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rpartition(")")[2].split()[0] not in ("Z", "X"):
                    live.append(pid)
        except OSError:
            continue
    return live


class Child:
    def __init__(self, connection: socket.socket | None, comm=None):
        self.connection = connection
        self.comm = comm  # mpi4py communicator, or None
        self.module: types.ModuleType | None = None
        self.learner_root: str | None = None  # where the learner's files are read from (a staged copy, as root)
        self.shown_root: str | None = None  # where the learner keeps them: what messages show
        self.bench_sets: list[tuple] = []  # the benchmark's input sets (the call's arguments), see vary_inputs
        self.bench_output = None
        self.pid = os.getpid()
        self.forks = 0
        self.breaches: list[str] = []  # rules the learner's code broke, recorded by the hooks
        self.guarded = False  # True once a learner's module is loaded: the rules apply from then on
        # What the parent set, read before any learner code runs (which may change os.environ):
        self.protected: tuple[str, ...] = settings.CHILD_PROTECTED.read()  # paths it may not write
        self.shown_cwd: str = settings.CHILD_SHOWN_CWD.read() or os.getcwd()  # paths are shown relative to it
        self.memory_limit_bytes: int = settings.CHILD_MEMORY_LIMIT.read()  # 0: none
        self.full_tracebacks: bool = settings.TRACEBACK.read()
        self.pin_cpu: int | None = settings.CHILD_PIN_CPU.read()  # the core of the timed calls (see do_pin)
        os.register_at_fork(after_in_parent=self._count_fork)

    def _count_fork(self) -> None:
        self.forks += 1

    # -- the request loop -------------------------------------------------------------------------------
    def serve(self) -> None:
        while True:
            request = self.receive()
            if request[0] == "exit":
                return
            try:
                reply = getattr(self, "do_" + request[0])(*request[1:])
            except BaseException as error:  # noqa: BLE001 -- a learner's SystemExit is a reply, not our exit
                reply = ("error", protocol.clean_text(self.describe(error)))
            if os.getpid() != self.pid:
                os._exit(0)  # a fork of the learner's came back here: only the worker itself may answer
            breach = self.breach() if self.guarded else None
            if breach:
                self.reply(("fatal", breach))
                return
            self.reply(reply)

    def breach(self) -> str | None:
        """What rule the learner's code broke during the last request, if any (processes it started die)."""
        rules = list(self.breaches)
        children = _live_children()
        if self.forks or children:
            for pid in children:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            rules.append(
                "started another process (os.fork, multiprocessing or subprocess): a submission "
                "may use threads, not processes; the process was killed"
            )
        return "; ".join(rules) if rules else None

    def receive(self):
        if not self.comm:
            return protocol.receive(self.connection, trusted_types=True)
        # Rank 0 hands the other ranks the request's frame as raw bytes (no pickle on the way); each decodes it.
        frame = (
            np.frombuffer(protocol.encode(protocol.receive(self.connection, trusted_types=True)), np.uint8)
            if self.connection
            else None
        )
        size = np.array([len(frame) if frame is not None else 0], np.int64)
        self.comm.Bcast(size, root=0)
        if frame is None:
            frame = np.empty(int(size[0]), np.uint8)
        self.comm.Bcast(frame, root=0)
        return protocol.decode(memoryview(frame)[8:], trusted_types=True)

    def reply(self, reply) -> None:
        if self.comm:
            self.comm.Barrier()  # rank 0 answers only once every rank has finished the request
        if self.connection:
            protocol.send(self.connection, reply)

    # -- requests ------------------------------------------------------------------------------------------
    def do_load(self, source: dict):
        if source["kind"] == "file":
            self.learner_root = os.path.realpath(source["root"])
            self.shown_root = source.get("shown_root") or source["root"]
            self.guard_learner(hide_solutions=source["learner"])
            package = types.ModuleType(LEARNER_PACKAGE)
            package.__path__ = [self.learner_root]
            sys.modules[LEARNER_PACKAGE] = package
            name = f"{LEARNER_PACKAGE}.{source['assignment']}.{source['variant']}"
        else:
            name = source["module"]
        self.module = importlib.import_module(name)
        missing = [f for f in source.get("functions", ()) if not callable(getattr(self.module, f, None))]
        if missing:
            where = self.display_path(getattr(self.module, "__file__", name))
            return ("error", f"{where} defines no function {', '.join(missing)}")
        return ("ok",)

    def guard_learner(self, hide_solutions: bool) -> None:
        """Put the rules in place before the module is imported (the reference's too, so that both sides of
        a timing pay the same for them; only the learner's may not read the solutions)."""
        sys.dont_write_bytecode = True  # .pyc files would be writes into the checkout
        if hide_solutions:
            sys.meta_path.insert(0, _BlockSolutions(self.breaches))
        hidden = (str(SOLUTIONS.resolve()),) if hide_solutions else ()
        protected = (str(CHECKOUT), *self.protected)
        writable = tuple(os.path.realpath(p) for p in (os.environ.get("NUMBA_CACHE_DIR"),) if p)
        sys.addaudithook(_Guard(hidden, tuple(os.path.realpath(p) for p in protected), writable, self.breaches))
        self.guarded = True
        child_errors.install()  # an exception in a learner's thread fails the call that started it

    def do_call(self, function: str, args: tuple, kwargs: dict):
        target = self.lookup(function)
        _check_signature(function, target, args, kwargs)
        bound = _bind(target, args, kwargs)
        before = [(path, array.copy()) for path, array in _arrays_in(bound)]
        result = target(*args, **kwargs)
        # strict=False: a call that grew a list argument changed it; the arrays it still holds are compared
        modified = [
            path for (path, saved), (_, now) in zip(before, _arrays_in(bound), strict=False) if not _same(saved, now)
        ]
        return ("ok", _plain(result), modified)

    def do_setup(self, inputs: str, params: dict, prepare: str | None, shift: int = 1):
        base = resolve(inputs)(**params)
        self.bench_sets = []
        for index in range(INPUT_SETS):
            host_inputs = vary_inputs(base, index, shift)
            self.bench_sets.append(tuple(resolve(prepare)(*host_inputs)) if prepare else tuple(host_inputs))
        return ("ok",)

    def do_run(self, function: str, repeats: int, kwargs: dict, first: int = 0):
        target = self.lookup(function)
        sets = self.bench_sets
        for call in range(repeats):
            self.bench_args = sets[(first + call) % len(sets)]
            self.bench_output = target(*self.bench_args, **kwargs)
        _synchronize_gpu()
        return ("ok",)

    def do_pin(self):
        """Every thread of this process on the core ``pin_cpu``, threads started later too (they inherit it):
        the timed calls of a one-core worker run there, after a warm-up (imports, compilation) on all cores."""
        if self.pin_cpu is None or not hasattr(os, "sched_setaffinity"):
            raise Refused("this worker has no core to be pinned to")
        for thread in os.listdir("/proc/self/task"):
            try:
                os.sched_setaffinity(int(thread), {self.pin_cpu})
            except ProcessLookupError:
                continue  # the thread ended meanwhile
        return ("ok",)

    def do_collect(self, collect: str | None):
        output = resolve(collect)(self.bench_args, self.bench_output) if collect else self.bench_output
        return ("ok", _plain(output))

    def do_inspect(self, inspector: str):
        return ("ok", tuple(resolve(inspector)(self.module)))

    # -- helpers -----------------------------------------------------------------------------------------
    def lookup(self, function: str):
        target = getattr(self.module, function, None)
        if not callable(target):
            where = self.display_path(getattr(self.module, "__file__", None) or "the module")
            raise AttributeError(f"{where} defines no function {function}")
        return target

    def display_path(self, filename: str) -> str:
        filename = os.path.realpath(filename)
        if self.learner_root and self.shown_root and _inside(filename, (self.learner_root,)):
            filename = os.path.join(self.shown_root, os.path.relpath(filename, self.learner_root))
        relative = os.path.relpath(filename, self.shown_cwd)
        return relative if not relative.startswith("..") else filename

    def learner_frame(self, tb) -> traceback.FrameSummary | None:
        """The innermost traceback frame in the learner's files (where their code raised)."""
        if not self.learner_root:
            return None
        frames = [
            f for f in traceback.extract_tb(tb) if os.path.realpath(f.filename).startswith(self.learner_root + os.sep)
        ]
        return frames[-1] if frames else None

    def describe(self, error: BaseException) -> str:
        """One clear message for what went wrong, pointing into the learner's file."""
        if (explained := child_errors.describe(error, self.learner_frame, self.display_path)) is not None:
            return explained  # raised in a learner's thread, or by numba compiling a learner's kernel
        frame = self.learner_frame(error.__traceback__)
        where = f"{self.display_path(frame.filename)}:{frame.lineno}" if frame else None
        if isinstance(error, NotImplementedError):
            return f"not implemented: TODO in {where}" if where else f"not implemented: {error}"
        if isinstance(error, SyntaxError) and error.filename:
            return f"syntax error in {self.display_path(error.filename)}:{error.lineno}: {error.msg}"
        if isinstance(error, SystemExit):
            return f"called sys.exit({error.code!r})" + (f" at {where}" if where else "")
        if isinstance(error, ModuleNotFoundError) and self.module is None:
            return f"cannot import: {error}"
        if isinstance(error, Refused):
            return str(error)
        if isinstance(error, MemoryError):
            limit = self.memory_limit_bytes
            allowed = f" (the sandbox allows {limit / 2**30:.1f} GiB of address space)" if limit else ""
            return f"ran out of memory: {error or 'MemoryError'}{allowed}" + (f" at {where}" if where else "")
        text = f"raised {type(error).__name__}: {error}".rstrip(": ")
        if where:
            text += f" (at {where})"
        if self.full_tracebacks:
            text += "\n" + "".join(traceback.format_exception(error))
        return text


# -- values crossing the process boundary -------------------------------------------------------------------
def vary_inputs(host_inputs, index: int, shift: int):
    """Input set ``index`` of a benchmark: set 0 is the maker's inputs; set 1 is a fresh copy (new memory)
    in which, when the inputs are 1-D arrays of one length (SAXPY's x and y, scan's array), every array is
    rotated by ``shift`` elements, so its answer differs too. The timed calls alternate between the sets,
    so that a submission remembering its last answer (by the arrays' identity or address) gains nothing.
    Runs in the children and in the parent (which recomputes the set to verify the timed answer)."""
    if index == 0:
        return host_inputs
    fresh = copy.deepcopy(host_inputs)
    arrays = [value for value in fresh if isinstance(value, np.ndarray)] if isinstance(fresh, tuple) else []
    if arrays and all(a.ndim == 1 and len(a) == len(arrays[0]) for a in arrays) and len(arrays[0]) > 1:
        fresh = tuple(
            np.roll(value, shift * index % len(arrays[0])) if isinstance(value, np.ndarray) else value
            for value in fresh
        )
    return fresh


def _plain(value):
    """What the parent is allowed to receive: arrays, numbers, strings, and tuples/lists/dicts of them.

    Anything else (a GPU array, a custom object) is replaced by a marker naming its type, so the parent
    reports "got DeviceNDArray"; the parent refuses any object that would still come its way.
    """
    if value is None or isinstance(value, (bool, int, float, complex, str, np.generic)):
        return value
    if isinstance(value, np.ndarray):
        return value if value.dtype.kind in "biufc" and type(value) is np.ndarray else _unsupported(value)
    if isinstance(value, (tuple, list)):
        return type(value)(_plain(item) for item in value)
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return _unsupported(value)


def _unsupported(value) -> dict:
    return {"__unsupported__": f"{type(value).__module__}.{type(value).__qualname__}"}


def _check_signature(name: str, function, args: tuple, kwargs: dict) -> None:
    """Refuse, with both signatures in the message, a call the learner's function cannot accept."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return  # no signature to read (a compiled function): the call itself will say
    try:
        signature.bind(*args, **kwargs)
    except TypeError as error:
        called = ", ".join([type(a).__name__ for a in args] + [f"{k}=..." for k in kwargs])
        raise Refused(
            f"wrong signature: {name}{signature} cannot be called as {name}({called}) ({error}); "
            "the handout gives the signature to keep"
        ) from None


def _bind(function, args, kwargs) -> dict:
    try:
        bound = inspect.signature(function).bind(*args, **kwargs)
        return dict(bound.arguments)
    except (TypeError, ValueError):
        return {f"argument {i + 1}": value for i, value in enumerate(args)} | dict(kwargs)


def _arrays_in(arguments: dict):
    """(name, array) for every numpy array an argument holds, looking inside tuples and dataclasses."""
    for name, value in arguments.items():
        yield from _walk(name, value, depth=0)


def _walk(path, value, depth):
    if isinstance(value, np.ndarray):
        yield path, value
    elif depth < 3 and isinstance(value, (tuple, list)):
        for i, item in enumerate(value):
            yield from _walk(f"{path}[{i}]", item, depth + 1)
    elif depth < 3 and hasattr(value, "__dataclass_fields__"):
        for field in value.__dataclass_fields__:
            yield from _walk(f"{path}.{field}", getattr(value, field), depth + 1)


def _same(saved: np.ndarray, now: np.ndarray) -> bool:
    return (
        saved.shape == now.shape
        and saved.dtype == now.dtype
        and np.array_equal(saved, now, equal_nan=saved.dtype.kind in "fc")
    )


def _synchronize_gpu() -> None:
    """Wait for queued GPU work, so the parent's clock covers the kernels, not just their launches."""
    if "numba.cuda" in sys.modules and not simulator.enabled():
        sys.modules["numba.cuda"].synchronize()
    if "cupy" in sys.modules:
        sys.modules["cupy"].cuda.Device().synchronize()


def _limit_resources() -> None:
    import resource

    memory = settings.CHILD_MEMORY_LIMIT.read()
    if memory:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    output = settings.CHILD_OUTPUT_LIMIT.read()
    if output:
        resource.setrlimit(resource.RLIMIT_FSIZE, (output, output))
        # Python ignores SIGXFSZ, so a print past the limit would raise OSError inside the learner's code,
        # where it can be caught and printing can go on; the default action ends the process instead.
        signal.signal(signal.SIGXFSZ, signal.SIG_DFL)


def _drop_to_worker_uid() -> None:
    """As root: become the unprivileged uid the parent chose for this worker, for good, before anything of
    the submission runs; bound how many processes (threads) that uid may have."""
    import resource

    from grader.isolation import die_with_parent, drop_privileges

    uid = settings.CHILD_WORKER_UID.read()
    if uid is not None and os.geteuid() == 0:
        limit = LEARNER_PROCESS_LIMIT
        resource.setrlimit(resource.RLIMIT_NPROC, (limit, limit))
        os.umask(0o007)  # the run's learner workers share a group: its numba cache
        drop_privileges(uid, settings.CHILD_WORKER_GID.require())
    else:
        die_with_parent()
    if os.getppid() == 1 and not settings.CHILD_MPI.read() and not settings.CHILD_NAMESPACED.read():
        os._exit(1)  # the grader died before we could ask to die with it


def main(address: str) -> None:
    _drop_to_worker_uid()
    comm = None
    if settings.CHILD_MPI.read():
        from mpi4py import MPI

        comm = MPI.COMM_WORLD
    connection = None
    if comm is None or comm.Get_rank() == 0:
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.connect(address)
    _limit_resources()
    simulator.quicken()
    Child(connection, comm).serve()


if __name__ == "__main__":
    main(sys.argv[1])

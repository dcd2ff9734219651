"""The operating-system boundary around the grader's workers, and the ending of every process it started.

Which boundary a run gets depends on who runs the grader (instructors/README.md, "Threat model"):

* **namespaces** (root, and the kernel lets bubblewrap create namespaces): each worker runs under
  ``bwrap`` in new PID, network, IPC and UTS namespaces, on a read-only view of the whole file system with a
  private ``/tmp`` and ``/dev/shm``, the reference ``solutions/`` hidden from learner code behind an empty
  directory, and only its own working directory (and its numba cache) writable; inside, the worker drops to
  an unprivileged uid before anything of the submission runs. ``--die-with-parent`` and the PID namespace
  end every process inside when the worker's ``bwrap`` ends, however the grader itself ends.
* **uids** (root, namespaces refused, as under Docker's default profile): the same uids without the
  namespaces. Each learner worker has a uid of its own (fresh for every run, so concurrent gradings cannot
  touch each other), all of a run's learner workers one group; the reference and the baselines run under
  another uid (PARLAB_TRUSTED_UID, default 65533), which alone may write their numba cache. None of them may
  write the checkout, the virtual environment, the results or the grader's caches (all root's), or signal
  the grader or each other; what a learner's uid still runs when its worker ends is killed by uid.
* **same user** (an ordinary user, or when the worker uid cannot reach the Python installation): the
  defences that need no privilege: the audit hooks of ``grader/sandbox_child.py``, resource limits, process
  groups, a child subreaper, a parent-death signal, a private temporary directory, the data-only protocol.

The grader prints one line saying which it ran with (``PARLAB_SANDBOX=bwrap|uid|off`` forces one, for tests
and for instructors who know their machine). bubblewrap was chosen over hand-written namespace code: it is
small, packaged by Debian and Ubuntu (``apt-get install bubblewrap``; Gradescope's images are Ubuntu), used
by Flatpak, and does exactly the mounts and namespaces needed, in the right order, with
``--die-with-parent``; Python 3.11 has no ``os.unshare`` anyway.

Every process a worker starts carries the run's token in its environment, and the run writes a record in
a state directory of this checkout; at start-up, :func:`end_leftovers` ends what an earlier run that
died without cleaning up (SIGKILL) left behind, by token and by uid. :func:`install_stop_handlers` turns
SIGTERM, SIGINT and SIGHUP (and PARLAB_TIME_LIMIT) into :class:`GraderStopped`, so that the grader ends
its workers and still writes results for the tasks that finished.
"""

from __future__ import annotations

import ctypes
import enum
import glob
import hashlib
import json
import os
import secrets
import shutil
import signal
import site
import stat
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from grader import settings

CHECKOUT = Path(__file__).resolve().parent.parent
LEARNER_UIDS = range(10_000_000, 20_000_000)  # far from any account; drawn at random, one per worker
STAGED_BYTES_LIMIT = 64 << 20
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS = 1, 4, 36, 38


class Mode(enum.Enum):
    NAMESPACES = "namespaces"
    UIDS = "uids"
    SAME_USER = "same user"


class Role(enum.Enum):
    LEARNER = "learner"  # a submission: the adversary where the grader is root
    TRUSTED = "trusted"  # the reference solutions, the serial baselines


class GraderStopped(BaseException):
    """The grader was told to stop (a signal, its own time limit). A BaseException so that nothing on the
    way (hypothesis, a task's error handling) takes it for a failure of the learner's code."""

    def __init__(self, why: str, exit_status: int):
        super().__init__(why)
        self.why, self.exit_status = why, exit_status


@dataclass
class Boundary:
    """What this run isolates its workers with (one per grader process, see :func:`boundary`)."""

    mode: Mode
    summary: str  # the line the grader prints
    run_dir: Path
    token: str
    bwrap: str | None = None
    trusted_uid: int | None = None
    learner_gid: int | None = None
    learner_uids: list[int] = field(default_factory=list)  # every uid handed out, swept at the end
    trusted_cache: Path | None = None
    learner_cache: Path | None = None
    staged: dict = field(default_factory=dict)  # (submission root, assignment) -> its staged copy
    _counter: int = 0
    # Held while the fields above change: a speed task's workers are set up from several threads at once.
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def privileged(self) -> bool:
        return self.mode is not Mode.SAME_USER

    def new_worker_dir(self, uid: int | None, gid: int | None) -> Path:
        """A directory only this worker (and the grader) may use: its socket, TMPDIR and HOME."""
        with self._lock:
            self._counter += 1
            path = self.run_dir / f"w{self._counter}"
        path.mkdir(mode=0o700)
        (path / "tmp").mkdir(mode=0o700)
        if uid is not None:
            for where in (path, path / "tmp"):
                os.chown(where, uid, -1 if gid is None else gid)
        return path

    def new_learner_uid(self) -> int:
        """A uid no process uses and no worker of this run was given, recorded (for the sweep) before it is
        handed out."""
        taken = _uids_in_use()
        with self._lock:
            while True:
                uid = LEARNER_UIDS.start + secrets.randbelow(len(LEARNER_UIDS))
                if uid not in taken and uid not in self.learner_uids:
                    self.learner_uids.append(uid)
                    _write_record(self)
                    return uid

    def wrap(self, command: list[str], worker_dir: Path, cwd: str, hide: list[Path], writable: list[Path]) -> list[str]:
        """``command`` run under bwrap (namespaces mode), with ``hide`` behind empty directories and only
        ``worker_dir`` and ``writable`` writable; unchanged in the other modes."""
        if self.mode is not Mode.NAMESPACES or self.bwrap is None:
            return command
        args = [
            self.bwrap,
            "--unshare-pid",
            "--unshare-net",
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--die-with-parent",
            "--new-session",
            "--ro-bind",
            "/",
            "/",
            "--dev",
            "/dev",
            "--proc",
            "/proc",
            "--perms",
            "1777",
            "--tmpfs",
            "/tmp",
            "--perms",
            "1777",
            "--tmpfs",
            "/dev/shm",
        ]  # MPI's shared memory
        for device in sorted(glob.glob("/dev/nvidia*")) + sorted(glob.glob("/dev/dxg")):
            args += ["--dev-bind", device, device]  # a real GPU: --dev's minimal /dev has no GPU devices
        needed = _needed_paths()
        args += _overlays([*needed, Path(cwd), *writable])
        # The private /tmp hid everything under the real one: bring back what the worker needs from there
        # (a checkout or a virtual environment may live in /tmp).
        for path in _outermost([p for p in needed if _inside_tmp(p)]):
            args += [*_parents_in_tmp(path), *_bind_reachable(path)]
        for path in hide:
            if path.exists():
                args += ["--tmpfs", str(path)]
        # The run's directory (0711: staged submission, every worker's own 0700 directory) read-only, this
        # worker's directory and caches writable on top.
        args += ["--ro-bind", str(self.run_dir), str(self.run_dir)]
        for path in [worker_dir, *writable]:
            args += [*_parents_in_tmp(path), "--bind", str(path), str(path)]
        return args + ["--chdir", cwd, "--", *command]

    def close(self) -> None:
        sweep(self)
        shutil.rmtree(self.run_dir, ignore_errors=True)
        _record_path(self).unlink(missing_ok=True)


_BOUNDARY: Boundary | None = None
_SETTING_UP = threading.Lock()


def boundary(announce=lambda line: print(line, file=sys.stderr, flush=True)) -> Boundary:
    """This run's boundary, set up on first use (which prints its one line through ``announce``)."""
    global _BOUNDARY
    with _SETTING_UP:
        if _BOUNDARY is None:
            end_leftovers(announce)
            made = _set_up()
            # Only now: _set_up's probe of bwrap hands an exited process to the nearest subreaper (init reaps it).
            become_subreaper()
            _write_record(made)
            announce(f"parlab sandbox: {made.summary}")
            import atexit

            atexit.register(made.close)
            _BOUNDARY = made
    return _BOUNDARY


def _set_up() -> Boundary:
    wanted = settings.SANDBOX.read()
    token = secrets.token_hex(8)
    root = os.geteuid() == 0 and sys.platform.startswith("linux")
    run_dir = Path(tempfile.mkdtemp(prefix="parlab-run-", dir="/tmp" if root and Path("/tmp").is_dir() else None))
    same_user = Boundary(Mode.SAME_USER, "", run_dir, token)
    if not root or wanted == "off":
        why = f"{settings.SANDBOX.name}=off" if root else "not root, so no other uid to run learner code under"
        same_user.summary = (
            f"same user ({why}): in-process guards, resource limits, process groups; learner "
            "code can still read and write what this user can (instructors/README.md)"
        )
        return same_user
    unreachable = [p for p in _needed_paths() if not _reachable_by_others(p)]
    bwrap = shutil.which("bwrap") if wanted in ("auto", "bwrap") else None
    refusal = _probe_bwrap(bwrap) if bwrap else "bubblewrap (bwrap) is not installed"
    if wanted == "uid":
        refusal = f"{settings.SANDBOX.name}=uid"
    if refusal and unreachable:
        same_user.summary = (
            f"same user, as root: NO OS BOUNDARY: {refusal}, and other uids cannot reach "
            f"{unreachable[0]} (make it world-executable, or install bubblewrap)"
        )
        return same_user
    os.chmod(run_dir, 0o711)
    trusted_uid = settings.TRUSTED_UID.read()
    learner_gid = LEARNER_UIDS.start + secrets.randbelow(len(LEARNER_UIDS))
    made = Boundary(
        Mode.UIDS if refusal else Mode.NAMESPACES,
        "",
        run_dir,
        token,
        bwrap=None if refusal else bwrap,
        trusted_uid=trusted_uid,
        learner_gid=learner_gid,
    )
    made.trusted_cache = _trusted_cache(made, trusted_uid)
    made.learner_cache = run_dir / "learner-cache"
    made.learner_cache.mkdir()
    os.chown(made.learner_cache, 0, learner_gid)
    os.chmod(made.learner_cache, 0o2770)
    if made.mode is Mode.NAMESPACES:
        made.summary = (
            f"namespaces (bubblewrap {_bwrap_version(bwrap or 'bwrap')}): learner code as its own uid, "
            "no network, read-only file system, solutions/ hidden; reference and baselines as uid "
            f"{trusted_uid}"
        )
    else:
        locked = _lock_solutions(trusted_uid)
        made.summary = (
            f"uids only ({refusal}): learner code as its own uid, reference and baselines as uid "
            f"{trusted_uid}; {locked}; the network and world-readable files stay reachable"
        )
    return made


def _lock_solutions(trusted_uid: int) -> str:
    """Without namespaces nothing hides ``solutions/`` but its permissions: give it the trusted uid's group
    and take every right from others, so the reference can read it and learner code cannot. (With
    namespaces it is simply not mounted for learner code, and left as it is.)"""
    solutions = CHECKOUT / "solutions"
    if not solutions.is_dir():
        return "no solutions/ here"
    try:
        for path in [solutions, *solutions.rglob("*")]:
            if path.is_symlink():
                continue
            mode = path.stat().st_mode
            os.chown(path, -1, trusted_uid)
            os.chmod(path, (mode & ~0o007) | (0o050 if path.is_dir() else 0o040))
    except OSError as error:
        return f"solutions/ could not be made unreadable to learner code ({error.strerror})"
    return f"solutions/ made unreadable to all but group {trusted_uid}"


def _probe_bwrap(bwrap: str) -> str | None:
    """None if bwrap can make its namespaces here, else why not (one line)."""
    import subprocess

    try:
        run = subprocess.run(
            [
                bwrap,
                "--unshare-pid",
                "--unshare-net",
                "--die-with-parent",
                "--ro-bind",
                "/",
                "/",
                "--proc",
                "/proc",
                "--dev",
                "/dev",
                "true",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"bubblewrap failed ({error})"
    if run.returncode != 0:
        return f"namespaces refused ({(run.stderr.strip().splitlines() or ['bwrap failed'])[-1][:120]})"
    return None


def _bwrap_version(bwrap: str) -> str:
    import subprocess

    try:
        return subprocess.run([bwrap, "--version"], capture_output=True, text=True, timeout=10).stdout.split()[-1]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "?"


def _trusted_cache(made: Boundary, trusted_uid: int) -> Path:
    """numba's cache for the reference and the baselines: kept between runs, writable by the trusted uid
    only. Under :func:`settings.shared_cache_root` (PARLAB_CACHE_DIR, else /var/cache/parlab); per run if other
    uids cannot reach it."""
    root = settings.shared_cache_root()
    cache = root / "numba" / f"trusted-{trusted_uid}"
    try:
        cache.mkdir(parents=True, exist_ok=True)
        for where in (root, root / "numba"):
            if where.stat().st_uid == 0:
                os.chmod(where, where.stat().st_mode | 0o711)
        if cache.stat().st_uid != trusted_uid:
            for path in [cache, *cache.rglob("*")]:
                os.chown(path, trusted_uid, trusted_uid, follow_symlinks=False)
        os.chmod(cache, 0o711)  # others may pass through (_reachable_by_others), not list which functions it holds
        if made.bwrap or _reachable_by_others(cache):
            return cache
    except OSError:
        pass
    cache = made.run_dir / "trusted-cache"
    cache.mkdir(mode=0o711, exist_ok=True)
    os.chown(cache, trusted_uid, trusted_uid)
    return cache


def _needed_paths() -> list[Path]:
    """What every worker must be able to read: the interpreter, its libraries, the checkout, the MPI launcher."""
    paths = {
        Path(sys.prefix),
        Path(sys.base_prefix),
        Path(sys.exec_prefix),
        CHECKOUT,
        *(Path(p) for p in site.getsitepackages()),
    }
    launcher = shutil.which("mpiexec")
    if launcher:
        paths.add(Path(launcher).parent)
        paths.add(Path(os.path.realpath(launcher)).parent)
    return sorted(p for p in paths if p.exists())


def _inside_tmp(path: Path) -> bool:
    return Path(os.path.realpath(path)).is_relative_to("/tmp")


def _parents_in_tmp(path: Path) -> list[str]:
    """bwrap arguments making the directories between /tmp and ``path`` traversable: bwrap would create them
    0700 (root's), and a worker uid could not walk through."""
    path = Path(os.path.realpath(path))
    if not _inside_tmp(path):
        return []
    args = []
    for parent in reversed(path.parents):
        if parent.is_relative_to("/tmp") and parent != Path("/tmp"):
            args += ["--perms", "0755", "--dir", str(parent)]
    return args


def _bind_reachable(path: Path) -> list[str]:
    """bwrap arguments binding ``path`` read-only where a worker uid can walk into it: a directory others may not
    enter (a checkout cloned into ``mktemp -d``, 0700) becomes a 0755 directory holding binds of its entries."""
    path = Path(os.path.realpath(path))
    mode = path.stat().st_mode
    if not stat.S_ISDIR(mode) or mode & stat.S_IXOTH:
        return ["--ro-bind", str(path), str(path)]
    args = ["--perms", "0755", "--dir", str(path)]
    for entry in sorted(path.iterdir()):
        args += ["--ro-bind", str(entry), str(entry)]
    return args


def _outermost(paths: list[Path]) -> list[Path]:
    """``paths`` without those inside another of them."""
    paths = sorted({Path(os.path.realpath(p)) for p in paths})
    return [p for p in paths if not any(p != q and p.is_relative_to(q) for q in paths)]


def _reachable_by_others(path: Path) -> bool:
    """Whether a uid that owns nothing and is in no group can walk down to ``path``."""
    path = Path(os.path.realpath(path))
    for directory in [*reversed(path.parents), path]:
        try:
            mode = directory.stat().st_mode
        except OSError:
            return False
        if stat.S_ISDIR(mode) and not mode & stat.S_IXOTH:
            return False
    return True


def _overlays(paths: list[Path]) -> list[str]:
    """bwrap arguments that make ``paths`` reachable by an unprivileged uid: a directory others may not
    enter (root's home, 0700, holding pyenv) is replaced by an empty one into which only the needed
    subdirectories are bound, so the rest of it stays out of sight."""
    blocked: dict[Path, set[Path]] = {}
    for path in paths:
        path = Path(os.path.realpath(path))
        for directory in reversed(path.parents):
            if directory == Path("/") or _inside_tmp(directory):
                continue
            try:
                mode = directory.stat().st_mode
            except OSError:
                break
            if not mode & stat.S_IXOTH:
                below = path.relative_to(directory).parts
                blocked.setdefault(directory, set()).add(directory / below[0] if below else directory)
                break
    args = []
    for directory, children in sorted(blocked.items()):
        args += ["--tmpfs", str(directory)]
        for child in sorted(children):
            args += ["--ro-bind", str(child), str(child)]
    return args


# -- ending processes --------------------------------------------------------------------------------------
def become_subreaper() -> bool:
    """Linux: orphans of our descendants become our children (not init's), so they can be found."""
    return _prctl(PR_SET_CHILD_SUBREAPER, 1)


def _prctl(option: int, value: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def die_with_parent() -> None:
    """In a child, before exec: SIGKILL when the grader (the thread that started us) dies."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def drop_privileges(uid: int, gid: int) -> None:
    """In a worker: become ``uid``/``gid`` for good (no groups, no way back, no set-uid gains)."""
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    _prctl(PR_SET_NO_NEW_PRIVS, 1)
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # a change of uid clears it: set it again
    # and makes the process undumpable, which keeps MPI ranks of the same uid from reading each other's
    # memory (shared-memory transports use process_vm_readv): the uid is the boundary, not this flag.
    _prctl(PR_SET_DUMPABLE, 1)


def _uids_in_use() -> set[int]:
    uids = set()
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                uids.add(entry.stat().st_uid)
            except OSError:
                continue
    return uids


def processes_of(uid: int) -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid and _state(int(entry.name)) not in ("Z", "X", None):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _state(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat") as stat_file:
            return stat_file.read().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return None


def kill_uid(uid: int) -> int:
    """SIGKILL every process of ``uid`` (root only). A helper becomes ``uid`` and calls kill(-1): the kernel
    then ends every process of that uid at once, which a fork loop cannot outrun. Returns how many there were."""
    count = len(processes_of(uid))
    for _ in range(20):
        if not processes_of(uid):
            break
        pid = os.fork()
        if pid == 0:  # the helper: nothing but system calls, then gone
            try:
                os.setresuid(uid, uid, uid)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        time.sleep(0.01)
    return count


def processes_with_token(token: str) -> list[int]:
    marker = f"{settings.CHILD_SANDBOX_TOKEN.name}={token}".encode()
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                with open(f"/proc/{entry.name}/environ", "rb") as environ:
                    if marker in environ.read().split(b"\0"):
                        found.append(int(entry.name))
            except OSError:
                continue
    return found


def sweep(made: Boundary | None = None) -> None:
    """End what the run's workers left: every process of its learner uids, every process with its token.
    Reaps those that were handed to the grader (the subreaper)."""
    made = made or _BOUNDARY
    if made is None:
        return
    if made.privileged:
        for uid in made.learner_uids:
            kill_uid(uid)
    for pid in processes_with_token(made.token):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    sweep_marked()


def _children() -> set[int]:
    children: set[int] = set()
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return children
    for task in tasks:
        try:
            with open(f"/proc/self/task/{task}/children") as listing:
                children.update(int(pid) for pid in listing.read().split())
        except OSError:
            continue
    return children


def sweep_marked() -> None:
    """Kill (and reap) our children that came from a worker but are no worker: processes a submission
    detached from its worker's process group, handed to us (the subreaper) when their parent died."""
    from grader import sandbox

    if _BOUNDARY is None:
        return
    marker = f"{settings.CHILD_SANDBOX_TOKEN.name}={_BOUNDARY.token}".encode()
    with sandbox.LIVE_WORKERS_LOCK:  # a worker forked meanwhile (another thread) is in neither set
        strays = _children() - sandbox.LIVE_WORKERS
    for pid in strays:
        try:
            with open(f"/proc/{pid}/environ", "rb") as environ:
                if marker not in environ.read().split(b"\0"):
                    continue  # never reap a child we did not start: its owner may be waiting for it
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (OSError, ChildProcessError):
            continue


# -- leftovers of an earlier run of this checkout ------------------------------------------------------------
def _state_dir() -> Path:
    digest = hashlib.sha256(str(CHECKOUT).encode()).hexdigest()[:12]
    path = Path(tempfile.gettempdir()) / f"parlab-runs-{os.geteuid()}-{digest}"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def _start_time(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat") as stat_file:
            return stat_file.read().rpartition(")")[2].split()[19]
    except (OSError, IndexError):
        return None


def _record_path(made: Boundary) -> Path:
    return _state_dir() / f"{os.getpid()}.json"


def _write_record(made: Boundary) -> None:
    record = {
        "pid": os.getpid(),
        "start": _start_time(os.getpid()),
        "token": made.token,
        "learner_uids": made.learner_uids,
        "run_dir": str(made.run_dir),
    }
    path = _record_path(made)
    path.with_suffix(".tmp").write_text(json.dumps(record))
    path.with_suffix(".tmp").replace(path)


def end_leftovers(announce) -> None:
    """End what earlier runs of this checkout, now dead, left running; say so in one line."""
    killed, runs = 0, 0
    for record_file in _state_dir().glob("*.json"):
        try:
            record = json.loads(record_file.read_text())
        except (OSError, ValueError):
            record_file.unlink(missing_ok=True)
            continue
        if record.get("start") and _start_time(int(record["pid"])) == record["start"]:
            continue  # that run is still going: not leftovers
        runs += 1
        pids = processes_with_token(str(record.get("token")))
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        killed += len(pids)
        if os.geteuid() == 0:
            for uid in record.get("learner_uids", []):
                killed += kill_uid(int(uid))
        shutil.rmtree(record.get("run_dir", ""), ignore_errors=True) if record.get("run_dir") else None
        record_file.unlink(missing_ok=True)
    if killed:
        announce(
            f"parlab sandbox: killed {killed} processes left running by {runs} earlier run(s) of this "
            "checkout that ended without cleaning up"
        )


# -- stopping --------------------------------------------------------------------------------------------------
STOPPING: GraderStopped | None = None  # set once the grader has been told to stop


def install_stop_handlers() -> None:
    """SIGTERM, SIGINT, SIGHUP and the grader's own time limit (PARLAB_TIME_LIMIT=S) raise GraderStopped in
    the main thread, once; later signals are ignored while the grader ends its workers and writes results."""
    limit = settings.TIME_LIMIT.read()

    def stop(signum, frame):
        global STOPPING
        if STOPPING is not None:
            return
        name = signal.Signals(signum).name
        if signum == signal.SIGALRM and limit is not None:
            STOPPING = GraderStopped(f"the grader's time limit ({limit:g} s, {settings.TIME_LIMIT.name}) ran out", 124)
        else:
            STOPPING = GraderStopped(f"the grader was stopped by {name}", 128 + signum)
        if not _DEFERRED:
            raise STOPPING

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM):
        signal.signal(signum, stop)
    if limit is not None:
        signal.setitimer(signal.ITIMER_REAL, limit)


def stop_reason() -> GraderStopped | None:
    return STOPPING


_DEFERRED = False


def defer_stops() -> None:
    """From now on a stop signal is recorded (the exit status says so) but interrupts nothing: the grader
    is writing its results."""
    global _DEFERRED
    _DEFERRED = True
    signal.setitimer(signal.ITIMER_REAL, 0)


def stage_submission(made: Boundary, source_root: Path, assignment: str) -> Path:
    """A root-owned copy of ``source_root/assignment`` (regular files, at most STAGED_BYTES_LIMIT) that the
    learner's uids may read but not change; the original may sit where they cannot reach (a 0700 directory).
    Returns the copy's root (laid out like ``source_root``); staged once per run (the first of several workers
    asking at once stages it, the others wait for it)."""
    key = (str(source_root), assignment)
    with made._lock:
        if key not in made.staged:
            made.staged[key] = _stage(made, source_root, assignment, len(made.staged))
        return made.staged[key]


def _stage(made: Boundary, source_root: Path, assignment: str, index: int) -> Path:
    """The copy of :func:`stage_submission`, made under the run's directory as its ``index``-th staged copy."""
    target_root = made.run_dir / "submission" / str(index)
    target = target_root / assignment
    target.mkdir(parents=True)
    for where in (made.run_dir / "submission", target_root, target):
        os.chmod(where, 0o755)
    total = 0
    source = source_root / assignment
    for path in sorted(source.rglob("*")) if source.is_dir() else []:
        relative = path.relative_to(source)
        if path.is_symlink() or "__pycache__" in relative.parts:
            continue
        if path.is_dir():
            (target / relative).mkdir(mode=0o755, exist_ok=True)
        elif path.is_file():
            total += path.stat().st_size
            if total > STAGED_BYTES_LIMIT:
                break
            (target / relative).parent.mkdir(mode=0o755, parents=True, exist_ok=True)
            shutil.copyfile(path, target / relative)
            os.chmod(target / relative, 0o644)
    return target_root

"""The vocabulary an assignment uses to tell the grader what to check.

An assignment is declared once, in ``grader/suites/<name>/tasks.py``, as an :class:`Assignment` holding
:class:`Task` objects. Each task is one of three kinds:

* :class:`Property`  -- correctness. Hypothesis draws cases; the learner's function runs in a sandboxed
  child process; the parent process judges the answer against an oracle the learner cannot edit.
* :class:`Benchmark` -- speed. The serial baseline, the reference solution and the learner's code each
  run in their own child process on identical inputs; the parent times them interleaved, after warm-up,
  and scores the learner by its time relative to the reference in the same run.
* :class:`Inspection` -- information (or points) read off the compiled code, such as whether the SIMD
  variant holds packed vector instructions.

Nothing in this module runs learner code; it only describes what to run.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from grader import settings

Hook = Callable[..., Any]  # trusted code the grader runs in a worker: a function at the top level of a module


def resolve(reference: str):
    """The object a "package.module:function" reference names: how a worker process finds a hook (see
    :func:`hook_reference`)."""
    module, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module), attribute)


def hook_reference(hook: Hook) -> str:
    """The name by which a worker process finds ``hook``, "package.module:function".

    A hook (a Benchmark's ``inputs``, a Contestant's ``prepare`` and ``collect``, an Inspection's
    ``inspect``) runs inside the worker, so it crosses the process boundary by name: the worker imports the
    module and looks the function up (:func:`resolve`). Hence a hook is a function defined at the top level
    of an importable module; a lambda, a nested function, a bound method or a "module:function" string
    raises TypeError when the task is declared.
    """
    if isinstance(hook, str):
        raise TypeError(f"hook {hook!r}: pass the function itself, not its name")
    module, name = getattr(hook, "__module__", None), getattr(hook, "__qualname__", "")
    reference = f"{module}:{name}"
    if not module or module == "__main__" or not name.isidentifier() or resolve(reference) is not hook:
        raise TypeError(
            f"{hook!r} cannot be a hook: a worker process finds a hook by its module and name, so "
            "it must be a function defined at the top level of an importable module"
        )
    return reference


def _check_hooks(*hooks: Hook | None) -> None:
    for hook in hooks:
        if hook is not None:
            hook_reference(hook)


class Mismatch(AssertionError):
    """Raised by a check when the learner's answer is wrong. The message is shown to the learner."""


class Call(Protocol):
    """Runs ``function`` from the learner's module in the sandbox and returns its result.

    Raises :class:`Mismatch` if the call raised, crashed, timed out, or modified one of its inputs.
    ``variant`` names the variant being graded ("threaded", "simd", "cuda", "mpi").
    """

    variant: str

    def __call__(self, function: str, *args: Any, **kwargs: Any) -> Any: ...


@dataclass(frozen=True)
class Profile:
    """How big the drawn cases may be on the machine the variant runs on.

    ``simulated`` is True when a CUDA variant runs on numba's CUDA simulator (no GPU here): its
    strategies must then draw tiny inputs (a few blocks), because the simulator runs each thread in
    Python.
    """

    name: str  # "cpu", "gpu" or "simulator"
    simulated: bool = False


@dataclass(frozen=True)
class Property:
    """A correctness task: ``check(call, case)`` must pass for every case drawn.

    ``edge_cases(profile)`` lists cases that always run first (n = 0, 1, primes, 2^k +- 1, ...);
    then hypothesis draws ``max_examples`` more from ``cases(profile)`` and shrinks any failure to
    the smallest case that shows it. ``check`` raises :class:`Mismatch` with a message that states the
    input (use ``describe``), the expected and the actual values.
    """

    variant: str
    points: float
    cases: Callable[[Profile], Any]  # -> hypothesis SearchStrategy
    check: Callable[[Call, Any], None]
    edge_cases: Callable[[Profile], Sequence[Any]] = lambda profile: ()
    max_examples: int = 40
    simulator_max_examples: int = 8
    name: str = "correctness"
    ranks: int = 0  # MPI variants: the learner's module runs under ``mpiexec -n ranks`` (0: no MPI)
    time_limit_s: float = settings.CORRECTNESS_TIME_LIMIT_S  # the whole task, all cases together
    call_time_limit_s: float = settings.CALL_TIME_LIMIT_S  # one call of the learner's function


@dataclass(frozen=True)
class Contestant:
    """One side of a benchmark: which function to time, on which inputs.

    ``function`` is looked up in the contestant's module (the learner's or reference variant module,
    or the serial baseline module). ``prepare``, if given, is a trusted hook that runs inside the child
    before timing as ``prepare(*host_inputs)`` and returns the call's arguments (for example: copies them
    to the GPU and allocates the output there). ``collect``, likewise, runs as
    ``collect(call_args, returned_value)`` and returns the host array to verify.
    """

    function: str
    prepare: Hook | None = None
    collect: Hook | None = None

    def __post_init__(self) -> None:
        _check_hooks(self.prepare, self.collect)


@dataclass(frozen=True)
class Benchmark:
    """A speed task, timed interleaved against the reference and the serial baseline.

    ``inputs`` is a trusted, deterministic hook called as ``inputs(**params)`` in every child and in the
    parent (which recomputes the oracle answer to verify the timed output with
    ``verify(params, host_inputs, output)``; it raises :class:`Mismatch`).

    ``baseline`` is the serial baseline: a module's name and the contestant to call in it.
    ``fallback_speedup`` is the speedup over the serial baseline the reference is assumed to reach
    when ``solutions/`` is absent (documented in the handout).
    ``bytes_moved`` (per call) makes the report show GB/s; ``work`` = (unit, amount per call), for
    example ("pixel-iterations", 4.9e8), makes it show a throughput.
    """

    variant: str
    points: float
    name: str
    inputs: Hook
    params: dict
    learner: Contestant
    baseline_module: str
    baseline: Contestant
    verify: Callable[[dict, Any, Any], None]
    fallback_speedup: float
    bytes_moved: float | None = None
    work: tuple[str, float] | None = None
    operations: float | None = None  # float32 arithmetic operations a call does: the compute roofline
    needs_gpu: bool = False
    kwargs: dict = field(default_factory=dict)  # extra keyword arguments for the learner and reference
    rounds: int = 7  # at most (grader/timing.py: fewer, never below 5, when they outrun the rounds' budget)
    ranks: int = 0  # MPI variants: every contestant but the serial baseline runs on this many ranks
    # The names of this variant's correctness tasks that must pass before it is timed: those that check the
    # functions it times (scan: "exclusive_scan correctness" for exclusive_scan's speed). Empty: all of them.
    gated_on: tuple[str, ...] = ()
    time_limit_s: float = settings.BENCHMARK_REQUEST_TIME_LIMIT_S  # each request: set-up, a timed chunk, the output

    def __post_init__(self) -> None:
        _check_hooks(self.inputs)


@dataclass(frozen=True)
class Inspection:
    """Reads a fact off the learner's compiled code, e.g. packed SIMD instructions.

    ``inspect`` is a trusted hook that runs in the child as ``inspect(module) -> (ok: bool, message: str)``
    after ``warm_up`` cases have compiled the code.
    With ``points == 0`` it is information only and never fails the run.
    """

    variant: str
    name: str
    inspect: Hook
    warm_up: Callable[[Profile], Sequence[tuple[str, tuple]]]  # [(function, args), ...]
    points: float = 0.0
    # Consecutive inspections of one variant with the same group run one after another in one worker, each
    # still its own task with its own message and points: for checks that would each pay a costly import
    # (torch's: seconds) for less work than that. One that ends the worker (a crash, a hang) ends it for
    # itself only: the next starts a fresh one.
    worker_group: str | None = None

    def __post_init__(self) -> None:
        _check_hooks(self.inspect)


Task = Property | Benchmark | Inspection


@dataclass(frozen=True)
class Assignment:
    """One assignment: its number and name (``python -m grader 2`` or ``saxpy``), its variants and tasks.

    ``functions`` lists the functions every variant module must define (checked before grading, so a
    missing one is one clear message). Pictures for ``--images DIR`` live beside the declaration, in the
    suite's ``pictures.py`` (see grader/images.py).
    """

    number: int
    name: str
    title: str
    variants: tuple[str, ...]
    functions: dict[str, tuple[str, ...]]  # variant -> required function names
    tasks: tuple[Task, ...]

    @property
    def max_score(self) -> float:
        return sum(task.points for task in self.tasks)

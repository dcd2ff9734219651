"""Grades one assignment: runs each declared task in the sandbox and turns it into a :class:`TaskResult`.

This is the only module that knows the order of things: a variant's correctness comes before its speed (a
wrong answer fast earns nothing), tasks this machine cannot run are skipped with the reason, and every
failure of the learner's code is caught here and becomes that task's message.
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import statistics
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader import ceilings, machine, replay, scoring, settings, timing
from grader.correctness import Failure, run_case, run_property
from grader.isolation import GraderStopped
from grader.results import Status, TaskResult, Throughput, Timings, Word
from grader.sandbox import CHECKOUT, Limits, SandboxCall, Source, Worker, WorkerFailure, WorkerOptions
from grader.sandbox_child import vary_inputs
from grader.spec import Assignment, Benchmark, Contestant, Inspection, Mismatch, Profile, Property, Task, hook_reference

HUNG = "did not finish within the time limit"  # how grader/sandbox.py begins the reason a request was killed

__all__ = [
    "Grader",
    "Options",
    "Status",
    "TaskResult",
    "default_solutions",
    "limits_for",
    "profile_for",
    "worker_options_for",
]


@dataclass
class Options:
    submission: Path  # laid out like assignments/: <submission>/<assignment>/<variant>.py
    solutions: Path | None  # the reference solutions, or None (then speed uses the fallback)
    seed: int
    quick: bool = False
    variants: tuple[str, ...] | None = None  # None: all
    memory_limit_bytes: int | None = None  # None: half the machine's memory per child
    max_examples: int | None = None  # None: each Property's own
    progress: Callable[[str], None] = lambda line: None


def default_solutions() -> Path | None:
    path = CHECKOUT / "solutions"
    return path if path.is_dir() else None


# -- where and how a variant runs ----------------------------------------------------------------------------
def _on_simulator(variant: str) -> bool:
    return variant == "cuda" and machine.cuda_gpu() is None


def profile_for(variant: str) -> Profile:
    if variant == "cuda":
        return Profile("simulator", simulated=True) if _on_simulator(variant) else Profile("gpu")
    return Profile("cpu")


def worker_options_for(variant: str, ranks: int = 0, serial: bool = False) -> WorkerOptions:
    """How a worker for ``variant`` runs: on the CUDA simulator when there is no GPU, under MPI with
    ``ranks``, pinned to one core for the SIMD variant and the serial baseline."""
    one_core = serial or variant == "simd"  # the SIMD lesson is one core; the serial baseline is too
    return WorkerOptions(
        simulate_cuda=_on_simulator(variant),
        ranks=ranks,
        pin_cpu=min(os.sched_getaffinity(0)) if one_core and hasattr(os, "sched_getaffinity") else None,
    )


def limits_for(options: Options, variant: str, call_time_s: float) -> Limits:
    """A worker's limits: ``call_time_s`` a request, and half the machine's memory unless ``options`` say
    otherwise (none for CUDA on a real GPU)."""
    memory = options.memory_limit_bytes
    if memory is None:
        memory = machine.total_memory_bytes() // 2
    if variant == "cuda" and not _on_simulator(variant):
        memory = 0  # CUDA reserves address space far beyond what it uses
    return Limits(call_time_s=call_time_s, memory_bytes=memory)


def _skip_reason(task: Task, options: Options) -> str | None:
    ranks = getattr(task, "ranks", 0)
    if ranks and machine.mpi_launcher() is None:
        return f"no MPI here (install it: {machine.MPI_INSTALL_HINT})"
    if isinstance(task, Benchmark):
        if options.quick:
            return "--quick: correctness only"
        if task.needs_gpu and machine.cuda_gpu() is None:
            return "no CUDA GPU"
        if ranks and ranks > machine.cores() * 4:
            return f"{ranks} ranks on {machine.cores()} cores would time oversubscription, not the code"
    return None


def _group_of(task: Task) -> tuple[str, str] | None:
    """(variant, worker group) of an inspection that shares its worker, else None."""
    if isinstance(task, Inspection) and task.worker_group is not None:
        return (task.variant, task.worker_group)
    return None


class Grader:
    def __init__(self, assignment: Assignment, options: Options):
        self.assignment = assignment
        self.options = options
        # (variant, ranks) -> {correctness task name: why it failed (first line)}: what speed tasks are gated
        # on (each on the correctness tasks it names in ``gated_on``, or on all of its variant's).
        self.incorrect: dict[tuple[str, int], dict[str, str]] = {}
        # (variant, ranks) -> why its correctness hung: later tasks of the variant do not run its code again
        # (a hang costs one time limit, not one per task).
        self.hung: dict[tuple[str, int], str] = {}
        # The worker that consecutive inspections of one worker group share, with its (variant, group).
        self._shared: tuple[tuple[str, str], Worker] | None = None

    def learner_source(self, variant: str) -> Source:
        return Source.learner(
            self.options.submission, self.assignment.name, variant, self.assignment.functions.get(variant, ())
        )

    def reference_source(self, variant: str) -> Source | None:
        """The reference solution, loaded exactly as the learner's file is (same package mechanism, same
        sandbox rules), so that whatever the sandbox costs per call, both sides of a timing pay it."""
        root = self.options.solutions
        if root is None or not (root / self.assignment.name / f"{variant}.py").is_file():
            return None
        return Source.learner(root, self.assignment.name, variant, self.assignment.functions.get(variant, ()))

    def tasks(self) -> list[Task]:
        wanted = self.options.variants
        return [t for t in self.assignment.tasks if wanted is None or t.variant in wanted]

    def run(self) -> list[TaskResult]:
        results: list[TaskResult] = []
        tasks = self.tasks()
        try:
            return self._run(tasks, results)
        finally:
            self._close_shared()

    def _run(self, tasks: list[Task], results: list[TaskResult]) -> list[TaskResult]:
        for index, task in enumerate(tasks, 1):
            label = f"{self.assignment.name} {task.variant} {task.name}"
            self.options.progress(f"[{index}/{len(tasks)}] {label} ...")
            try:
                result = self.run_task(task)
            except GraderStopped as stop:  # the grader is stopping: this task and the rest are not graded
                return results + self.not_graded(tasks[index - 1 :], stop.why)
            except Exception as error:  # the last resort: a grader bug fails this task, not the whole run
                result = self._internal_error(task, error)
            results.append(result)
            self.options.progress(
                f"[{index}/{len(tasks)}] {label}: {result.status.upper()}"
                f" {result.points:g}/{result.max_points:g} ({result.seconds:.1f} s)"
            )
        return results

    def not_graded(self, tasks: list[Task], why: str) -> list[TaskResult]:
        """Results for ``tasks`` that the grader did not finish (it was stopped): no points, not counted."""
        return [
            TaskResult(
                self.assignment.name,
                task.variant,
                task.name,
                0.0,
                0.0,
                Status.SKIPPED,
                f"not graded: {why} before this task finished",
            )
            for task in tasks
        ]

    def _internal_error(self, task: Task, error: Exception) -> TaskResult:
        """A task the grader itself broke on: failed, with the traceback for the maintainers."""
        details = "".join(traceback.format_exception(error)).rstrip().replace("\n", "\n    ")
        what = f"{type(error).__name__}: {str(error).splitlines()[0]}" if str(error) else type(error).__name__
        message = (
            f"internal error in the grader ({what}): a bug in the grader, not in your code; please "
            f"report it with these details for the maintainers:\n    {details}"
        )
        if isinstance(task, Property):  # its variant's speed is not timed: correctness is unknown
            self.incorrect.setdefault((task.variant, task.ranks), {})[task.name] = message.splitlines()[0]
        return TaskResult(self.assignment.name, task.variant, task.name, 0.0, task.points, Status.FAILED, message)

    def run_task(self, task: Task) -> TaskResult:
        started = time.perf_counter()
        if self._shared is not None and self._shared[0] != _group_of(task):
            self._close_shared()
        result = TaskResult(self.assignment.name, task.variant, task.name, 0.0, task.points, Status.FAILED, "")
        skip = _skip_reason(task, self.options)
        if skip:
            result.status, result.message, result.max_points = Status.SKIPPED, skip, 0.0
        elif isinstance(task, Property):
            self._correctness(task, result)
        elif isinstance(task, Benchmark):
            self._speed(task, result)
        elif isinstance(task, Inspection):
            self._inspection(task, result)
        if result.max_points == 0 and result.status.graded and not isinstance(task, Property):
            result.info_verdict, result.status = result.status, Status.INFO  # no points: shown, never fails the run
        result.seconds = time.perf_counter() - started
        return result

    # -- correctness --------------------------------------------------------------------------------------
    def replay(self, task: Property, case: Any) -> TaskResult:
        """``task`` checked on ``case`` alone, once (``python -m grader ... --replay FILE``)."""
        started = time.perf_counter()
        result = TaskResult(self.assignment.name, task.variant, task.name, 0.0, task.points, Status.FAILED, "")
        self._correctness(task, result, only_case=case)
        result.seconds = time.perf_counter() - started
        return result

    def _correctness(self, task: Property, result: TaskResult, only_case: Any = None) -> None:
        profile = profile_for(task.variant)
        limits = limits_for(self.options, task.variant, task.call_time_limit_s)
        worker = None
        try:
            with Worker(
                self.learner_source(task.variant), limits, worker_options_for(task.variant, task.ranks)
            ) as worker:
                call = SandboxCall(worker, task.variant, task.call_time_limit_s)
                verdict = (
                    run_case(task, call, only_case)
                    if only_case is not None
                    else run_property(
                        task, call, profile, seed=self.options.seed, max_examples=self.options.max_examples
                    )
                )
        except WorkerFailure as failure:
            result.message = str(failure)
        else:
            where = " on numba's CUDA simulator (no GPU here)" if profile.simulated else ""
            result.message = verdict.message + where
            if verdict.passed:
                result.status, result.points = Status.PASSED, task.points
                return
            if verdict.counterexample is not None and only_case is None:
                result.message += self._replay_line(task, verdict.counterexample)
        # what went wrong, without the case it went wrong on (the correctness task shows that)
        why = next((line for line in result.message.splitlines() if not line.startswith(("input: ", "call: "))), "")
        self.incorrect.setdefault((task.variant, task.ranks), {})[task.name] = why
        if worker is not None and worker.dead and worker.dead.startswith(HUNG):
            self.hung.setdefault((task.variant, task.ranks), f"{task.name}: {why}")

    def _replay_line(self, task: Property, failure: Failure) -> str:
        """Saves ``failure`` for ``--replay`` and returns the line that replays it ("" if it cannot be saved)."""
        if not replay.savable(failure.case):
            return ""
        args, kwargs = (failure.call.args, failure.call.kwargs) if failure.call else ((), {})
        try:
            path = replay.write(self.assignment.name, task.variant, task.name, failure.case, args, kwargs)
        except OSError:
            return ""  # no writable cache: the message still shows the case and the call
        return f"\nreplay it: {replay.command(self.assignment.name, task.variant, path)}"

    def _gate(self, task: Benchmark) -> str | None:
        """Why ``task`` is not timed, or None: a correctness task it is gated on failed (the first one)."""
        failed = self.incorrect.get((task.variant, task.ranks), {})
        names = task.gated_on or tuple(failed)
        return next((f"{name}: {failed[name]}" for name in names if name in failed), None)

    # -- inspection ---------------------------------------------------------------------------------------
    def _inspection(self, task: Inspection, result: TaskResult) -> None:
        hung = self.hung.get((task.variant, 0))
        if hung:
            result.message = f"not inspected: the code hung in {hung} (code that hung is not run again)"
            return
        worker = None
        try:
            worker = self._inspection_worker(task)
            for function, args in task.warm_up(profile_for(task.variant)):
                worker.call(function, args, {})
            found, message = worker.request(("inspect", hook_reference(task.inspect)))[0]
        except WorkerFailure as failure:
            result.message = f"could not inspect: {failure}"
            return
        finally:
            if worker is not None and (task.worker_group is None or worker.dead):
                if self._shared is not None and self._shared[1] is worker:
                    self._shared = None
                worker.close()
        result.message = message
        if found:
            result.status, result.points = Status.PASSED, task.points

    def _inspection_worker(self, task: Inspection) -> Worker:
        """A started worker for ``task``: its own, or the one its worker group shares (started for the group's
        first inspection)."""
        group = _group_of(task)
        if self._shared is not None and self._shared[0] == group:
            return self._shared[1]
        limits = limits_for(self.options, task.variant, settings.INSPECTION_TIME_LIMIT_S)
        worker = Worker(self.learner_source(task.variant), limits, worker_options_for(task.variant))
        worker.start()
        if group is not None:
            self._shared = (group, worker)
        return worker

    def _close_shared(self) -> None:
        if self._shared is not None:
            worker, self._shared = self._shared[1], None
            worker.close()

    # -- speed --------------------------------------------------------------------------------------------
    def _speed(self, task: Benchmark, result: TaskResult) -> None:
        why = self._gate(task)
        if why:
            result.message = f"not timed until correct: {why}"
            return
        reference = self.reference_source(task.variant)
        sides = self._speed_sides(task, reference)
        limits = limits_for(self.options, task.variant, task.time_limit_s)
        workers: dict[Side, list[Worker]] = {}
        shift = 1 + secrets.randbelow(2**20)  # how input set 1 is rotated (sandbox_child.vary_inputs): fresh each run

        def set_up(side: SpeedSide, worker: Worker) -> None:
            with _naming(side.side):
                worker.connect()
                worker.request(
                    ("setup", hook_reference(task.inputs), task.params, _wire(side.contestant.prepare), shift),
                    task.time_limit_s,
                )

        try:
            # Every process is launched here, in this thread (a worker dies with the thread that started it),
            # before any other thread runs; then all of them boot, load their modules and build their inputs
            # at once, each waited on in a thread of its own, while this process builds its own copy (to verify
            # the timed answer with): nothing is timed yet, so they share the cores.
            for side in sides:
                workers[side.side] = []
                for _ in range(side.processes):
                    worker = Worker(side.source, limits, side.worker_options)
                    workers[side.side].append(worker)
                    with _naming(side.side):
                        worker.launch()
            setups = timing.Concurrently()
            setups.add(functools.partial(task.inputs, **task.params))
            for side in sides:
                for worker in workers[side.side]:
                    setups.add(functools.partial(set_up, side, worker))
            host_inputs = setups.wait()[0]
            times = timing.interleaved(
                {
                    side.side: [(worker, side.contestant.function, side.kwargs) for worker in workers[side.side]]
                    for side in sides
                },
                rounds=task.rounds,
                time_limit=task.time_limit_s,
                informative=frozenset(side.side for side in sides if not side.scored),
            )
            learner = workers[Side.LEARNER][0]
            output = learner.request(("collect", _wire(task.learner.collect)), task.time_limit_s)[0]
            timed_inputs = vary_inputs(host_inputs, learner.last_input_set, shift)
        except WorkerFailure as failure:
            result.message = str(failure)
            return
        finally:
            closing = timing.Concurrently()  # each waits for its process to exit: all at once
            for side_workers in workers.values():
                for worker in side_workers:
                    closing.add(worker.close)
            closing.wait()
        self._score(task, result, times, output, reference is not None, timed_inputs)

    def _speed_sides(self, task: Benchmark, reference: Source | None) -> list[SpeedSide]:
        """The sides a benchmark times: the serial baseline, the reference (when solutions/ has it) and the
        learner. The serial baseline is scored only when there is no reference (its time then gives the
        fallback target)."""
        # A scored side runs in several processes (see timing.py: one process can be persistently slower
        # than another running the same code). MPI sides keep one: idle MPI ranks poll, stealing cores.
        processes = 1 if task.ranks else timing.PROCESSES_PER_SIDE
        parallel = worker_options_for(task.variant, task.ranks)
        sides = [
            SpeedSide(
                Side.SERIAL,
                Source.trusted(task.baseline_module),
                task.baseline,
                worker_options_for(task.variant, serial=True),
                {},
                scored=reference is None,
                processes=1 if reference is not None else processes,
            )
        ]
        if reference is not None:
            sides.append(SpeedSide(Side.REFERENCE, reference, task.learner, parallel, task.kwargs, True, processes))
        sides.append(
            SpeedSide(
                Side.LEARNER, self.learner_source(task.variant), task.learner, parallel, task.kwargs, True, processes
            )
        )
        return sides

    def _score(
        self,
        task: Benchmark,
        result: TaskResult,
        times: Mapping[str, list[float]],
        output: Any,
        have_reference: bool,
        timed_inputs: Any,
    ) -> None:
        try:
            task.verify(task.params, timed_inputs, output)
        except Mismatch as wrong:
            result.message = f"the timed run returned a wrong answer: {wrong}"
            return
        if task.bytes_moved and task.variant != "cuda":
            claimed, ceiling = task.bytes_moved / min(times[Side.LEARNER]), timing.memory_bandwidth()
            if claimed > timing.BANDWIDTH_MARGIN * ceiling:
                result.message = (
                    f"timing refused: {claimed / 1e9:.0f} GB/s claimed, but this machine's memory "
                    f"moves {ceiling / 1e9:.0f} GB/s: the timed calls did not do the work (answers "
                    "remembered, or calls skipped)"
                )
                return
        reference_times = times.get(Side.REFERENCE) or scoring.fallback_reference_times(
            times[Side.SERIAL], task.fallback_speedup
        )
        ratios = scoring.round_ratios(times[Side.LEARNER], reference_times)
        ratio = scoring.paired_ratio(times[Side.LEARNER], reference_times)
        learner_s = statistics.median(times[Side.LEARNER])
        reference_s = statistics.median(reference_times)
        roof = ceilings.ceilings() if task.variant != "cuda" else None  # the GPU's ceilings are not measured
        timings = Timings(
            serial_s=statistics.median(times[Side.SERIAL]),
            reference_s=reference_s,
            learner_s=learner_s,
            reference_measured=have_reference,
            ratio_to_reference=ratio,
            learner_gbps=task.bytes_moved / learner_s / 1e9 if task.bytes_moved else None,
            reference_gbps=task.bytes_moved / reference_s / 1e9 if task.bytes_moved else None,
            throughput=Throughput(task.work[0], task.work[1] / learner_s) if task.work else None,
            rounds=len(ratios),
            ratio_range=(min(ratios), max(ratios)),
            load=ceilings.load_average(),
            cores=machine.cores(),
            memory_ceiling_gbps=roof.memory_bytes_per_s / 1e9 if roof else None,
            compute_ceiling_gflops=roof.flops_per_s / 1e9 if roof else None,
            learner_gflops=task.operations / learner_s / 1e9 if task.operations else None,
            reference_gflops=task.operations / reference_s / 1e9 if task.operations else None,
        )
        result.timings = timings
        fraction = scoring.speed_fraction(ratio)
        result.points = round(task.points * fraction, 2)
        against = (
            "the reference"
            if have_reference
            else (f"the fallback target ({task.fallback_speedup:g}x the serial baseline; no solutions/ here)")
        )
        full = f"full marks up to {scoring.BANDS[0][0]:g}x"
        result.message = (
            f"{ratio:.2f}x the time of {against}: {fraction:.0%} of the speed points ({full})"
            if task.points
            else f"{ratio:.2f}x the time of {against} (not graded)"
        )
        result.status = Status.for_points(fraction, 1.0)


@contextlib.contextmanager
def _naming(side: Side) -> Iterator[None]:
    """A worker's failure with the side it failed on in front, unless that side is the learner's."""
    try:
        yield
    except WorkerFailure as failure:
        raise WorkerFailure(str(failure) if side is Side.LEARNER else f"{side}: {failure}") from None


def _wire(hook) -> str | None:
    """How an optional hook crosses to a worker: its reference, or None."""
    return None if hook is None else hook_reference(hook)


class Side(Word):
    """A side of a benchmark, timed against the others."""

    SERIAL = "serial"  # the serial baseline (trusted code in the suite's baseline.py)
    REFERENCE = "reference"  # the reference solution, loaded from solutions/ as the learner's file is
    LEARNER = "learner"


@dataclass(frozen=True)
class SpeedSide:
    """How one side of a benchmark runs: its module, the function timed in it (with the trusted hooks that
    prepare its arguments and collect its output), its worker options and extra keyword arguments, whether
    it feeds the score, and in how many worker processes it is timed."""

    side: Side
    source: Source
    contestant: Contestant
    worker_options: WorkerOptions
    kwargs: dict
    scored: bool
    processes: int

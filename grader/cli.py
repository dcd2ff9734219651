"""``python -m grader``: the command line.

    python -m grader list
    python -m grader bundle ...      (instructors: build a Gradescope autograder bundle; see --help)
    python -m grader ASSIGNMENT|all [--variant V[,V]] [--submission DIR] [--solutions] [--quick]
                     [--json FILE] [--junitxml FILE] [--seed N] [--images DIR] [--examples N]
    python -m grader ASSIGNMENT --variant V --replay FILE    (rerun the one failing case the grader saved)

Exit status: 0 every graded point earned; 1 some task failed or earned part of its points; 2 bad usage, with
one line saying why; 128+N stopped by signal N (SIGTERM 143, SIGINT 130, SIGHUP 129) and 124 stopped by its
own time limit (PARLAB_TIME_LIMIT): every process the grader started is ended first, and the results files
hold the tasks that finished (the rest "not graded", with why).
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import traceback
from pathlib import Path

from grader import isolation, registry, settings
from grader.grading import Grader, Options, default_solutions
from grader.results import all_points_earned
from grader.sandbox import CHECKOUT, end_all_workers, protect_path

EXIT_PASSED, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad usage: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's default prints the whole usage block; we print one line
        raise UsageError(f"{message} (see python -m grader --help)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m grader",
        description="Grade parlab assignments: correctness "
        "(hypothesis properties against an oracle) and speed (against the reference and a serial "
        "baseline, timed interleaved).",
    )
    parser.add_argument(
        "assignment", help=f"list, all, or an assignment by number, assignmentN or name: {registry.choices()}"
    )
    parser.add_argument("--variant", help="comma-separated variants to grade (threaded, simd, cuda, mpi)")
    parser.add_argument(
        "--submission",
        metavar="DIR",
        help="grade DIR, laid out like assignments/ (default: the assignments/ of this checkout)",
    )
    parser.add_argument("--solutions", action="store_true", help="grade the reference solutions")
    parser.add_argument("--quick", action="store_true", help="correctness only, no speed tasks")
    parser.add_argument("--json", metavar="FILE", help="write Gradescope results.json to FILE")
    parser.add_argument("--junitxml", metavar="FILE", help="write JUnit XML to FILE")
    parser.add_argument("--seed", type=int, help="hypothesis seed, to reproduce a run (printed every run)")
    parser.add_argument("--images", metavar="DIR", help="write PNG pictures (frames, diffs, plots) to DIR")
    parser.add_argument("--examples", type=int, metavar="N", help="hypothesis cases per correctness task")
    parser.add_argument(
        "--replay",
        metavar="FILE",
        help="rerun exactly the failing correctness case saved in FILE (a failed task prints the command)",
    )
    return parser


def _list() -> str:
    lines = []
    for name in registry.names():
        assignment = registry.load(name)
        lines.append(f"{assignment.number}  {name:<11} {assignment.title}  [{assignment.max_score:g} points]")
        for variant in assignment.variants:
            tasks = [t for t in assignment.tasks if t.variant == variant]
            described = ", ".join(f"{t.name} ({t.points:g})" for t in tasks)
            lines.append(f"     {variant:<9} {described}")
    return "\n".join(lines)


def _writable(path: str, what: str) -> str:
    target = Path(path)
    resolved = target.resolve()
    if (
        resolved.is_relative_to("/proc")
        or resolved.is_relative_to("/sys")
        or resolved.is_relative_to("/dev")
        or (target.exists() and not target.is_file())
    ):
        raise UsageError(f"cannot write the {what} file {path}: it is not, and cannot be, a regular file")
    parent = resolved.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise UsageError(f"cannot write the {what} file {path}: {parent} is not a writable directory")
    return path


def _options(args, names: list[str]) -> Options:
    if args.solutions and args.submission:
        raise UsageError("choose --solutions or --submission DIR, not both")
    solutions = default_solutions()
    if args.solutions:
        if solutions is None:
            raise UsageError("--solutions: there is no solutions/ directory in this checkout")
        submission = solutions
    elif args.submission:
        submission = Path(args.submission)
        if not submission.is_dir():
            raise UsageError(f"--submission {args.submission}: no such directory")
        if not os.access(submission, os.R_OK | os.X_OK):
            raise UsageError(f"--submission {args.submission}: directory is not readable")
        submission = submission.resolve()
    else:
        submission = CHECKOUT / "assignments"
    variants = None
    if args.variant:
        variants = tuple(v.strip() for v in args.variant.split(",") if v.strip())
        known = {v for name in names for v in registry.load(name).variants}
        unknown = [v for v in variants if v not in known]
        if unknown or not variants:
            raise UsageError(
                f"unknown variant {', '.join(unknown) or args.variant!r}; choose from {', '.join(sorted(known))}"
            )
    if args.examples is not None and args.examples < 1:
        raise UsageError("--examples must be at least 1")
    for path, what in ((args.json, "JSON"), (args.junitxml, "JUnit XML")):
        if path:
            _writable(path, what)
            protect_path(path)  # learner code may not write the results
    seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
    return Options(
        submission=submission,
        solutions=solutions,
        seed=seed,
        quick=args.quick,
        variants=variants,
        max_examples=args.examples,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
    )


def main(argv: list[str] | None = None) -> int:
    try:
        settings.check_environment()
        return _main(argv)
    except (UsageError, settings.SettingError) as error:
        print(f"grader: {error}", file=sys.stderr)
        return EXIT_USAGE
    except isolation.GraderStopped as stop:  # stopped in the few lines between grading and the results
        end_all_workers()
        print(
            f"grader: {stop.why}, before its results were written; every process it started was ended", file=sys.stderr
        )
        return stop.exit_status
    except KeyboardInterrupt:
        print("grader: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # python -m grader list | head: the reader left; nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_PASSED


def _replay(path: str, names: list[str], options: Options) -> int:
    """``--replay FILE``: the saved case of one correctness task, checked once, reported as grading does."""
    from grader import replay
    from grader.reports import terminal

    try:
        saved = replay.read(path)
        if names != [saved.assignment] or (options.variants and saved.variant not in options.variants):
            rerun = replay.command(saved.assignment, saved.variant, Path(path))
            raise replay.ReplayError(
                f"--replay {path} holds a case of {saved.assignment} --variant {saved.variant}: run {rerun}"
            )
        assignment = registry.load(saved.assignment)
        task = replay.task_of(saved, assignment.tasks)
        case = saved.case()
    except replay.ReplayError as error:
        raise UsageError(str(error)) from None
    print(
        f"parlab grader: replaying one case of {saved.assignment} {saved.variant} {saved.task} on "
        f"{options.submission}: {case}",
        file=sys.stderr,
    )
    result = Grader(assignment, options).replay(task, case)
    print(terminal.render(f"Assignment {assignment.number}: {assignment.title} (replay)", [result], options.seed))
    return EXIT_PASSED if all_points_earned([result]) else EXIT_FAILED


def _main(argv) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bundle"]:  # python -m grader bundle ...: the Gradescope autograder bundle
        from grader import bundle

        return bundle.main(argv[1:])
    args = _parser().parse_args(argv)
    if args.assignment == "list":
        print(_list())
        return EXIT_PASSED
    try:
        names = registry.resolve(args.assignment)
    except registry.UnknownAssignment as error:
        raise UsageError(str(error)) from None
    options = _options(args, names)
    if args.replay:
        return _replay(args.replay, names, options)
    if options.variants:  # grade only the assignments that have one of the variants asked for
        asked = set(options.variants)
        names = [n for n in names if asked & set(registry.load(n).variants)]
    if args.images:
        Path(args.images).mkdir(parents=True, exist_ok=True)

    from grader.reports import gradescope, junit, terminal

    print(f"parlab grader: grading {options.submission} (seed {options.seed})", file=sys.stderr)
    isolation.install_stop_handlers()
    results = []
    stopped = None
    for name in names:
        assignment = registry.load(name)
        if stopped:
            results += Grader(assignment, options).not_graded(list(Grader(assignment, options).tasks()), stopped.why)
            continue
        try:
            isolation.boundary()  # its one line, and the end of what an earlier run left running
            assignment_results = Grader(assignment, options).run()
        except isolation.GraderStopped as stop:  # stopped outside a task (while starting, between tasks)
            assignment_results = Grader(assignment, options).not_graded(
                list(Grader(assignment, options).tasks()), stop.why
            )
        stopped = isolation.stop_reason()
        results += assignment_results
        title = f"Assignment {assignment.number}: {assignment.title}"
        print(terminal.render(title, assignment_results, options.seed))
        print()
        if args.images:
            from grader.images import write_pictures

            try:
                written = write_pictures(assignment, options, args.images, assignment_results)
            except Exception:  # a grader bug in the pictures costs the pictures, never the results
                print(
                    f"grader: internal error in the grader while drawing the {name} pictures (a bug, please "
                    f"report it):\n{traceback.format_exc()}",
                    file=sys.stderr,
                )
                written = []
            for path in written:
                print(f"  wrote {path}")
    isolation.defer_stops()  # from here on a signal no longer interrupts: the results get written
    end_all_workers()  # nothing the grader started outlives it, nor writes after it
    if len(names) > 1:
        score, max_score = terminal.total(results)
        print(f"total {score:g}/{max_score:g}")
    if args.json:
        gradescope.write(args.json, results, options.seed)
    if args.junitxml:
        junit.write(args.junitxml, results)
    if stopped:
        finished = sum(1 for r in results if not r.message.startswith("not graded: "))
        print(
            f"grader: {stopped.why}: every process it started was ended; {finished} of {len(results)} tasks "
            "finished, the rest are reported as not graded",
            file=sys.stderr,
        )
        return stopped.exit_status
    return EXIT_PASSED if all_points_earned(results) else EXIT_FAILED

"""``python -m grader bundle OUT_DIR``: a Gradescope autograder bundle, built from this checkout.

    python -m grader bundle OUT_DIR [--assignments A[,A]] [--variant V[,V]] [--quick] [--examples N]
                            [--visibility V] [--speed-visibility V] [--stdout-visibility V] [--zip] [--force]

OUT_DIR receives what Gradescope's "zip file upload" expects at the root of the zip:

* ``setup.sh``: run once when Gradescope builds the image: makes a virtual environment in /autograder/venv and
  installs the project (numpy, numba, numba-cuda, hypothesis, ... from PyPI; the extras its assignments need:
  mpi4py and MPICH for MPI tasks, PyTorch for a torch_ops variant), then grades the reference solutions once
  (correctness, which also fills numba's cache) and fails the build, loudly, unless they earn full marks.
* ``run_autograder``: run for every submission: stages the student's files from /autograder/submission into a
  fresh directory laid out like ``assignments/``, runs ``python -m grader all --submission DIR --json
  /autograder/results/results.json`` with the environment's ``bin`` first on PATH (``mpiexec``), then sets the
  visibility the bundle was built with; should the grader write no results (bad usage), it writes a
  results.json that says why, so the student always sees a message.
* the instructor's copy of the project: ``grader/``, ``solutions/``, the starters' ``assignments/`` (for the
  course's ``common.py`` files) and ``pyproject.toml``, holding only the assignments asked for, so that
  ``python -m grader all`` inside the bundle grades exactly those.

Every path run_autograder uses can be moved by the environment, which is how the bundle is tested off
Gradescope: AUTOGRADER_ROOT (default /autograder), AUTOGRADER_SOURCE ($ROOT/source), AUTOGRADER_SUBMISSION
($ROOT/submission), AUTOGRADER_RESULTS ($ROOT/results/results.json), AUTOGRADER_WORK ($ROOT/work),
AUTOGRADER_PYTHON ($ROOT/venv/bin/python, else python3). setup.sh reads AUTOGRADER_ROOT, AUTOGRADER_SOURCE,
AUTOGRADER_VENV ($ROOT/venv) and AUTOGRADER_PYTHON: given, it names a ready interpreter with the project's
dependencies, and setup.sh makes no virtual environment (how the tests run it without reinstalling numba).

The bundle prints the points to set as the assignment's total on Gradescope: those of the tasks Gradescope
can grade (:func:`gradescope_points`). results.json leaves the others out, so the two totals agree.

``python -m grader.bundle stage SUBMISSION DEST NAME...`` and ``python -m grader.bundle finish RESULTS STATUS
WORK [--visibility V ...]`` are run_autograder's helpers.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import stat
import sys
import zipfile
from pathlib import Path

from grader import registry
from grader.reports import write_atomically
from grader.reports.gradescope import Publishing, Visibility, publish
from grader.sandbox import CHECKOUT
from grader.spec import Assignment, Benchmark, Task

EXIT_OK, EXIT_USAGE = 0, 2
COURSE_FILES = ("__init__.py", "common.py")  # the course's, not the student's: staged from the bundle
SKIPPED_NAMES = {"__pycache__", ".pytest_cache", ".hypothesis", ".ipynb_checkpoints"}


class UsageError(Exception):
    """Bad usage: one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{message} (see python -m grader bundle --help)")


_VISIBILITIES = ", ".join(str(v) for v in Visibility)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m grader bundle",
        description="Write a Gradescope autograder bundle (setup.sh, run_autograder, the grader and "
        "the reference solutions) to OUT_DIR. See instructors/README.md.",
    )
    parser.add_argument("out_dir", metavar="OUT_DIR", help="where to write the bundle (new or empty)")
    parser.add_argument(
        "--assignments",
        metavar="A[,A]",
        help="comma-separated assignments to grade (default: every one in this checkout)",
    )
    parser.add_argument("--variant", metavar="V[,V]", help="comma-separated variants to grade (default: every one)")
    parser.add_argument(
        "--quick", action="store_true", help="grade correctness only (speed on shared grading machines is noisy)"
    )
    parser.add_argument("--examples", type=int, metavar="N", help="hypothesis cases per correctness task")
    parser.add_argument(
        "--visibility",
        type=Visibility,
        default=Visibility.VISIBLE,
        metavar="V",
        help=f"when students see the tests: {_VISIBILITIES} (default: visible)",
    )
    parser.add_argument(
        "--speed-visibility",
        type=Visibility,
        metavar="V",
        help="when students see the speed tests (default: as --visibility)",
    )
    parser.add_argument(
        "--stdout-visibility",
        type=Visibility,
        default=Visibility.HIDDEN,
        metavar="V",
        help="when students see run_autograder's output, the grader's log (default: hidden)",
    )
    parser.add_argument("--zip", action="store_true", help="also write OUT_DIR.zip, ready to upload")
    parser.add_argument("--force", action="store_true", help="replace OUT_DIR if it is not empty")
    return parser


def main(argv: list[str]) -> int:
    try:
        return _main(argv)
    except UsageError as error:
        print(f"grader bundle: {error}", file=sys.stderr)
        return EXIT_USAGE


def _main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    names = _assignments(args.assignments)
    variants = _variants(args.variant, names)
    if args.examples is not None and args.examples < 1:
        raise UsageError("--examples must be at least 1")
    out = Path(args.out_dir)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} exists and is not a directory")
    if CHECKOUT.resolve() in [out.resolve(), *out.resolve().parents]:
        raise UsageError(f"{out} is inside the checkout it copies; choose a directory outside {CHECKOUT}")
    if out.is_dir() and any(out.iterdir()):
        if not args.force:
            raise UsageError(f"{out} is not empty (add --force to replace it)")
        shutil.rmtree(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"cannot create {out}: {error.strerror}") from None
    grader_args = (
        (["--quick"] if args.quick else [])
        + (["--variant", ",".join(variants)] if variants else [])
        + (["--examples", str(args.examples)] if args.examples else [])
    )
    publishing = Publishing(args.visibility, args.speed_visibility, args.stdout_visibility)
    copied = write_bundle(out, names, grader_args, publishing)
    print(
        f"wrote {out}: setup.sh, run_autograder and {copied} files of the grader and solutions for {', '.join(names)}"
    )
    points, left_out = gradescope_points([registry.load(name) for name in names], quick=args.quick, variants=variants)
    print(
        f"Gradescope: set the assignment's total to {points:g} points (the tasks it can grade"
        + (f"; not graded there: {'; '.join(left_out)}" if left_out else "")
        + ")"
    )
    if not (CHECKOUT / "solutions").is_dir():
        print("  note: no solutions/ in this checkout: speed is scored by the fallback targets", file=sys.stderr)
    if args.zip:
        archive = zip_bundle(out)
        print(f"wrote {archive}: upload it as the autograder (Gradescope: Configure Autograder, Zip file upload)")
    return EXIT_OK


def _variants(spec: str | None, names: list[str]) -> list[str]:
    if spec is None:
        return []
    variants = [word.strip() for word in spec.split(",") if word.strip()]
    known = {variant for name in names for variant in registry.load(name).variants}
    unknown = [variant for variant in variants if variant not in known]
    if unknown or not variants:
        raise UsageError(
            f"unknown variant {', '.join(unknown) if unknown else repr(spec)}; choose from {', '.join(sorted(known))}"
        )
    return variants


def _not_gradable_on_gradescope(task: Task, quick: bool) -> str | None:
    """Why Gradescope cannot grade ``task``, or None. The grader's own rules (grading._skip_reason) on a
    machine with MPI (setup.sh installs it) and no GPU (Gradescope has none)."""
    if isinstance(task, Benchmark):
        if quick:
            return "speed (--quick)"
        if task.needs_gpu:
            return "CUDA speed (no GPU)"
    return None


def gradescope_points(assignments: list[Assignment], *, quick: bool, variants: list[str]) -> tuple[float, list[str]]:
    """The points of the tasks a bundle grades on Gradescope, and what it leaves out (with how many points)."""
    points = 0.0
    left_out: dict[str, float] = {}
    for assignment in assignments:
        for task in assignment.tasks:
            if variants and task.variant not in variants:
                continue
            why = _not_gradable_on_gradescope(task, quick)
            if why is None:
                points += task.points
            elif task.points:
                left_out[why] = left_out.get(why, 0.0) + task.points
    return round(points, 2), [f"{why}, {lost:g} points" for why, lost in left_out.items()]


def _assignments(spec: str | None) -> list[str]:
    if not spec:
        return registry.names()
    names = []
    for word in filter(None, (w.strip() for w in spec.split(","))):
        try:
            resolved = registry.resolve(word)
        except registry.UnknownAssignment as error:
            raise UsageError(str(error)) from None
        names += [name for name in resolved if name not in names]
    if not names:
        raise UsageError(f"--assignments {spec!r} names no assignment")
    return names


# -- writing the bundle ---------------------------------------------------------------------------------------
def _wanted(relative: Path, names: list[str]) -> bool:
    """Whether a file of the checkout belongs in a bundle grading ``names``."""
    parts = relative.parts
    if any(part in SKIPPED_NAMES or part.endswith(".pyc") for part in parts):
        return False
    top = parts[0]
    if top == "pyproject.toml" or (top == "README.md" and len(parts) == 1):
        return True
    if top == "grader":
        if len(parts) > 3 and parts[1] == "suites":  # grader/suites/<name>/...: only the assignments bundled
            return parts[2] in names
        return True
    if top in ("assignments", "solutions"):
        return len(parts) == 2 and parts[1] == "__init__.py" or (len(parts) > 2 and parts[1] in names)
    return False


def write_bundle(out: Path, names: list[str], grader_args: list[str], publishing: Publishing) -> int:
    copied = 0
    for top in ("pyproject.toml", "README.md", "grader", "assignments", "solutions"):
        path = CHECKOUT / top
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else []
        for source in files:
            relative = source.relative_to(CHECKOUT)
            if source.is_symlink() or not _wanted(relative, names):
                continue
            target = out / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
            copied += 1
    extras = ",".join(_extras([registry.load(name) for name in names]))
    extras = f"[{extras}]" if extras else ""
    arguments = " ".join(shlex.quote(a) for a in grader_args)
    _write_script(out / "setup.sh", SETUP_SH.replace("@EXTRAS@", extras).replace("@GRADER_ARGS@", arguments))
    publish_args = [f"--visibility={publishing.visibility}", f"--stdout-visibility={publishing.stdout_visibility}"]
    if publishing.speed_visibility:
        publish_args.append(f"--speed-visibility={publishing.speed_visibility}")
    _write_script(
        out / "run_autograder",
        RUN_AUTOGRADER.replace("@ASSIGNMENTS@", " ".join(names))
        .replace("@GRADER_ARGS@", arguments)
        .replace("@PUBLISH_ARGS@", " ".join(publish_args)),
    )
    return copied


def _extras(assignments: list[Assignment]) -> list[str]:
    """The pyproject extras setup.sh installs: ``mpi`` for MPI tasks, ``torch`` for a torch_ops variant."""
    extras = []
    if any(getattr(task, "ranks", 0) for assignment in assignments for task in assignment.tasks):
        extras.append("mpi")
    if any("torch_ops" in assignment.variants for assignment in assignments):
        extras.append("torch")
    return extras


def _write_script(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def zip_bundle(out: Path) -> Path:
    archive = out.with_name(out.name + ".zip")
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(out.rglob("*")):
            if path.is_file():
                info = zipfile.ZipInfo.from_file(path, path.relative_to(out).as_posix())
                info.compress_type = zipfile.ZIP_DEFLATED
                bundle.writestr(info, path.read_bytes())  # keeps the executable bits of the scripts
    return archive


SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (written by python -m grader bundle).
# The build fails, with the grader's report above, when the reference solutions do not earn full marks.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="${AUTOGRADER_SOURCE:-$ROOT/source}"
VENV="${AUTOGRADER_VENV:-$ROOT/venv}"
PYTHON="${AUTOGRADER_PYTHON:-}"  # a ready interpreter with the project's dependencies: no venv is made
GRADER_ARGS=(@GRADER_ARGS@)

if [ -z "$PYTHON" ]; then
    # Python 3.10 or newer with venv (Gradescope's Ubuntu images have python3; venv may need the package).
    if ! python3 -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
        apt-get update
        DEBIAN_FRONTEND=noninteractive apt-get install -y python3 python3-venv python3-pip
    fi
    python3 -m venv "$VENV"
    PYTHON="$VENV/bin/python"
    "$PYTHON" -m pip install --upgrade pip
    "$PYTHON" -m pip install -e "${SOURCE}@EXTRAS@"
fi
# The environment's commands first, as in an activated venv: mpiexec comes with the mpich wheel.
PATH="$(dirname "$(command -v "$PYTHON")"):$PATH"
export PATH

# Grade the reference solutions' correctness: checks the install, and compiles them into numba's cache so
# that each submission's speed tasks do not pay for compiling the reference and the serial baselines.
cd "$SOURCE"
if [ -d solutions ] && ! "$PYTHON" -m grader all --solutions "${GRADER_ARGS[@]}" --quick --examples 2; then
    echo "setup.sh: the reference solutions in $SOURCE/solutions do not earn full marks (the report above):" \
         "this image would grade students wrongly. Fix them, or the grader, and upload the bundle again." >&2
    exit 1
fi
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this for every submission (written by python -m grader bundle; see instructors/README.md).
# It always leaves a results.json: the grader's, or one that says why there is none.
set -uo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="${AUTOGRADER_SOURCE:-$ROOT/source}"
SUBMISSION="${AUTOGRADER_SUBMISSION:-$ROOT/submission}"
RESULTS="${AUTOGRADER_RESULTS:-$ROOT/results/results.json}"
WORK="${AUTOGRADER_WORK:-$ROOT/work}"
PYTHON="${AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON=python3
# The environment's commands first, as in an activated venv: mpiexec comes with the mpich wheel.
PATH="$(dirname "$(command -v "$PYTHON")"):$PATH"
export PATH
ASSIGNMENTS=(@ASSIGNMENTS@)
GRADER_ARGS=(@GRADER_ARGS@)
PUBLISH_ARGS=(@PUBLISH_ARGS@)

mkdir -p "$(dirname "$RESULTS")" "$WORK"
rm -rf "$WORK/submission" "$RESULTS"  # a results.json left from an earlier run must not pass for this one's
cd "$SOURCE" || exit 1
if "$PYTHON" -m grader.bundle stage "$SUBMISSION" "$WORK/submission" "${ASSIGNMENTS[@]}"; then
    "$PYTHON" -m grader all --submission "$WORK/submission" --json "$RESULTS" "${GRADER_ARGS[@]}" 2> "$WORK/grader.log"
    status=$?
    cat "$WORK/grader.log" >&2
    echo "grader exit status: $status (0 every point earned, 1 some lost, 2 bad usage)"
else
    status=unstaged
fi
"$PYTHON" -m grader.bundle finish "$RESULTS" "$status" "$WORK" "${PUBLISH_ARGS[@]}"
exit 0
"""


# -- run_autograder's helpers ---------------------------------------------------------------------------------
def _submission_root(submission: Path, names: list[str]) -> tuple[Path, bool]:
    """Where the student's assignment folders are: (root, flat). Accepts a whole repository (assignments/
    inside), a folder of assignment folders, or, for a one-assignment bundle, the variant files themselves."""
    if (submission / "assignments").is_dir():
        return submission / "assignments", False
    if any((submission / name).is_dir() for name in names):
        return submission, False
    variant_files = [f"{variant}.py" for variant in registry.load(names[0]).variants] if len(names) == 1 else []
    if any((submission / name).is_file() for name in variant_files):
        return submission, True
    raise FileNotFoundError(
        f"no submission files found in {submission}: upload your repository (with assignments/), or the "
        f"folders {', '.join(names)}" + (f", or {', '.join(variant_files)} themselves" if variant_files else "")
    )


def stage(submission: Path, dest: Path, names: list[str]) -> list[Path]:
    """Copy the student's .py files into ``dest/<name>/`` (regular files only: a symbolic link could point at
    the solutions), then put the course's own ``common.py`` and ``__init__.py`` over theirs."""
    root, flat = _submission_root(submission, names)
    staged = []
    for name in names:
        source_dir = root if flat else root / name
        target_dir = dest / name
        target_dir.mkdir(parents=True, exist_ok=True)
        if source_dir.is_dir():
            for path in sorted(source_dir.glob("*.py")):
                if path.is_symlink() or not path.is_file() or path.name in COURSE_FILES:
                    continue
                shutil.copyfile(path, target_dir / path.name)
                staged.append(target_dir / path.name)
        for course_file in COURSE_FILES:
            course = CHECKOUT / "assignments" / name / course_file
            if course.is_file():
                shutil.copyfile(course, target_dir / course_file)
    return staged


def finish(results: Path, status: str, work: Path, publishing: Publishing) -> None:
    """Leave ``results`` as Gradescope should read it: the grader's results.json with the bundle's visibility,
    or, when there is none (the submission could not be staged, or the grader stopped on bad usage), one of
    score 0 that tells the student why."""
    document = None
    if status.isdigit() and int(status) < 2:
        try:
            document = json.loads(results.read_text())
        except (OSError, ValueError):
            pass
    if document is None:
        if status == "unstaged":
            why = _read(work / "stage.txt") or "could not stage the submission"
        else:
            why = f"The grader could not grade this submission (exit status {status}): " + "\n".join(
                _read(work / "grader.log").splitlines()[-5:]
            )
        document = {"score": 0.0, "output": why.strip(), "tests": []}
    results.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(str(results), json.dumps(publish(document, publishing), indent=2))


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def _finish_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m grader.bundle finish")
    parser.add_argument("results", type=Path)
    parser.add_argument("status", help="the grader's exit status, or 'unstaged'")
    parser.add_argument("work", type=Path)
    parser.add_argument("--visibility", type=Visibility, default=Visibility.VISIBLE)
    parser.add_argument("--speed-visibility", type=Visibility)
    parser.add_argument("--stdout-visibility", type=Visibility, default=Visibility.HIDDEN)
    return parser


def _helper(argv: list[str]) -> int:
    if len(argv) >= 4 and argv[0] == "stage":
        submission, dest, names = Path(argv[1]), Path(argv[2]), argv[3:]
        try:
            staged = stage(submission, dest, names)
        except FileNotFoundError as error:
            (dest.parent / "stage.txt").write_text(str(error))
            print(f"run_autograder: {error}", file=sys.stderr)
            return 1
        print(f"run_autograder: staged {len(staged)} files: " + ", ".join(str(p.relative_to(dest)) for p in staged))
        return 0
    if argv[:1] == ["finish"]:
        args = _finish_parser().parse_args(argv[1:])
        finish(
            args.results,
            args.status,
            args.work,
            Publishing(args.visibility, args.speed_visibility, args.stdout_visibility),
        )
        return 0
    print(
        "usage: python -m grader.bundle stage SUBMISSION DEST NAME... | finish RESULTS STATUS WORK [--visibility V]"
        " [--speed-visibility V] [--stdout-visibility V]",
        file=sys.stderr,
    )
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(_helper(sys.argv[1:]))

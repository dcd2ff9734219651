"""``python -m grader bundle OUT_DIR``: a Gradescope autograder bundle, built from this checkout.

    python -m grader bundle OUT_DIR [--assignments A[,A]] [--quick] [--zip] [--force]

OUT_DIR receives what Gradescope's "zip file upload" expects at the root of the zip:

* ``setup.sh``: run once when Gradescope builds the image: makes a virtual environment in /autograder/venv and
  installs the project (numpy, numba, numba-cuda, hypothesis, ... from PyPI; mpi4py and MPICH too when the
  graph assignment is in the bundle), then grades the reference solutions once, which fills numba's cache.
* ``run_autograder``: run for every submission: stages the student's files from /autograder/submission into a
  fresh directory laid out like ``assignments/``, runs ``python -m grader all --submission DIR --json
  /autograder/results/results.json``, and, should the grader write no results (bad usage), writes a
  results.json that says why, so the student always sees a message.
* the instructor's copy of the project: ``grader/``, ``solutions/``, the starters' ``assignments/`` (for the
  course's ``common.py`` files) and ``pyproject.toml``, holding only the assignments asked for, so that
  ``python -m grader all`` inside the bundle grades exactly those.

Every path run_autograder uses can be moved by the environment, which is how the bundle is tested off
Gradescope: AUTOGRADER_ROOT (default /autograder), AUTOGRADER_SOURCE ($ROOT/source), AUTOGRADER_SUBMISSION
($ROOT/submission), AUTOGRADER_RESULTS ($ROOT/results/results.json), AUTOGRADER_WORK ($ROOT/work),
AUTOGRADER_PYTHON ($ROOT/venv/bin/python, else python3).

``python -m grader.bundle stage SUBMISSION DEST NAME...`` and ``python -m grader.bundle report RESULTS MESSAGE``
are run_autograder's helpers.
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
from grader.sandbox import CHECKOUT

EXIT_OK, EXIT_USAGE = 0, 2
COURSE_FILES = ("__init__.py", "common.py")  # the course's, not the student's: staged from the bundle
SKIPPED_NAMES = {"__pycache__", ".pytest_cache", ".hypothesis", ".ipynb_checkpoints"}


class UsageError(Exception):
    """Bad usage: one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{message} (see python -m grader bundle --help)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m grader bundle",
                     description="Write a Gradescope autograder bundle (setup.sh, run_autograder, the grader and "
                     "the reference solutions) to OUT_DIR. See instructors/README.md.")
    parser.add_argument("out_dir", metavar="OUT_DIR", help="where to write the bundle (new or empty)")
    parser.add_argument("--assignments", metavar="A[,A]",
                        help="comma-separated assignments to grade (default: every one in this checkout)")
    parser.add_argument("--quick", action="store_true",
                        help="grade correctness only (speed on shared grading machines is noisy)")
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
    copied = write_bundle(out, names, quick=args.quick)
    print(f"wrote {out}: setup.sh, run_autograder and {copied} files of the grader and solutions for "
          f"{', '.join(names)}")
    if not (CHECKOUT / "solutions").is_dir():
        print("  note: no solutions/ in this checkout: speed is scored by the fallback targets", file=sys.stderr)
    if args.zip:
        archive = zip_bundle(out)
        print(f"wrote {archive}: upload it as the autograder (Gradescope: Configure Autograder, Zip file upload)")
    return EXIT_OK


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


def write_bundle(out: Path, names: list[str], *, quick: bool = False) -> int:
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
    needs_mpi = any(getattr(task, "ranks", 0) for name in names for task in registry.load(name).tasks)
    extras = "[mpi]" if needs_mpi else ""
    _write_script(out / "setup.sh", SETUP_SH.replace("@EXTRAS@", extras))
    grader_args = ["--quick"] if quick else []
    _write_script(out / "run_autograder", RUN_AUTOGRADER.replace("@ASSIGNMENTS@", " ".join(names)).replace(
        "@GRADER_ARGS@", " ".join(shlex.quote(a) for a in grader_args)))
    return copied


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
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="${AUTOGRADER_SOURCE:-$ROOT/source}"
VENV="${AUTOGRADER_VENV:-$ROOT/venv}"

# Python 3.10 or newer with venv (Gradescope's Ubuntu images have python3; venv may need the package).
if ! python3 -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y python3 python3-venv python3-pip
fi

python3 -m venv ${AUTOGRADER_VENV_FLAGS:-} "$VENV"
"$VENV/bin/python" -m pip install --upgrade pip
"$VENV/bin/python" -m pip install -e "$SOURCE@EXTRAS@"

# Grade the reference solutions once: checks the install and compiles them into numba's cache, so each
# submission's speed tasks do not pay for compiling the reference and the serial baselines.
cd "$SOURCE"
"$VENV/bin/python" -m grader all --solutions --quick --examples 2 || true
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
ASSIGNMENTS=(@ASSIGNMENTS@)
GRADER_ARGS=(@GRADER_ARGS@)

mkdir -p "$(dirname "$RESULTS")" "$WORK"
rm -rf "$WORK/submission"
cd "$SOURCE" || exit 1
if ! "$PYTHON" -m grader.bundle stage "$SUBMISSION" "$WORK/submission" "${ASSIGNMENTS[@]}"; then
    "$PYTHON" -m grader.bundle report "$RESULTS" "$(cat "$WORK/stage.txt" 2>/dev/null || echo 'could not stage the submission')"
    exit 0
fi
"$PYTHON" -m grader all --submission "$WORK/submission" --json "$RESULTS" "${GRADER_ARGS[@]}" 2> "$WORK/grader.log"
status=$?
cat "$WORK/grader.log" >&2
echo "grader exit status: $status (0 all passed, 1 some task failed, 2 bad usage)"
if [ "$status" -ge 2 ] || [ ! -s "$RESULTS" ]; then
    "$PYTHON" -m grader.bundle report "$RESULTS" "The grader could not grade this submission (exit status $status): $(tail -n 5 "$WORK/grader.log")"
fi
exit 0
"""


# -- run_autograder's helpers ---------------------------------------------------------------------------------
VARIANT_FILES = ("threaded.py", "simd.py", "cuda.py", "mpi.py")


def _submission_root(submission: Path, names: list[str]) -> tuple[Path, bool]:
    """Where the student's assignment folders are: (root, flat). Accepts a whole repository (assignments/
    inside), a folder of assignment folders, or, for a one-assignment bundle, the variant files themselves."""
    if (submission / "assignments").is_dir():
        return submission / "assignments", False
    if any((submission / name).is_dir() for name in names):
        return submission, False
    if len(names) == 1 and any((submission / f).is_file() for f in VARIANT_FILES):
        return submission, True
    raise FileNotFoundError(
        f"no submission files found in {submission}: upload your repository (with assignments/), or the "
        f"folders {', '.join(names)}" + (f", or {', '.join(VARIANT_FILES)} themselves" if len(names) == 1 else ""))


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


def report(results: Path, message: str) -> None:
    """A results.json of score 0 that tells the student why their submission was not graded."""
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps({"score": 0.0, "output": message.strip(), "visibility": "visible",
                                   "tests": []}, indent=2))


def _helper(argv: list[str]) -> int:
    if len(argv) >= 4 and argv[0] == "stage":
        submission, dest, names = Path(argv[1]), Path(argv[2]), argv[3:]
        try:
            staged = stage(submission, dest, names)
        except FileNotFoundError as error:
            (dest.parent / "stage.txt").write_text(str(error))
            print(f"run_autograder: {error}", file=sys.stderr)
            return 1
        print(f"run_autograder: staged {len(staged)} files: "
              + ", ".join(str(p.relative_to(dest)) for p in staged))
        return 0
    if len(argv) == 3 and argv[0] == "report":
        report(Path(argv[1]), argv[2])
        return 0
    print("usage: python -m grader.bundle stage SUBMISSION DEST NAME... | report RESULTS MESSAGE", file=sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(_helper(sys.argv[1:]))

"""The instructor workflows of instructors/README.md, checked with their consumers' own validators: the GitHub
Actions workflow (actionlint, GitHub's workflow schema), a student repository without solutions/ (speed scored
by the fallback targets), and the Gradescope bundle (shellcheck; setup.sh and run_autograder run as Gradescope
runs them, with the path variables moved; every results.json against Gradescope's schema)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_reports import validate_junit_xml, validate_results_json

pytestmark = pytest.mark.ci

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / "instructors" / "github" / "grade.yml"
README = ROOT / "instructors" / "README.md"
INSTALL = 'pip install -e ".[dev]"'
GRADE = "python -m grader all --json results.json --junitxml report.xml"
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis", ".pytest_cache")
BARE_PATH = "/usr/local/bin:/usr/bin:/bin"  # no virtual environment's bin: the scripts must add their own


def _needs(command: str) -> str:
    path = shutil.which(command)
    if path is None:
        pytest.skip(f"{command} is not installed (.ci/run installs it; see pyproject's dev extra)")
    return path


# -- (a) the GitHub Actions workflow ---------------------------------------------------------------------------
def _workflow() -> dict:
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load(WORKFLOW.read_text())


def _steps() -> list[dict]:
    return _workflow()["jobs"]["grade"]["steps"]


def test_the_workflow_runs_the_commands_the_readme_gives():
    readme = README.read_text()
    assert INSTALL in readme and GRADE in readme
    runs = [step["run"].strip() for step in _steps() if "run" in step and step.get("shell") != "python"]
    assert runs == [INSTALL, GRADE]


def test_the_workflow_publishes_both_reports_even_when_grading_fails():
    steps = _steps()
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert set(upload["with"]["path"].split()) == {"results.json", "report.xml"}
    junit = next(s for s in steps if s.get("uses", "").startswith("mikepenz/action-junit-report@"))
    assert junit["with"]["report_paths"] == "report.xml"
    summary = next(s for s in steps if s.get("shell") == "python")
    for step in (upload, junit, summary):
        assert step.get("if") == "always()", step


def test_the_workflow_asks_for_least_permissions_and_leaves_the_graded_code_no_token():
    workflow = _workflow()
    assert workflow["permissions"] == {}
    assert workflow["jobs"]["grade"]["permissions"] == {"contents": "read", "checks": "write"}
    checkout = next(s for s in _steps() if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["persist-credentials"] is False


def test_the_workflow_writes_one_job_summary():
    steps = _steps()
    writers = [s for s in steps if "GITHUB_STEP_SUMMARY" in s.get("run", "")]
    junit = next(s for s in steps if s.get("uses", "").startswith("mikepenz/action-junit-report@"))
    assert len(writers) == 1 and junit["with"]["job_summary"] is False


def test_actionlint_finds_nothing_in_the_workflow():
    # actionlint also knows each action's current major: an action on a deprecated runtime is an error
    run = subprocess.run([_needs("actionlint"), "-no-color", str(WORKFLOW)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_workflow_is_valid_against_githubs_workflow_schema():
    run = subprocess.run(
        [_needs("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr


# -- a student repository: this checkout without solutions/, with the threaded starter completed ----------------
@pytest.fixture(scope="module")
def student_repo(tmp_path_factory) -> Path:
    repo = tmp_path_factory.mktemp("student") / "repo"
    repo.mkdir()
    for part in ("grader", "assignments"):
        shutil.copytree(ROOT / part, repo / part, ignore=IGNORED)
    shutil.copy(ROOT / "pyproject.toml", repo)
    shutil.copy(ROOT / "solutions" / "saxpy" / "threaded.py", repo / "assignments" / "saxpy" / "threaded.py")
    return repo


@pytest.fixture(scope="module")
def student_graded(student_repo) -> tuple[subprocess.CompletedProcess, dict]:
    """The workflow's grading step, for SAXPY only (the other assignments' starters add time, not coverage)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "grader",
            "saxpy",
            "--examples",
            "3",
            "--seed",
            "3",
            "--json",
            "results.json",
            "--junitxml",
            "report.xml",
        ],
        cwd=student_repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return run, json.loads((student_repo / "results.json").read_text())


def test_a_full_runs_reports_are_valid_against_their_schemas(student_graded, student_repo):
    _, results = student_graded
    validate_results_json(results)
    validate_junit_xml(student_repo / "report.xml")


def test_without_solutions_correctness_is_graded_in_full(student_graded, student_repo):
    run, results = student_graded
    assert run.returncode == 1 and "Traceback" not in run.stderr + run.stdout, run.stderr[-2000:]
    assert f"grading {student_repo / 'assignments'}" in run.stderr  # the student copy's grader, not ours
    tests = {t["name"]: t for t in results["tests"]}
    assert tests["saxpy · threaded · correctness"]["status"] == "passed"
    for variant in ("simd", "cuda"):
        correctness = tests[f"saxpy · {variant} · correctness"]
        assert correctness["status"] == "failed" and "not implemented: TODO in" in correctness["output"]
    assert "saxpy · cuda · speed (kernel only)" not in tests  # no GPU here: named in the output instead
    assert "- saxpy · cuda · speed (kernel only): no CUDA GPU" in results["output"]


def test_without_solutions_speed_is_scored_against_the_fallback_target(student_graded):
    _, results = student_graded
    speed = {t["name"]: t for t in results["tests"]}["saxpy · threaded · speed"]
    assert speed["status"] in ("passed", "failed") and speed["max_score"] == 4
    assert "the fallback target (1.5x the serial baseline; no solutions/ here)" in speed["output"]
    assert "| target " in speed["output"] and "| reference " not in speed["output"]
    assert speed["extra_data"]["timings"]["reference_measured"] is False


def test_the_job_summary_step_renders_the_results(student_graded, student_repo, tmp_path):
    _, results = student_graded
    script = next(s for s in _steps() if s.get("shell") == "python")["run"]
    summary = tmp_path / "summary.md"
    subprocess.run(
        [sys.executable, "-c", script],
        cwd=student_repo,
        check=True,
        env={**os.environ, "GITHUB_STEP_SUMMARY": str(summary)},
    )
    text = summary.read_text()
    total = sum(test.get("max_score", 0) for test in results["tests"])
    assert f"{results['score']:g} / {total:g} points" in text
    assert "| saxpy · threaded · correctness | passed | 6/6 |" in text
    assert "| saxpy · simd · vector instructions | " in text and " | not graded |" in text


def test_the_junit_report_lists_every_task(student_graded, student_repo):
    import xml.etree.ElementTree as ET

    _, results = student_graded
    cases = list(ET.parse(student_repo / "report.xml").getroot().iter("testcase"))
    left_out = results["output"].count("\n- ")  # Gradescope leaves out what cannot run; JUnit skips it
    assert len(cases) == len(results["tests"]) + left_out
    assert sum(case.find("skipped") is not None for case in cases) >= left_out


# -- (b) the Gradescope bundle ------------------------------------------------------------------------------------
def _bundle(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "grader", "bundle", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def _total_to_set(run: subprocess.CompletedProcess) -> float:
    found = re.search(r"set the assignment's total to ([\d.]+) points", run.stdout)
    assert found, run.stdout
    return float(found.group(1))


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, float]:
    out = tmp_path_factory.mktemp("bundle") / "autograder"
    run = _bundle(
        str(out),
        "--assignments",
        "saxpy",
        "--quick",
        "--zip",
        "--visibility",
        "after_due_date",
        "--stdout-visibility",
        "visible",
    )
    assert run.returncode == 0, run.stderr
    return out, _total_to_set(run)


@pytest.fixture(scope="module")
def bundle(built) -> Path:
    return built[0]


def test_the_bundle_holds_the_scripts_and_only_the_assignments_asked_for(bundle):
    import zipfile

    for script in ("setup.sh", "run_autograder"):
        assert os.access(bundle / script, os.X_OK)
        subprocess.run(["bash", "-n", str(bundle / script)], check=True)
    assert (bundle / "grader" / "suites" / "saxpy" / "tasks.py").is_file()
    assert (bundle / "solutions" / "saxpy" / "threaded.py").is_file()
    assert not (bundle / "grader" / "suites" / "mandelbrot").exists()
    assert not list(bundle.rglob("__pycache__"))
    with zipfile.ZipFile(bundle.with_name("autograder.zip")) as archive:
        names = archive.namelist()
        assert "setup.sh" in names and "run_autograder" in names  # at the root, where Gradescope looks
        assert archive.getinfo("run_autograder").external_attr >> 16 & 0o100


def test_the_bundle_prints_the_total_of_what_gradescope_can_grade(built):
    from grader import registry
    from grader.spec import Property

    _, total = built  # --quick: correctness only
    assert total == sum(t.points for t in registry.load("saxpy").tasks if isinstance(t, Property))


@pytest.mark.parametrize("args", [(), ("--assignments", "graph", "--variant", "mpi")])
def test_the_bundle_scripts_are_shellcheck_clean(tmp_path, args):
    shellcheck = _needs("shellcheck")
    assert _bundle(str(tmp_path / "b"), *args).returncode == 0
    run = subprocess.run(
        [shellcheck, str(tmp_path / "b" / "setup.sh"), str(tmp_path / "b" / "run_autograder")],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout


def _env(root: Path, bundle: Path, **more: str) -> dict:
    """Gradescope's layout moved under ``root``, this interpreter as the ready environment, and a PATH
    without it: what the scripts need from the environment's bin (mpiexec) they must find themselves."""
    env = {
        **os.environ,
        "AUTOGRADER_ROOT": str(root),
        "AUTOGRADER_SOURCE": str(bundle),
        "AUTOGRADER_PYTHON": sys.executable,
        "PATH": BARE_PATH,
        **more,
    }
    env.pop("PYTHONPATH", None)
    return env


def _run_autograder(bundle: Path, root: Path, submission: Path) -> dict:
    root.mkdir(parents=True, exist_ok=True)
    run = subprocess.run(
        [str(bundle / "run_autograder")],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=900,
        env=_env(root, bundle, AUTOGRADER_SUBMISSION=str(submission)),
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Traceback" not in run.stdout + run.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    validate_results_json(results)
    return results


def test_run_autograder_grades_a_student_repository(built, student_repo, tmp_path):
    bundle, total = built
    results = _run_autograder(bundle, tmp_path, student_repo)
    tests = {t["name"]: t for t in results["tests"]}
    assert tests["saxpy · threaded · correctness"]["status"] == "passed"
    assert tests["saxpy · simd · correctness"]["status"] == "failed"
    assert "saxpy · threaded · speed" not in tests  # the bundle was built with --quick ...
    assert "- saxpy · threaded · speed: --quick: correctness only" in results["output"]  # ... and says so
    assert results["score"] == 6 and sum(t.get("max_score", 0) for t in tests.values()) == total
    assert results["visibility"] == "after_due_date" and results["stdout_visibility"] == "visible"
    assert {t["visibility"] for t in tests.values()} == {"after_due_date"}
    assert os.stat(tmp_path / "results" / "results.json").st_mode & 0o044  # readable by Gradescope's uploader


def test_run_autograder_accepts_bare_variant_files_and_ignores_symlinks(bundle, tmp_path):
    upload = tmp_path / "upload"
    upload.mkdir()
    shutil.copy(ROOT / "tests" / "planted" / "good" / "saxpy" / "simd.py", upload / "simd.py")
    (upload / "threaded.py").symlink_to(bundle / "solutions" / "saxpy" / "threaded.py")
    results = _run_autograder(bundle, tmp_path / "ag", upload)
    tests = {t["name"]: t for t in results["tests"]}
    assert tests["saxpy · simd · correctness"]["status"] == "passed"
    threaded = tests["saxpy · threaded · correctness"]
    assert threaded["status"] == "failed" and "missing file" in threaded["output"]


def test_run_autograder_explains_an_empty_submission(bundle, tmp_path):
    (tmp_path / "empty").mkdir()
    results = _run_autograder(bundle, tmp_path / "ag", tmp_path / "empty")
    assert results["score"] == 0 and results["tests"] == []
    assert re.match(r"no submission files found in .*empty: upload your repository", results["output"])
    assert results["visibility"] == "after_due_date"  # the bundle's choice holds for this report too


def test_setup_fails_loudly_when_the_reference_solutions_do_not_earn_full_marks(tmp_path):
    bundle = tmp_path / "bundle"
    assert _bundle(str(bundle), "--assignments", "saxpy", "--variant", "threaded", "--quick").returncode == 0
    threaded = bundle / "solutions" / "saxpy" / "threaded.py"
    threaded.write_text(
        threaded.read_text() + "\n\ndef saxpy(a, x, y, num_threads=None):\n"
        "    return (a * x + y)[:-1]  # drops the last element\n"
    )
    run = subprocess.run(
        ["bash", str(bundle / "setup.sh")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env=_env(tmp_path / "ag", bundle),
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert re.search(r"^FAIL\s+threaded\s+correctness", run.stdout, re.MULTILINE), run.stdout
    assert "the reference solutions in" in run.stderr and "do not earn full marks" in run.stderr


@pytest.mark.slow
@pytest.mark.mpi
def test_the_bundle_grades_mpi_as_gradescope_runs_it(tmp_path):
    """setup.sh, then run_autograder on a submission of graph's MPI variant: the MPI tasks run (mpiexec found
    through the environment's bin, not the caller's PATH) and score. setup.sh is given this interpreter as the
    ready environment (AUTOGRADER_PYTHON), so it installs nothing."""
    bundle = tmp_path / "bundle"
    made = _bundle(str(bundle), "--assignments", "graph", "--variant", "mpi", "--quick", "--examples", "2")
    assert made.returncode == 0, made.stderr
    setup = subprocess.run(
        ["bash", str(bundle / "setup.sh")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
        env=_env(tmp_path / "ag", bundle),
    )
    assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-2000:]
    submission = tmp_path / "submission" / "graph"
    submission.mkdir(parents=True)
    shutil.copy(ROOT / "solutions" / "graph" / "mpi.py", submission / "mpi.py")
    results = _run_autograder(bundle, tmp_path / "ag", submission.parent)
    mpi = [t for t in results["tests"] if t["tags"][:2] == ["graph", "mpi"]]
    assert len(mpi) == 4 and all(t["status"] == "passed" and t["score"] == t["max_score"] > 0 for t in mpi), mpi
    assert results["score"] == sum(t["max_score"] for t in results["tests"]) == _total_to_set(made)


@pytest.mark.parametrize(
    "args, says",
    [
        ([], "the following arguments are required: OUT_DIR"),
        (["{tmp}/b", "--assignments", "nine"], "unknown assignment 'nine'"),
        (["{tmp}/b", "--variant", "gpu"], "unknown variant gpu"),
        (["{tmp}/b", "--visibility", "sometimes"], "argument --visibility: invalid Visibility value: 'sometimes'"),
        (["{tmp}/b", "--examples", "0"], "--examples must be at least 1"),
        (["{root}/bundle-inside"], "is inside the checkout it copies"),
        (["{tmp}/full"], "is not empty (add --force to replace it)"),
    ],
)
def test_bundle_usage_errors_are_one_line_and_exit_2(tmp_path, args, says):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "something").write_text("x")
    run = _bundle(*[a.format(tmp=tmp_path, root=ROOT) for a in args])
    assert run.returncode == 2 and run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("grader bundle: ") and says in lines[0], run.stderr
    assert not (ROOT / "bundle-inside").exists()

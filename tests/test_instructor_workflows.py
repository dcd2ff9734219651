"""The instructor workflows of instructors/README.md: the GitHub Actions workflow, the Gradescope bundle, and a
student repository without solutions/ (speed scored by the fallback targets)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.ci

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / "instructors" / "github" / "grade.yml"
README = ROOT / "instructors" / "README.md"
INSTALL = 'pip install -e ".[dev]"'
GRADE = "python -m grader all --json results.json --junitxml report.xml"
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis", ".pytest_cache")


# -- (a) the GitHub Actions workflow ---------------------------------------------------------------------------
def _steps() -> list[dict]:
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load(WORKFLOW.read_text())
    return workflow["jobs"]["grade"]["steps"]


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
    run = subprocess.run([sys.executable, "-m", "grader", "saxpy", "--examples", "3", "--seed", "3",
                          "--json", "results.json", "--junitxml", "report.xml"],
                         cwd=student_repo, env=env, capture_output=True, text=True, timeout=600)
    return run, json.loads((student_repo / "results.json").read_text())


def test_without_solutions_correctness_is_graded_in_full(student_graded, student_repo):
    run, results = student_graded
    assert run.returncode == 1 and "Traceback" not in run.stderr + run.stdout, run.stderr[-2000:]
    assert f"grading {student_repo / 'assignments'}" in run.stderr  # the student copy's grader, not ours
    tests = {t["name"]: t for t in results["tests"]}
    assert tests["saxpy · threaded · correctness"]["status"] == "passed"
    for variant in ("simd", "cuda"):
        correctness = tests[f"saxpy · {variant} · correctness"]
        assert correctness["status"] == "failed" and "not implemented: TODO in" in correctness["output"]


def test_without_solutions_speed_is_scored_against_the_fallback_target(student_graded):
    _, results = student_graded
    speed = {t["name"]: t for t in results["tests"]}["saxpy · threaded · speed"]
    assert speed["status"] in ("passed", "failed") and speed["max_score"] == 4
    assert "the fallback target (1.5x the serial baseline; no solutions/ here)" in speed["output"]
    assert "| target " in speed["output"] and "| reference " not in speed["output"]


def test_the_job_summary_step_renders_the_results(student_graded, student_repo, tmp_path):
    _, results = student_graded
    script = next(s for s in _steps() if s.get("shell") == "python")["run"]
    summary = tmp_path / "summary.md"
    subprocess.run([sys.executable, "-c", script], cwd=student_repo, check=True,
                   env={**os.environ, "GITHUB_STEP_SUMMARY": str(summary)})
    text = summary.read_text()
    assert f"{results['score']:g} / {results['max_score']:g} points" in text
    assert "| saxpy · threaded · correctness | passed | 6/6 |" in text


def test_the_junit_report_lists_every_task(student_graded, student_repo):
    import xml.etree.ElementTree as ET

    _, results = student_graded
    cases = ET.parse(student_repo / "report.xml").getroot().iter("testcase")
    assert sum(1 for _ in cases) == len(results["tests"])


# -- (b) the Gradescope bundle ------------------------------------------------------------------------------------
def _bundle(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", "bundle", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "autograder"
    run = _bundle(str(out), "--assignments", "saxpy", "--quick", "--zip")
    assert run.returncode == 0, run.stderr
    return out


def test_the_bundle_holds_the_scripts_and_only_the_assignments_asked_for(bundle):
    import zipfile

    for script in ("setup.sh", "run_autograder"):
        assert os.access(bundle / script, os.X_OK)
        subprocess.run(["bash", "-n", str(bundle / script)], check=True)
    assert (bundle / "grader" / "specs" / "saxpy.py").is_file()
    assert (bundle / "solutions" / "saxpy" / "threaded.py").is_file()
    assert not (bundle / "grader" / "specs" / "mandelbrot.py").exists()
    assert not list(bundle.rglob("__pycache__"))
    with zipfile.ZipFile(bundle.with_name("autograder.zip")) as archive:
        names = archive.namelist()
        assert "setup.sh" in names and "run_autograder" in names  # at the root, where Gradescope looks
        assert archive.getinfo("run_autograder").external_attr >> 16 & 0o100


def _run_autograder(bundle: Path, root: Path, submission: Path) -> dict:
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_SOURCE": str(bundle),
           "AUTOGRADER_SUBMISSION": str(submission), "AUTOGRADER_PYTHON": sys.executable}
    env.pop("PYTHONPATH", None)
    root.mkdir(parents=True, exist_ok=True)
    run = subprocess.run([str(bundle / "run_autograder")], cwd=root, env=env, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Traceback" not in run.stdout + run.stderr
    return json.loads((root / "results" / "results.json").read_text())


def test_run_autograder_grades_a_student_repository(bundle, student_repo, tmp_path):
    results = _run_autograder(bundle, tmp_path, student_repo)
    tests = {t["name"]: t for t in results["tests"]}
    assert tests["saxpy · threaded · correctness"]["status"] == "passed"
    assert tests["saxpy · simd · correctness"]["status"] == "failed"
    assert tests["saxpy · threaded · speed"]["status"] == "skipped"  # the bundle was built with --quick
    assert results["score"] == 6 and results["max_score"] == 18


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


@pytest.mark.parametrize("args, says", [
    ([], "the following arguments are required: OUT_DIR"),
    (["{tmp}/b", "--assignments", "nine"], "unknown assignment 'nine'"),
    (["{root}/bundle-inside"], "is inside the checkout it copies"),
    (["{tmp}/full"], "is not empty (add --force to replace it)"),
])
def test_bundle_usage_errors_are_one_line_and_exit_2(tmp_path, args, says):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "something").write_text("x")
    run = _bundle(*[a.format(tmp=tmp_path, root=ROOT) for a in args])
    assert run.returncode == 2 and run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("grader bundle: ") and says in lines[0], run.stderr
    assert not (ROOT / "bundle-inside").exists()

"""A failing correctness case, saved so that one pasted line reruns exactly that case.

When a correctness task fails, the grader writes its counterexample to a file (numpy's ``.npz``, written with
``np.savez`` and read with ``allow_pickle=False``: plain arrays only, never code) and prints

    replay: python -m grader saxpy --variant threaded --replay ~/.cache/parlab/replays/saxpy-threaded-correctness.npz

The file holds two things:

* ``case``: the assignment, variant and task, and the case as the suite's cases.py builds it (its dataclass
  type and fields), so that ``--replay`` runs the task's own check on exactly that case, with the same oracle
  and the same message, once, in the sandbox;
* ``arg0``, ``arg1``, ... and ``kwarg.<name>``: every argument of the call that failed, as arrays (a scalar
  is a 0-d array of its dtype), for the learner's own debugging::

      >>> saved = np.load(FILE)
      >>> saxpy(saved["arg0"][()], saved["arg1"], saved["arg2"], num_threads=int(saved["kwarg.num_threads"]))
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from grader import settings
from grader.spec import Property, resolve

CASE_KEY = "case"
SUITES = "grader.suites."  # a case's type must come from a suite: the file names a type, never code to run


class ReplayError(Exception):
    """The file is not a replay the grader wrote, or no longer matches the assignment: one line for the learner."""


def replay_dir() -> Path:
    return settings.cache_root() / "replays"


@dataclass(frozen=True)
class Replay:
    """One saved case of one correctness task."""

    assignment: str
    variant: str
    task: str
    case_type: str  # "module:QualifiedName" of the case's dataclass, in grader/suites/<name>/cases.py
    fields: dict[str, Any]

    def case(self) -> Any:
        kind = resolve(self.case_type)
        if not (isinstance(kind, type) and dataclasses.is_dataclass(kind)):
            raise ReplayError(f"the replay names {self.case_type}, which is not a case type")
        types = {field.name for field in dataclasses.fields(kind)}
        if set(self.fields) - types:
            raise ReplayError(
                f"the replay's case has fields {sorted(set(self.fields) - types)} that "
                f"{self.case_type} no longer has: grade again to get a fresh replay file"
            )
        return kind(**{name: tuple(value) if isinstance(value, list) else value for name, value in self.fields.items()})


def savable(case: Any) -> bool:
    """Whether ``case`` can be saved: a dataclass of a suite's cases.py whose fields are numbers, strings,
    booleans, or tuples of them."""
    if not dataclasses.is_dataclass(case) or not type(case).__module__.startswith(SUITES):
        return False
    return all(_plain(getattr(case, field.name)) for field in dataclasses.fields(case))


def _plain(value: Any) -> bool:
    if isinstance(value, (tuple, list)):
        return all(_plain(item) for item in value)
    return value is None or isinstance(value, (bool, int, float, str))


def write(assignment: str, variant: str, task: str, case: Any, args: tuple, kwargs: dict) -> Path:
    """Save ``case`` and the failing call's ``args`` and ``kwargs``; returns the file's path (one per task:
    the next failure of the same task replaces it)."""
    directory = replay_dir()
    directory.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^A-Za-z0-9]+", "-", f"{assignment}-{variant}-{task}").strip("-")
    path = directory / f"{slug}.npz"
    record = {
        "assignment": assignment,
        "variant": variant,
        "task": task,
        "case_type": f"{type(case).__module__}:{type(case).__qualname__}",
        "fields": {field.name: getattr(case, field.name) for field in dataclasses.fields(case)},
    }
    arrays = {CASE_KEY: np.array(json.dumps(record))}
    for index, value in enumerate(args):
        if isinstance(value, (np.ndarray, np.generic, int, float, bool)):
            arrays[f"arg{index}"] = np.asarray(value)
    for name, value in kwargs.items():
        if isinstance(value, (np.ndarray, np.generic, int, float, bool)):
            arrays[f"kwarg.{name}"] = np.asarray(value)
    temporary = path.with_suffix(".partial.npz")
    np.savez(temporary, allow_pickle=False, **arrays)
    temporary.replace(path)
    return path


def read(path: str | os.PathLike) -> Replay:
    """The replay in ``path``; raises :class:`ReplayError` with one line if it is not one."""
    try:
        with np.load(path, allow_pickle=False) as saved:
            record = json.loads(str(saved[CASE_KEY][()]))
    except FileNotFoundError:
        raise ReplayError(f"--replay {path}: no such file") from None
    except (OSError, ValueError, KeyError, json.JSONDecodeError) as why:
        raise ReplayError(f"--replay {path}: not a replay file the grader wrote ({why})") from None
    try:
        replay = Replay(**{key: record[key] for key in ("assignment", "variant", "task", "case_type", "fields")})
    except (KeyError, TypeError):
        raise ReplayError(f"--replay {path}: not a replay file the grader wrote") from None
    if not replay.case_type.startswith(SUITES) or not isinstance(replay.fields, dict):
        raise ReplayError(f"--replay {path}: its case type {replay.case_type!r} is not one of the grader's")
    return replay


def task_of(replay: Replay, tasks) -> Property:
    """The correctness task ``replay`` was saved from, among an assignment's ``tasks``."""
    for task in tasks:
        if isinstance(task, Property) and task.variant == replay.variant and task.name == replay.task:
            return task
    raise ReplayError(
        f"{replay.assignment} has no correctness task {replay.task!r} of the {replay.variant} "
        "variant any more: grade again to get a fresh replay file"
    )


def command(assignment: str, variant: str, path: Path) -> str:
    """The line that replays ``path``: what the learner pastes."""
    return f"python -m grader {assignment} --variant {variant} --replay {path}"

"""The assignments, discovered: every package ``grader/suites/<name>/`` whose ``tasks.py`` declares
``ASSIGNMENT``. ``2``, ``assignment2`` and ``saxpy`` all name SAXPY; the numbers and titles come from
the declarations themselves, so this module holds no list of assignments.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import pkgutil

from grader import suites
from grader.spec import Assignment


class UnknownAssignment(LookupError):
    pass


@functools.cache
def assignments() -> dict[str, Assignment]:
    """Every declared assignment, by name, in the order of their numbers."""
    found = []
    for package in pkgutil.iter_modules(suites.__path__):
        declaration = f"{suites.__name__}.{package.name}.tasks"
        if package.ispkg and importlib.util.find_spec(declaration) is not None:  # a suite still being written has none
            found.append(importlib.import_module(declaration).ASSIGNMENT)
    found.sort(key=lambda assignment: assignment.number)
    return {assignment.name: assignment for assignment in found}


def names() -> list[str]:
    return list(assignments())


def load(name: str) -> Assignment:
    return assignments()[name]


def resolve(word: str) -> list[str]:
    """Assignment names meant by ``word`` (``all`` means every one)."""
    word = word.strip().lower()
    if word == "all":
        return names()
    by_number = {assignment.number: name for name, assignment in assignments().items()}
    number = word.removeprefix("assignment")
    if number.isdigit() and int(number) in by_number:
        return [by_number[int(number)]]
    if word in assignments():
        return [word]
    raise UnknownAssignment(f"unknown assignment {word!r}; choose one of {choices()}, or all")


def choices() -> str:
    """``1 (mandelbrot), 2 (saxpy), ...``: how help texts and errors name the assignments."""
    return ", ".join(f"{assignment.number} ({name})" for name, assignment in assignments().items())

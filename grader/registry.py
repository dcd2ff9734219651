"""The five assignments, found by number or name: ``2``, ``assignment2``, ``saxpy`` all mean SAXPY.

Each assignment's declaration lives in ``grader/specs/<name>.py`` as ``ASSIGNMENT``.
"""

from __future__ import annotations

import importlib

from grader.spec import Assignment

NAMES = {1: "mandelbrot", 2: "saxpy", 3: "scan", 4: "render", 5: "graph"}


class UnknownAssignment(LookupError):
    pass


def resolve(word: str) -> list[str]:
    """Assignment names meant by ``word`` (``all`` means every one)."""
    word = word.strip().lower()
    if word == "all":
        return list(NAMES.values())
    number = word.removeprefix("assignment")
    if number.isdigit() and int(number) in NAMES:
        return [NAMES[int(number)]]
    if word in NAMES.values():
        return [word]
    choices = ", ".join(f"{n} ({name})" for n, name in NAMES.items())
    raise UnknownAssignment(f"unknown assignment {word!r}; choose one of {choices}, or all")


def load(name: str) -> Assignment:
    return importlib.import_module(f"grader.specs.{name}").ASSIGNMENT


def available() -> list[str]:
    """Names whose declaration exists in this checkout."""
    found = []
    for name in NAMES.values():
        try:
            importlib.import_module(f"grader.specs.{name}")
        except ModuleNotFoundError as missing:
            if missing.name != f"grader.specs.{name}":
                raise
            continue
        found.append(name)
    return found

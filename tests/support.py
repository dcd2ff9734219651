"""Test helpers shared by the assignment tests: one fake ``Call`` and one way to import a planted file."""

from __future__ import annotations

import importlib.util
import sys
import types
import uuid
from pathlib import Path


def load_module(name: str, path: Path) -> types.ModuleType:
    """Import the Python file at ``path`` as module ``name``, afresh on every call. The module is registered in
    ``sys.modules`` before it runs, where its relative imports find their package and dataclasses their module."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"{path} is not a Python source file")
    module = sys.modules[name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class LocalCall:
    """The tests' stand-in for the sandbox's ``call`` (grader.spec.Call): runs the function in this process,
    so a check can be run on a module directly (the reference, a starter, a planted mistake). Scripts run in
    a child process import it as ``tests.support``.

    ``target`` is a module (functions are looked up by the name the check asks for) or a single function
    (called whatever the name). ``overrides`` replace named functions of a module, to plant a mistake.
    """

    def __init__(self, target, variant: str = "simd", **overrides):
        self.target, self.variant, self.overrides = target, variant, overrides

    def __call__(self, function, *args, **kwargs):
        if function in self.overrides:
            implementation = self.overrides[function]
        elif isinstance(self.target, types.ModuleType):
            implementation = getattr(self.target, function)
        else:
            implementation = self.target
        return implementation(*args, **kwargs)


_PROCESS = uuid.uuid4().hex  # drawn when a process imports this module: names the process (pids repeat in namespaces)


def which_process(module) -> tuple[bool, str]:
    """An Inspection hook for the grader's tests: passes, and names the process it ran in."""
    return True, f"process {_PROCESS}"

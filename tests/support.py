"""Test helpers shared by the assignment tests: one fake ``Call``."""

from __future__ import annotations

import types


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

"""Hooks (a benchmark's input maker, a contestant's prepare and collect, an inspection's inspector) are
declared as functions (not names) and cross to the worker processes by name: every hook of every assignment is found
again under the name it is sent by, and one that could not be (a lambda, a nested function) is refused
where it is declared, not in the worker."""

import pytest

from grader import registry
from grader.spec import Benchmark, Contestant, Inspection, hook_reference, resolve

pytestmark = pytest.mark.grader


def _hooks(task):
    if isinstance(task, Benchmark):
        return [task.inputs, task.learner.prepare, task.learner.collect, task.baseline.prepare, task.baseline.collect]
    if isinstance(task, Inspection):
        return [task.inspect]
    return []


@pytest.mark.parametrize("name", registry.names())
def test_every_hook_is_found_again_by_the_name_it_is_sent_by(name):
    hooks = [hook for task in registry.load(name).tasks for hook in _hooks(task) if hook is not None]
    assert hooks, f"{name} declares no hooks"
    for hook in hooks:
        assert resolve(hook_reference(hook)) is hook, hook


def _nested_maker():
    def make_inputs(n):
        return (n,)

    return make_inputs


class _Maker:
    def make_inputs(self, n):
        return (n,)


@pytest.mark.parametrize(
    "hook", [lambda n: (n,), _nested_maker(), _Maker().make_inputs], ids=["lambda", "nested", "method"]
)
def test_a_hook_a_worker_cannot_find_by_name_is_refused_where_it_is_declared(hook):
    with pytest.raises(TypeError, match="top level of an importable module"):
        Contestant("saxpy", prepare=hook)


def test_a_hook_given_by_its_name_is_refused():
    with pytest.raises(TypeError, match="pass the function itself"):
        Contestant("saxpy", prepare="grader.suites.saxpy.baseline:to_device")

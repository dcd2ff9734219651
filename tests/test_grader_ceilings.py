"""The machine's ceilings (grader/ceilings.py) are measured once per machine and cached; a ceiling measured
while the machine was busy is measured again when it is quieter, and the cache keeps the higher figures.

The measurement itself is replaced by a fake here (it takes seconds and its figures depend on the machine);
what is tested is when the grader measures and what it keeps."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader import ceilings
from grader.ceilings import Ceilings

pytestmark = pytest.mark.grader


@pytest.fixture
def measured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[list[Ceilings], list[Ceilings]]]:
    """The list of measurements taken; each returns the next of ``results`` (set by the test)."""
    monkeypatch.setenv("PARLAB_CACHE_DIR", str(tmp_path))
    taken: list[Ceilings] = []
    results: list[Ceilings] = []

    def fake() -> Ceilings:
        taken.append(results.pop(0))
        return taken[-1]

    monkeypatch.setattr(ceilings, "_measure_in_child", fake)
    ceilings.ceilings.cache_clear()
    yield taken, results
    ceilings.ceilings.cache_clear()


def test_measured_once_per_machine_then_read_from_the_cache(measured, tmp_path, monkeypatch):
    taken, results = measured
    monkeypatch.setattr(ceilings, "load_average", lambda: 0.5)
    results.append(Ceilings(memory_bytes_per_s=2e10, flops_per_s=1e11, cores=2, load=0.5))
    assert ceilings.ceilings().memory_bytes_per_s == 2e10
    ceilings.ceilings.cache_clear()  # a new run of the grader
    assert ceilings.ceilings().flops_per_s == 1e11
    assert len(taken) == 1
    saved = json.loads((tmp_path / "ceilings.json").read_text())
    assert list(saved) == [ceilings.machine_key()]


def test_a_busy_measurement_is_repeated_when_quieter_and_the_higher_figures_kept(measured, monkeypatch):
    taken, results = measured
    load = {"now": 6.0}
    monkeypatch.setattr(ceilings, "load_average", lambda: load["now"])
    results += [
        Ceilings(memory_bytes_per_s=5e9, flops_per_s=3e10, cores=2, load=6.0),
        Ceilings(memory_bytes_per_s=2e10, flops_per_s=2e10, cores=2, load=0.5),
    ]
    assert ceilings.ceilings().busy_when_measured
    ceilings.ceilings.cache_clear()
    assert ceilings.ceilings().memory_bytes_per_s == 5e9 and len(taken) == 1  # still busy: not measured again
    load["now"] = 0.5
    ceilings.ceilings.cache_clear()
    quiet = ceilings.ceilings()
    assert len(taken) == 2
    assert (quiet.memory_bytes_per_s, quiet.flops_per_s) == (2e10, 3e10)  # each the higher of the two
    assert not quiet.busy_when_measured

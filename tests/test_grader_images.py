"""--images: the roofline puts each timed kernel where its measured rates say, and every picture is written.

The figures are made up (a SAXPY-like kernel: 2 operations per 12 bytes); the expected intensity is worked
out here from them."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from grader import images
from grader.results import Status, TaskResult, Timings

pytestmark = pytest.mark.grader

N = 2**24
TIMED = Timings(
    serial_s=0.15,
    reference_s=0.08,
    learner_s=0.10,
    reference_measured=True,
    ratio_to_reference=1.24,
    learner_gbps=12 * N / 0.10 / 1e9,
    reference_gbps=12 * N / 0.08 / 1e9,
    rounds=7,
    cores=2,
    memory_ceiling_gbps=20.0,
    compute_ceiling_gflops=80.0,
    learner_gflops=2 * N / 0.10 / 1e9,
    reference_gflops=2 * N / 0.08 / 1e9,
)


def test_roofline_points_are_operations_per_byte_and_per_second_of_each_side():
    result = TaskResult("saxpy", "threaded", "speed", 4, 4, Status.PASSED, "", 1.0, TIMED)
    untimed = TaskResult("saxpy", "threaded", "correctness", 6, 6, Status.PASSED, "")
    yours, reference = images.roofline_points([result, untimed])
    assert yours.label.startswith("yours") and reference.label.startswith("reference")
    assert yours.intensity == pytest.approx(2 / 12) and reference.intensity == pytest.approx(2 / 12)
    assert yours.gflops == pytest.approx(2 * N / 0.10 / 1e9)


def test_the_pictures_are_written_as_images(tmp_path):
    points = images.roofline_points([TaskResult("saxpy", "threaded", "speed", 4, 4, Status.PASSED, "", 1.0, TIMED)])
    written = [
        images.save_roofline(str(tmp_path / "roofline.png"), 20.0, 80.0, points, "roofline"),
        images.save_bandwidth_chart(
            str(tmp_path / "bandwidth.png"), {"yours": 2.0, "reference": 2.5}, 20.0, "bandwidth"
        ),
        images.save_heatmap(str(tmp_path / "diff.png"), np.zeros((30, 40))),
    ]
    for path in written:
        with Image.open(path) as picture:
            assert picture.format == "PNG" and picture.size[0] > 100

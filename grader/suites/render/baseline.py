"""Trusted code that runs inside the benchmark's child processes for the circle renderer.

* :func:`make_inputs` builds a named scene and the frame size (every process builds the same).
* :func:`render` is the serial baseline: the course's sequential renderer, one core. For each circle in input
  order, visit the pixels of its bounding box, test each pixel centre, blend. Float32 throughout.
* :func:`to_device` / :func:`from_device` stage the scene on the GPU and allocate the frame there, so the
  kernel-only benchmark times the renderer, not the PCIe transfers.
"""

import math

import numpy as np
from numba import njit

from assignments.render.common import SCENE_FIELDS, make_scene


def make_inputs(scene: str, width: int, height: int, seed: int = 0):
    return make_scene(scene, seed), width, height


def render(scene, width: int, height: int) -> np.ndarray:
    image = np.empty((height, width, 4), np.float32)
    _render_serial(scene.centres, scene.radii, scene.colours, scene.alphas, scene.falloffs, scene.background, image)
    return image


@njit(cache=True)
def _pixel_span(centre, radius, size):
    """First and last pixel whose centre may lie within centre +- radius, clamped to the frame: the same rule
    as assignments/render/common.py's ``pixel_span``, kept here because trusted code must not run a
    function from a file the learner may edit."""
    low = min(max(np.floor((np.float64(centre) - radius) * size - 0.5), -1.0), size)
    high = min(max(np.ceil((np.float64(centre) + radius) * size - 0.5), -1.0), size)
    return max(int(low), 0), min(int(high), size - 1)


@njit(cache=True)
def _render_serial(centres, radii, colours, alphas, falloffs, background, image):
    height, width = image.shape[0], image.shape[1]
    for j in range(height):
        for i in range(width):
            image[j, i, :] = background
    inv_width, inv_height = np.float32(1.0) / np.float32(width), np.float32(1.0) / np.float32(height)
    half = np.float32(0.5)
    for c in range(len(radii)):
        cx, cy, r = centres[c, 0], centres[c, 1], radii[c]
        r2 = r * r
        x0, x1 = _pixel_span(cx, r, width)
        y0, y1 = _pixel_span(cy, r, height)
        for j in range(y0, y1 + 1):
            dy = (np.float32(j) + half) * inv_height - cy
            for i in range(x0, x1 + 1):
                dx = (np.float32(i) + half) * inv_width - cx
                d2 = dx * dx + dy * dy
                if d2 <= r2:
                    alpha = alphas[c]
                    if falloffs[c] != 0:
                        alpha *= np.float32(math.exp(-falloffs[c] * (d2 / r2)))
                    keep = np.float32(1.0) - alpha
                    for channel in range(3):
                        image[j, i, channel] = alpha * colours[c, channel] + keep * image[j, i, channel]
                    image[j, i, 3] += alpha


def to_device(scene, width: int, height: int):
    """Arguments of ``render_device(centres, radii, colours, alphas, falloffs, background, image)`` on the GPU."""
    from numba import cuda

    arrays = [cuda.to_device(getattr(scene, field)) for field in SCENE_FIELDS]
    return (*arrays, cuda.device_array((height, width, 4), np.float32))


def from_device(args, returned):
    return args[-1].copy_to_host()


def frame_times(module: str = "solutions.render.cuda", size: int = 1024, repeats: int = 20) -> None:
    """Print, per named scene, the GPU renderer's kernel time (median of ``repeats``, CUDA events), its
    end-to-end time with transfers, and the serial baseline's time (one call): ``python -m
    grader.suites.render.baseline [module]`` on a GPU machine."""
    import importlib
    import time

    from numba import cuda

    from assignments.render.common import SCENES

    renderer = importlib.import_module(module)
    print(f"{'scene':<11} {'kernel ms':>10} {'end-to-end ms':>14} {'serial ms':>10} {'speedup':>8}")
    for name in SCENES:
        scene, width, height = make_inputs(name, size, size)
        args = to_device(scene, width, height)
        renderer.render_device(*args)  # compile
        cuda.synchronize()
        start, stop = cuda.event(), cuda.event()
        kernel = []
        for _ in range(repeats):
            start.record()
            renderer.render_device(*args)
            stop.record()
            stop.synchronize()
            kernel.append(cuda.event_elapsed_time(start, stop))
        begin = time.perf_counter()
        renderer.render(scene, width, height)
        end_to_end = (time.perf_counter() - begin) * 1e3
        render(scene, 8, 8)  # compile the baseline
        begin = time.perf_counter()
        render(scene, width, height)
        serial = (time.perf_counter() - begin) * 1e3
        median = float(np.median(kernel))
        print(f"{name:<11} {median:>10.3f} {end_to_end:>14.2f} {serial:>10.1f} {serial / median:>7.0f}x", flush=True)


def launch_overhead(module: str = "solutions.render.cuda", scene_name: str = "rgb", calls: int = 200) -> None:
    """Print the host time of one ``render_device`` call, without and then with an audit hook (the grader
    guards a learner's process with one), and how many audit events one call raises: a diagnosis of why a
    sub-millisecond kernel can time slower in the learner's process than in the reference's."""
    import importlib
    import sys
    import time

    from numba import cuda

    renderer = importlib.import_module(module)
    args = to_device(*make_inputs(scene_name, 1024, 1024))

    def per_call_us():
        renderer.render_device(*args)
        cuda.synchronize()
        begin = time.perf_counter()
        for _ in range(calls):
            renderer.render_device(*args)
        cuda.synchronize()
        return (time.perf_counter() - begin) / calls * 1e6

    plain = per_call_us()
    events: dict[str, int] = {}

    def hook(event: str, arguments: tuple) -> None:
        events[event] = events.get(event, 0) + 1

    sys.addaudithook(hook)
    hooked = per_call_us()
    per_launch = {event: count // (calls + 1) for event, count in events.items() if count > calls}
    print(
        f"render_device on {scene_name}: {plain:.1f} us a call without an audit hook, {hooked:.1f} us with "
        f"a counting one; audit events a call: {per_launch}"
    )


if __name__ == "__main__":
    import sys

    if sys.argv[1:2] == ["launch"]:
        launch_overhead()
    elif len(sys.argv) > 1:
        frame_times(sys.argv[1])
    else:
        frame_times()

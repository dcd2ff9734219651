"""How close does the reference SAXPY kernel come to the GPU's copy bandwidth?

    python -m assignments.saxpy.bench_gpu [log2_n] [--solutions]   (needs a CUDA GPU; default n = 2^27)

It times your kernel (assignments/saxpy/cuda.py), or the reference with --solutions.

(Run it with -m: run as a script, this folder would come first on sys.path and its cuda.py would shadow
the cuda package that numba imports.)

Times, with CUDA events and after warm-up, interleaved, the median of 20 runs of: a copy kernel launched
like SAXPY (the practical ceiling: bytes read + written), the SAXPY kernel (12 bytes an element), and the whole
host-to-host ``saxpy`` with its PCIe transfers. Prints one table.
"""

import importlib
import statistics
import sys
from collections.abc import Callable

import numpy as np
from numba import cuda

from grader import bench


@cuda.jit
def _copy_kernel(source, destination):
    i = cuda.grid(1)
    if i < source.size:
        destination[i] = source[i]


def _event_ms(launch) -> float:
    start, stop = cuda.event(), cuda.event()
    start.record()
    launch()
    stop.record()
    stop.synchronize()
    return cuda.event_elapsed_time(start, stop)


def _medians_ms(launches: dict[str, Callable[[], object]], runs: int = 20) -> dict[str, float]:
    """Median milliseconds of each launch, timed interleaved (one of each per round) after a warm-up."""
    for launch in launches.values():
        launch()
    cuda.synchronize()
    times: dict[str, list[float]] = {name: [] for name in launches}
    for _ in range(runs):
        for name, launch in launches.items():
            times[name].append(_event_ms(launch))
    return {name: statistics.median(values) for name, values in times.items()}


def main(log2_n: int = 27, package: str = "assignments") -> None:
    kernels = importlib.import_module(f"{package}.saxpy.cuda")
    saxpy, saxpy_device = kernels.saxpy, kernels.saxpy_device
    n = 2**log2_n
    rng = np.random.default_rng(0)
    x = rng.standard_normal(n, dtype=np.float32)
    y = rng.standard_normal(n, dtype=np.float32)
    x_device, y_device = cuda.to_device(x), cuda.to_device(y)
    result = cuda.device_array_like(x_device)
    blocks = (n + 255) // 256
    medians = _medians_ms(
        {
            "copy": lambda: _copy_kernel[blocks, 256](x_device, result),
            "kernel": lambda: saxpy_device(np.float32(2.5), x_device, y_device, result),
        }
    )
    copy_ms, kernel_ms = medians["copy"], medians["kernel"]
    try:  # the driver's own device-to-device copy, through CuPy (the fastest copy on the device)
        import cupy

        source, destination = cupy.asarray(x_device), cupy.asarray(result)
        driver_copy_ms = _medians_ms({"copy": lambda: cupy.copyto(destination, source)})["copy"]
    except ImportError:
        driver_copy_ms = None
    end_to_end_ms = _medians_ms({"saxpy": lambda: saxpy(np.float32(2.5), x, y)}, runs=5)["saxpy"]
    copy_gbps = 8 * n / copy_ms / 1e6
    kernel_gbps = 12 * n / kernel_ms / 1e6
    name = cuda.get_current_device().name
    print(f"device: {name.decode() if isinstance(name, bytes) else name}, n = 2^{log2_n}")
    print(f"{'what':<28}{'ms':>10}{'GB/s':>10}")
    print(f"{'copy kernel (8 B/element)':<28}{copy_ms:>10.3f}{copy_gbps:>10.0f}")
    print(f"{'saxpy kernel (' + package + ')':<28}{kernel_ms:>10.3f}{kernel_gbps:>10.0f}")
    print(f"{'saxpy with transfers':<28}{end_to_end_ms:>10.3f}{12 * n / end_to_end_ms / 1e6:>10.1f}")
    if driver_copy_ms:
        driver_gbps = 8 * n / driver_copy_ms / 1e6
        print(f"{'cupy.copyto (8 B/element)':<28}{driver_copy_ms:>10.3f}{driver_gbps:>10.0f}")
        print(f"kernel / cupy copy bandwidth: {kernel_gbps / driver_gbps:.1%}")
    print(f"kernel / copy-kernel bandwidth: {kernel_gbps / copy_gbps:.1%}")


if __name__ == "__main__":
    bench.require_gpu("python -m assignments.saxpy.bench_gpu")
    numbers = [word for word in sys.argv[1:] if word.isdigit()]
    main(int(numbers[0]) if numbers else 27, "solutions" if "--solutions" in sys.argv else "assignments")

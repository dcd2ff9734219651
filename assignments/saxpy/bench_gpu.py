"""How close does the reference SAXPY kernel come to the GPU's copy bandwidth?

    python -m assignments.saxpy.bench_gpu [log2_n] [--solutions]   (needs a CUDA GPU; default n = 2^27)

It times your kernel (assignments/saxpy/cuda.py), or the reference with --solutions.

(Run it with -m: run as a script, this folder would come first on sys.path and its cuda.py would shadow
the cuda package that numba imports.)

Times, with CUDA events and after warm-up, the median of 20 runs of: a device-to-device copy (the practical
ceiling: bytes read + written), the reference kernel (12 bytes an element), and the whole host-to-host
``saxpy`` with its PCIe transfers. Prints one table.
"""

import statistics
import sys

import numpy as np
from numba import cuda

import importlib


def _median_ms(launch, runs: int = 20) -> float:
    launch()  # warm-up: compilation, first touch
    cuda.synchronize()
    times = []
    for _ in range(runs):
        start, stop = cuda.event(), cuda.event()
        start.record()
        launch()
        stop.record()
        stop.synchronize()
        times.append(cuda.event_elapsed_time(start, stop))
    return statistics.median(times)


def main(log2_n: int = 27, package: str = "assignments") -> None:
    kernels = importlib.import_module(f"{package}.saxpy.cuda")
    saxpy, saxpy_device = kernels.saxpy, kernels.saxpy_device
    n = 2**log2_n
    rng = np.random.default_rng(0)
    x = rng.standard_normal(n, dtype=np.float32)
    y = rng.standard_normal(n, dtype=np.float32)
    x_device, y_device = cuda.to_device(x), cuda.to_device(y)
    result = cuda.device_array_like(x_device)
    copy_ms = _median_ms(lambda: result.copy_to_device(x_device))
    kernel_ms = _median_ms(lambda: saxpy_device(np.float32(2.5), x_device, y_device, result))
    end_to_end_ms = _median_ms(lambda: saxpy(np.float32(2.5), x, y), runs=5)
    copy_gbps = 8 * n / copy_ms / 1e6
    kernel_gbps = 12 * n / kernel_ms / 1e6
    name = cuda.get_current_device().name
    print(f"device: {name.decode() if isinstance(name, bytes) else name}, n = 2^{log2_n}")
    print(f"{'what':<28}{'ms':>10}{'GB/s':>10}")
    print(f"{'device-to-device copy':<28}{copy_ms:>10.3f}{copy_gbps:>10.0f}")
    print(f"{'saxpy kernel (' + package + ')':<28}{kernel_ms:>10.3f}{kernel_gbps:>10.0f}")
    print(f"{'saxpy with transfers':<28}{end_to_end_ms:>10.3f}{12 * n / end_to_end_ms / 1e6:>10.1f}")
    print(f"kernel / copy bandwidth: {kernel_gbps / copy_gbps:.1%}")


if __name__ == "__main__":
    numbers = [word for word in sys.argv[1:] if word.isdigit()]
    main(int(numbers[0]) if numbers else 27, "solutions" if "--solutions" in sys.argv else "assignments")

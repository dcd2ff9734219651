"""Assignment 2's pictures for ``--images DIR``: the bandwidth each timed variant reached, against what this
machine's memory can deliver (the roofline chart of all timed tasks is drawn by grader/images.py)."""

from __future__ import annotations

import os

from grader import ceilings
from grader.images import save_bandwidth_chart


def pictures(context, out_dir: str) -> list[str]:
    """One bar for the serial baseline, the reference and the learner of each timed speed task, in GB/s (12
    bytes an element over the median time), with the memory ceiling; nothing if nothing was timed."""
    rates = {}
    for result in context.results:
        timings = result.timings
        if timings is None or timings.learner_gbps is None:
            continue
        where = f"{result.variant} {result.task}"
        serial_gbps = timings.learner_gbps * timings.learner_s / timings.serial_s
        rates[f"serial baseline ({where})"] = serial_gbps
        rates[f"{'reference' if timings.reference_measured else 'target'} ({where})"] = timings.reference_gbps
        rates[f"yours ({where})"] = timings.learner_gbps
    if not rates:
        return []
    roof = ceilings.ceilings()
    ceiling = roof.memory_bytes_per_s / 1e9 if roof is not None else None
    return [
        save_bandwidth_chart(
            os.path.join(out_dir, "bandwidth.png"),
            rates,
            ceiling,
            f"SAXPY: GB/s against this machine's memory ({context.cores} cores)",
        )
    ]

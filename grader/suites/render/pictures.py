"""Assignment 4's pictures for ``--images DIR``: every named scene as the oracle draws it and as each variant
does, and where a variant is wrong beyond the tolerance."""

from __future__ import annotations

import os

import numpy as np

from assignments.render import common
from grader import machine
from grader.images import save_heatmap, save_png
from grader.spec import Mismatch
from grader.suites.render import oracle

PICTURE_SIZE = 512


def _frame_or_none(call, scene, width, height):
    """The frame from ``call``, or None if that variant cannot run (grading has already said why)."""
    if call is None:
        return None
    try:
        frame = call("render", scene, width, height)
    except Mismatch:
        return None
    return frame if isinstance(frame, np.ndarray) and frame.shape == (height, width, 4) else None


def pictures(context, out_dir: str) -> list[str]:
    """For each named scene at 512x512: the reference frame (the oracle's), and for each runnable learner
    variant its frame and a heat map of where it is *wrong* (error beyond the tolerance; black = correct)."""
    written = []
    variants = ["threaded", "simd"] + (["cuda"] if machine.cuda_gpu() else [])
    calls = {variant: context.call(variant) for variant in variants}
    for name in common.SCENES:
        scene = common.make_scene(name)
        frame, tolerance, _ = oracle.reference(scene, PICTURE_SIZE, PICTURE_SIZE)
        written.append(save_png(os.path.join(out_dir, f"{name}_reference.png"), _display(frame)))
        for variant, call in calls.items():
            got = _frame_or_none(call, scene, PICTURE_SIZE, PICTURE_SIZE)
            if got is None:
                continue
            written.append(save_png(os.path.join(out_dir, f"{name}_{variant}.png"), _display(got)))
            with np.errstate(invalid="ignore"):
                error = np.abs(got.astype(np.float64) - frame)
            beyond = np.where(error <= tolerance, 0.0, np.nan_to_num(error, nan=np.inf))
            written.append(save_heatmap(os.path.join(out_dir, f"{name}_{variant}_diff.png"), beyond))
    return written


def _display(frame: np.ndarray) -> np.ndarray:
    """RGB for a PNG: the alpha channel counts coverage (it exceeds 1), so it is not used as transparency."""
    return frame[..., :3]

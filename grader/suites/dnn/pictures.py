"""Assignment 6's pictures for ``python -m grader dnn --images DIR``.

* ``attention_pattern.png``: what one head attends to. With v the identity matrix (dim = seq), attention's output
  *is* the weight matrix softmax(q k^T / sqrt(dim)), so the learner's own function draws it: the learner's
  weights, the oracle's, and the difference (brighter where they differ), without and with the causal mask.
  The queries and keys are positions on a circle, so each query attends mostly to its neighbours: a band along
  the diagonal, cut in half by the mask.
* ``layernorm_training.png``: the same small network trained twice from the same weights, with torch's
  layer_norm and with the learner's layernorm and layernorm_backward (called through the sandbox from a
  ``torch.autograd.Function``), the two loss curves side by side with their difference.
"""

from __future__ import annotations

import os

import numpy as np

from grader.images import save_heatmap, save_png
from grader.suites.dnn import oracle
from grader.suites.dnn.torch_checks import TRAINING_STEPS, _regression_data

PATTERN_SEQ = 96


def _circle_queries(seq: int):
    """q = k: points on a circle (in a dim = seq space, the rest zeros), sharp enough to see neighbours."""
    angles = 2 * np.pi * np.arange(seq) / seq
    q = np.zeros((1, seq, seq), dtype=np.float32)
    q[0, :, 0], q[0, :, 1] = 20 * np.cos(angles), 20 * np.sin(angles)
    return q


def _pattern(call, causal: bool):
    q = _circle_queries(PATTERN_SEQ)
    identity = np.eye(PATTERN_SEQ, dtype=np.float32)[None]
    return call(
        "attention", q, q.copy(), identity, causal, **({"num_threads": 2} if call.variant == "threaded" else {})
    )[0]


def _attention_pattern(call, out_dir: str) -> list[str]:
    rows = []
    for causal in (False, True):
        q = _circle_queries(PATTERN_SEQ)
        expected = oracle.softmax_weights(q[0].astype(np.float64), q[0].astype(np.float64), causal)
        got = _pattern(call, causal)
        scale = expected.max()
        rows.append((np.clip(got / scale, 0, 1), expected / scale, np.abs(got - expected)))
    paths = []
    zoom = np.ones((4, 4))  # 4x4 pixels a weight: a 96 x 96 matrix is too small to see
    magnified = [tuple(np.kron(image, zoom) for image in row) for row in rows]
    for index, (mine, theirs, difference) in enumerate(magnified):
        name = "causal" if index else "full"
        paths.append(save_png(os.path.join(out_dir, f"attention_pattern_{name}_yours.png"), np.sqrt(mine)))
        paths.append(save_png(os.path.join(out_dir, f"attention_pattern_{name}_oracle.png"), np.sqrt(theirs)))
        paths.append(save_heatmap(os.path.join(out_dir, f"attention_pattern_{name}_difference.png"), difference))
    return paths


def _training_curves(call) -> tuple[list[float], list[float]]:
    """Loss per step with torch's layer_norm and with the learner's functions (sandboxed calls)."""
    import torch

    class LearnerLayerNorm(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, weight, bias):
            y, mean, rstd = call("layernorm", x.detach().numpy(), weight.detach().numpy(), bias.detach().numpy(), 1e-5)
            ctx.save_for_backward(x, weight, torch.from_numpy(mean), torch.from_numpy(rstd))
            return torch.from_numpy(y)

        @staticmethod
        def backward(ctx, dy):
            x, weight, mean, rstd = (t.detach().numpy() for t in ctx.saved_tensors)
            dx, dweight, dbias = call("layernorm_backward", np.ascontiguousarray(dy.numpy()), x, weight, mean, rstd)
            return torch.from_numpy(dx), torch.from_numpy(dweight), torch.from_numpy(dbias)

    def train(layer_norm):
        torch.manual_seed(9)
        first, second = torch.nn.Linear(16, 64), torch.nn.Linear(64, 1)
        weight, bias = torch.nn.Parameter(torch.ones(64)), torch.nn.Parameter(torch.zeros(64))
        optimizer = torch.optim.Adam([*first.parameters(), *second.parameters(), weight, bias], lr=1e-2)
        inputs, targets = _regression_data()
        losses = []
        for _ in range(TRAINING_STEPS):
            optimizer.zero_grad()
            loss = torch.nn.functional.mse_loss(
                second(torch.nn.functional.gelu(layer_norm(first(inputs), weight, bias))), targets
            )
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses

    theirs = train(lambda h, w, b: torch.nn.functional.layer_norm(h, (h.shape[-1],), w, b, 1e-5))
    return train(LearnerLayerNorm.apply), theirs


def _training_plot(call, out_dir: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yours, theirs = _training_curves(call)
    steps = np.arange(1, len(yours) + 1)
    figure, (left, middle, right) = plt.subplots(1, 3, figsize=(12, 3.6), dpi=100)
    left.semilogy(steps, theirs, color="tab:orange")
    left.set_title("torch.nn.functional.layer_norm")
    middle.semilogy(steps, yours, color="tab:blue")
    middle.set_title(f"your layernorm ({call.variant})")
    for axes in (left, middle):
        axes.set_xlabel("Adam step")
        axes.set_ylabel("training loss (MSE)")
        axes.grid(True, alpha=0.3)
    right.plot(steps, np.abs(np.array(yours) - np.array(theirs)), color="black")
    right.set_title("|yours - torch's|")
    right.set_xlabel("Adam step")
    right.grid(True, alpha=0.3)
    figure.tight_layout()
    path = os.path.join(out_dir, "layernorm_training.png")
    figure.savefig(path)
    plt.close(figure)
    return path


def pictures(context, out_dir: str) -> list[str]:
    """The attention pattern and the training curves from the learner's threaded variant (the reference's, if
    the learner's cannot load)."""
    call = context.call("threaded") or context.reference("threaded")
    if call is None:
        return []
    os.makedirs(out_dir, exist_ok=True)
    return [*_attention_pattern(call, out_dir), _training_plot(call, out_dir)]

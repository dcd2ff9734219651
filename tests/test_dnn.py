"""Assignment 6 (dnn): the oracle against PyTorch, the tolerances against correct and wrong float32 code, the
reference solutions, the memory measurement, and the grader's verdicts on starters and planted submissions."""

from __future__ import annotations

import re
import shutil
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.spec import Mismatch, Profile
from grader.suites.dnn import cases, oracle, tasks
from solutions.dnn import cuda as cuda_solution
from solutions.dnn import simd as simd_solution
from solutions.dnn import threaded as threaded_solution
from support import LocalCall, load_module

CPU = Profile("cpu")
SIMULATOR = Profile("simulator", simulated=True)
PLANTED = Path(__file__).parent / "planted"


def _t64(*arrays):
    return [torch.from_numpy(np.asarray(a, dtype=np.float64)) for a in arrays]


# -- the oracle is the definition: float64 torch agrees to rounding --------------------------------------------
@given(cases.layernorm_cases(CPU))
@settings(max_examples=25, deadline=None)
def test_layernorm_oracle_matches_torch_in_float64(case):
    x, weight, bias, eps = case.forward_inputs()
    eps = float(np.float32(eps))  # as float32 kernels (and the oracle) see it
    y, mean, rstd = torch.native_layer_norm(*_t64(x), (x.shape[1],), *_t64(weight, bias), eps)
    ours = oracle.layernorm(x, weight, bias, eps)
    scale = 1.0 + np.abs(x).max()
    for theirs, mine in zip((y, mean[:, 0], rstd[:, 0]), ours, strict=True):
        # torch's rstd for constant rows is 1/sqrt(eps): up to 1e3, so compare relatively
        assert np.allclose(theirs.numpy(), mine, rtol=1e-9, atol=1e-9 * scale)


@given(cases.layernorm_cases(CPU))
@settings(max_examples=25, deadline=None)
def test_layernorm_backward_oracle_matches_torch_autograd_in_float64(case):
    x, weight, bias, eps = case.forward_inputs()
    dy = np.random.default_rng(case.seed).standard_normal(x.shape)
    xt, wt, bt = (t.requires_grad_() for t in _t64(x, weight, bias))
    F.layer_norm(xt, (x.shape[1],), wt, bt, float(np.float32(eps))).backward(torch.from_numpy(dy))
    _, mean, rstd = oracle.layernorm(x, weight, bias, eps)  # exact statistics: the same function as torch's
    for theirs, mine in zip(
        (xt.grad, wt.grad, bt.grad), oracle.layernorm_backward(dy, x, weight, mean, rstd), strict=True
    ):
        assert np.allclose(theirs.numpy(), mine, rtol=1e-7, atol=1e-7 * (1 + np.abs(mine).max()))


@given(cases.attention_cases(CPU))
@settings(max_examples=25, deadline=None)
def test_attention_oracle_matches_torch_in_float64(case):
    q, k, v, causal = case.inputs()
    theirs = F.scaled_dot_product_attention(*_t64(q, k, v), is_causal=causal).numpy()
    assert np.allclose(oracle.attention(q, k, v, causal), theirs, rtol=1e-9, atol=1e-9)


@given(cases.conv2d_cases(CPU))
@settings(max_examples=25, deadline=None)
def test_conv2d_oracle_matches_torch_in_float64(case):
    x, w, bias, stride, padding = case.inputs()
    theirs = F.conv2d(*_t64(x, w, bias), stride=stride, padding=padding).numpy()
    ours = oracle.conv2d(x, w, bias, stride, padding)
    assert ours.shape == theirs.shape == case.output_shape()
    assert np.allclose(ours, theirs, rtol=1e-9, atol=1e-9)


# -- the tolerances accept correct float32 code (torch's, plain numpy) ------------------------------------------
def _torch_float32(function: str):
    """torch's own float32 CPU operators behind the learner's signatures."""

    def layernorm(x, weight, bias, eps):
        y, mean, rstd = torch.native_layer_norm(
            torch.from_numpy(x), (x.shape[1],), torch.from_numpy(weight), torch.from_numpy(bias), eps
        )
        return y.numpy(), mean[:, 0].numpy(), rstd[:, 0].numpy()

    def layernorm_backward(dy, x, weight, mean, rstd):
        grads = torch.ops.aten.native_layer_norm_backward(
            torch.from_numpy(dy),
            torch.from_numpy(x),
            (x.shape[1],),
            torch.from_numpy(mean)[:, None],
            torch.from_numpy(rstd)[:, None],
            torch.from_numpy(weight),
            torch.zeros_like(torch.from_numpy(weight)),
            (True, True, True),
        )
        return tuple(g.numpy() for g in grads)

    def attention(q, k, v, causal):
        return F.scaled_dot_product_attention(*map(torch.from_numpy, (q, k, v)), is_causal=causal).numpy()

    def conv2d(x, w, bias, stride, padding):
        return F.conv2d(*map(torch.from_numpy, (x, w, bias)), stride=stride, padding=padding).numpy()

    return locals()[function]


def _planted_module(name: str):
    """tests/planted/<name>/dnn/threaded.py, imported in this process with the plain-numpy submission beside it
    as ``correct`` (as the grader tests lay them out)."""
    package = types.ModuleType(f"planted_{name}")
    package.__path__ = [str(PLANTED / name / "dnn")]
    sys.modules[package.__name__] = package
    load_module(f"{package.__name__}.correct", PLANTED / "dnn_numpy" / "dnn" / "threaded.py")
    return load_module(f"{package.__name__}.threaded", PLANTED / name / "dnn" / "threaded.py")


@pytest.mark.parametrize("function", tasks.FUNCTIONS)
def test_torch_float32_operators_pass_every_edge_case(function):
    check, _, edges = tasks.CHECKS[function]
    for case in edges(CPU):
        check(LocalCall(_torch_float32(function)), case)


@pytest.mark.parametrize("function", tasks.FUNCTIONS)
@given(data=st.data())
@settings(max_examples=15, deadline=None)
def test_plain_numpy_submission_passes_drawn_cases(function, data):
    check, strategy, _ = tasks.CHECKS[function]
    check(LocalCall(_planted_module("dnn_numpy"), variant="threaded"), data.draw(strategy(CPU)))


# -- ... and reject wrong code ---------------------------------------------------------------------------------
def _one_pass_variance(x, weight, bias, eps):
    mean = x.mean(axis=1, dtype=np.float32)
    var = (x * x).mean(axis=1, dtype=np.float32) - mean * mean
    rstd = (1 / np.sqrt(np.maximum(var, 0) + np.float32(eps))).astype(np.float32)
    return (x - mean[:, None]) * rstd[:, None] * weight + bias, mean, rstd


def _unbiased_variance(x, weight, bias, eps):
    mean = x.mean(axis=1, dtype=np.float32)
    var = x.var(axis=1, ddof=1, dtype=np.float32) if x.shape[1] > 1 else np.zeros(x.shape[0], np.float32)
    rstd = (1 / np.sqrt(var + np.float32(eps))).astype(np.float32)
    return (x - mean[:, None]) * rstd[:, None] * weight + bias, mean, rstd


def _no_eps(x, weight, bias, eps):
    mean = x.mean(axis=1, dtype=np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        rstd = (1 / np.sqrt(((x - mean[:, None]) ** 2).mean(axis=1))).astype(np.float32)
    return (x - mean[:, None]) * rstd[:, None] * weight + bias, mean, rstd


def _dropped_dweight(dy, x, weight, mean, rstd):
    dx, _, dbias = _planted_module("dnn_numpy").layernorm_backward(dy, x, weight, mean, rstd)
    return dx, dbias.copy(), dbias  # dweight = sum(dy): the xhat factor dropped


WRONG = {
    "layernorm": {"one-pass variance": _one_pass_variance, "unbiased variance": _unbiased_variance, "no eps": _no_eps},
    "layernorm_backward": {
        "dx without weight": _planted_module("dnn_backward_drops_weight").layernorm_backward,
        "dweight without xhat": _dropped_dweight,
    },
    "attention": {
        "unshifted softmax": _planted_module("dnn_unshifted_softmax").attention,
        "causal mask missing on the last tile": _planted_module("dnn_causal_last_tile").attention,
        "no 1/sqrt(dim)": lambda q, k, v, causal: _torch_float32("attention")(
            q * np.float32(np.sqrt(q.shape[-1])), k, v, causal
        ),
    },
    "conv2d": {
        "padding off by one": _planted_module("dnn_padding_off_by_one").conv2d,
        "float64 result": _planted_module("dnn_wrong_dtype").conv2d,
        "bias dropped": lambda x, w, bias, stride, padding: _torch_float32("conv2d")(
            x, w, np.zeros_like(bias), stride, padding
        ),
    },
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the unshifted softmax overflows: that is the point
@pytest.mark.parametrize("function,mistake", [(f, m) for f, mistakes in WRONG.items() for m in mistakes])
def test_the_edge_cases_catch_wrong_implementations(function, mistake):
    check, _, edges = tasks.CHECKS[function]
    with pytest.raises(Mismatch):
        for case in edges(CPU):
            check(LocalCall(WRONG[function][mistake]), case)


def test_an_input_modified_in_place_is_caught_in_process_too():
    with pytest.raises(Mismatch, match="modified its input"):
        tasks.check_layernorm(
            LocalCall(_planted_module("dnn_mutates_input").layernorm),
            cases.LayerNormCase(3, 5, 1e-5, cases.Rows.NORMAL, 1.0, seed=1),
        )


# -- the reference solutions ---------------------------------------------------------------------------------
@pytest.mark.parametrize("num_threads", [1, 2, 3, 7])
@pytest.mark.parametrize("function", tasks.FUNCTIONS)
def test_threaded_solution_passes_the_edge_cases_for_any_thread_count(function, num_threads):
    check, _, edges = tasks.CHECKS[function]
    call = LocalCall(
        lambda *args, **kwargs: getattr(threaded_solution, function)(*args, **{**kwargs, "num_threads": num_threads}),
        variant="threaded",
    )
    for case in edges(CPU):
        check(call, case)


@pytest.mark.parametrize("function", tasks.FUNCTIONS)
@given(data=st.data())
@settings(max_examples=15, deadline=None)
def test_simd_solution_passes_drawn_cases(function, data):
    check, strategy, _ = tasks.CHECKS[function]
    check(LocalCall(simd_solution), data.draw(strategy(CPU)))


@pytest.mark.parametrize("function", tasks.FUNCTIONS)
def test_cuda_solution_passes_the_simulator_edge_cases(function):  # on the GPU with one
    check, _, edges = tasks.CHECKS[function]
    for case in edges(SIMULATOR):
        check(LocalCall(cuda_solution, variant="cuda"), case)


# -- attention's memory -------------------------------------------------------------------------------------
def test_memory_check_passes_flash_attention_and_fails_the_full_score_matrix():
    long = cases.LONG_ATTENTION
    tasks.check_attention_memory(LocalCall(simd_solution, variant="simd"), long)
    with pytest.raises(Mismatch, match="memory grew"):
        tasks.check_attention_memory(LocalCall(_planted_module("dnn_numpy"), variant="threaded"), long)


# -- Part 4: the reference's torch operators pass the grader's torch checks --------------------------------------
@pytest.fixture(scope="module")
def reference_ops():
    from solutions.dnn import torch_ops

    return torch_ops


@pytest.mark.parametrize("check", [pytest.param("opcheck", marks=pytest.mark.slow), "gradcheck", "training", "model"])
def test_reference_torch_ops_pass(reference_ops, check):
    from grader.suites.dnn import torch_checks

    passed, message = getattr(torch_checks, check)(reference_ops)
    assert passed, message


def test_gradcheck_catches_a_backward_that_drops_the_weight(reference_ops, monkeypatch):
    from grader.suites.dnn import torch_checks

    correct = reference_ops.threaded.layernorm_backward

    def dropped(dy, x, weight, mean, rstd, num_threads=None):
        return correct(dy, x, np.ones_like(weight), mean, rstd, num_threads)

    monkeypatch.setattr(reference_ops.threaded, "layernorm_backward", dropped)
    passed, message = torch_checks.gradcheck(reference_ops)
    assert not passed and "gradcheck of dnn::layernorm failed" in message


# -- the grader, end to end -------------------------------------------------------------------------------
def _submission(tmp_path: Path, planted: str) -> str:
    folder = tmp_path / "dnn"
    folder.mkdir()
    shutil.copy(PLANTED / planted / "dnn" / "threaded.py", folder / "threaded.py")
    shutil.copy(PLANTED / "dnn_numpy" / "dnn" / "threaded.py", folder / "correct.py")
    return str(tmp_path)


@pytest.mark.slow
def test_starters_fail_with_a_pointer_to_each_todo(grader):
    run = grader("dnn", "--quick", "--seed", "1", "--examples", "2")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    for variant in ("threaded", "simd", "cuda", "torch_ops"):
        assert f"not implemented: TODO in assignments/dnn/{variant}.py:" in run.stdout, run.stdout


# Through the whole grader (sandbox, messages, exit status): a sample of the plants. Every plant is also judged
# in-process above (test_the_edge_cases_catch_wrong_implementations), by the same checks. The plants build on
# the plain-numpy submission, whose attention stores the whole score matrix: each also fails the memory task.
PLANTED_VERDICTS = {
    "dnn_mutates_input": ("layernorm correctness", "modified its input"),
    "dnn_wrong_dtype": ("conv2d correctness", "expected dtype float32, got float64"),
    "dnn_numpy": (None, "memory grew"),
}


@pytest.mark.slow
@pytest.mark.parametrize("planted", list(PLANTED_VERDICTS))
def test_planted_submissions_fail_the_task_they_break(grader, tmp_path, planted):
    task, message = PLANTED_VERDICTS[planted]
    run = grader(
        "dnn",
        "--variant",
        "threaded",
        "--quick",
        "--submission",
        _submission(tmp_path, planted),
        "--seed",
        "4",
        "--examples",
        "3",
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    failed = {
        found.group(1) for found in re.finditer(r"^FAIL\s+threaded\s+(.+?)\s+\d+(?:\.\d+)?/\d+$", run.stdout, re.M)
    }
    assert failed == {task, "attention memory"} - {None}, run.stdout
    assert message in run.stdout, run.stdout


def _verdicts(stdout: str, variant: str) -> dict[str, tuple[str, str]]:
    """task name -> (PASS or FAIL, its message: the indented lines under it) from the grader's report."""
    task = rf"^(PASS|FAIL)\s+{variant}\s+(.+?)\s+\d+(?:\.\d+)?/\d+\n((?:[ \t]+.*\n?)*)"
    return {block.group(2): (block.group(1), block.group(3)) for block in re.finditer(task, stdout, re.M)}


@pytest.mark.slow
def test_torch_checks_judge_each_fault_in_its_own_task(grader, tmp_path):
    """Two faults, each visible to one torch check: each fails that check with its own message, and a worker
    that died in one check does not take the next check's points with it."""
    folder = tmp_path / "dnn"
    folder.mkdir()
    shutil.copy(PLANTED / "dnn_torch_ops_two_faults" / "dnn" / "torch_ops.py", folder / "torch_ops.py")
    shutil.copy(PLANTED / "dnn_numpy" / "dnn" / "threaded.py", folder / "threaded.py")
    run = grader("dnn", "--variant", "torch_ops", "--quick", "--submission", str(tmp_path), "--seed", "1")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    verdicts = _verdicts(run.stdout, "torch_ops")
    assert {name: status for name, (status, _) in verdicts.items()} == {
        tasks.TORCH_TASK_NAMES["opcheck"]: "PASS",
        tasks.TORCH_TASK_NAMES["gradcheck"]: "FAIL",
        tasks.TORCH_TASK_NAMES["training"]: "FAIL",
        tasks.TORCH_TASK_NAMES["model"]: "PASS",
    }, run.stdout
    assert "gradcheck of dnn::layernorm failed on x[5, 7]" in verdicts[tasks.TORCH_TASK_NAMES["gradcheck"]][1]
    assert "exited with status 3" in verdicts[tasks.TORCH_TASK_NAMES["training"]][1], run.stdout

"""Reading vector instructions off assembly: packed arithmetic counts, scalar and register zeroing do not."""

import numpy as np
import pytest

from grader import simd

pytestmark = pytest.mark.grader


@pytest.mark.parametrize(
    "line, packed",
    [
        ("\tvfmadd231ps\t%ymm1, %ymm2, %ymm0", True),
        ("\tvaddps\t(%rdi,%rax,4), %zmm0, %zmm1", True),
        ("\tvpaddd\t%ymm1, %ymm2, %ymm3", True),
        ("\tmulps\t%xmm1, %xmm0", True),
        ("\tfmla\tv0.4s, v1.4s, v2.4s", True),
        ("\tvmulss\t%xmm1, %xmm0, %xmm0", False),  # scalar single: one lane
        ("\tvaddsd\t%xmm1, %xmm0, %xmm0", False),
        ("\tvxorps\t%xmm0, %xmm0, %xmm0", False),  # zeroing a register
        ("\tvpxor\t%xmm3, %xmm3, %xmm3", False),
        ("\tvmovups\t%ymm0, 192(%rsp)", False),  # a move is not arithmetic
        ("\tfadd\ts0, s1, s2", False),
    ],
)
def test_which_instructions_count_as_packed(line, packed):
    assert bool(simd.packed_lines(line)) is packed


def test_a_plain_loop_compiles_to_packed_instructions_and_a_scalar_recurrence_does_not():
    from types import ModuleType

    from numba import njit

    @njit
    def scale(x, out):
        for i in range(x.size):
            out[i] = 2.0 * x[i]

    @njit
    def recurrence(x, out):  # each step needs the previous one: nothing to do in parallel lanes
        total = 0.0
        for i in range(x.size):
            total = total * 0.5 + x[i]
            out[i] = total

    x = np.ones(64, np.float32)
    for function in (scale, recurrence):
        function(x, np.empty_like(x))
    vectorized, scalar = ModuleType("vectorized"), ModuleType("scalar")
    vectorized.scale, scalar.recurrence = scale, recurrence
    assert simd.packed_instructions(vectorized)[0] is True
    assert simd.packed_instructions(scalar)[0] is False

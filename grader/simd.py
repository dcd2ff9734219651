"""Evidence of SIMD: packed vector instructions in the machine code numba generated.

Runs inside the sandbox child, after the learner's functions have been called (so they are compiled). For
every numba-compiled function in the module it reads the assembly (``dispatcher.inspect_asm``) and counts
packed floating-point and integer arithmetic: on x86-64, instructions such as ``vmulps``/``vfmadd231ps``/
``vpaddd`` on xmm/ymm/zmm registers; on arm64, NEON arithmetic on ``v`` registers with lane suffixes
(``fmla v0.4s``). Scalar SSE (``mulss``) does not count: it uses a vector register for one lane.
"""

from __future__ import annotations

import re

X86_PACKED = re.compile(
    r"^\s*v?(?:add|sub|mul|div|min|max|sqrt|fn?madd\d*|fn?msub\d*|cmp\w*|blendv|and|andn|or|xor)p[sd]\s"
    r"|^\s*v?p(?:add|sub|mull|cmp\w*|min|max|and|or|xor|blendvb|sll|srl|sra)[bwdq]?\w*\s",
    re.M,
)
X86_WIDTH = {"zmm": 512, "ymm": 256, "xmm": 128}
# "vxorps %xmm0, %xmm0, %xmm0" only zeroes a register (scalar code uses it too): not vector arithmetic.
ZEROING = re.compile(r"^\s*v?p?xorp?[sd]?\s+%(\w+),\s*%\1(?:,\s*%\1)?\s*$")
ARM_PACKED = re.compile(
    r"^\s*(?:f?add|f?sub|f?mul|fmla|fmls|fdiv|fmax|fmin|cm\w+|fcm\w+|and|orr|eor)\s+"
    r"v\d+\.(?:2d|4s|8h|16b|2s|4h|8b)",
    re.M,
)


def packed_lines(asm: str) -> list[str]:
    """The lines of ``asm`` that are packed vector arithmetic."""
    return [
        line
        for line in asm.splitlines()
        if (X86_PACKED.match(line) or ARM_PACKED.match(line)) and not ZEROING.match(line)
    ]


def packed_instructions(module) -> tuple[bool, str]:
    """(found, message): whether the module's compiled functions hold packed vector instructions."""
    count, widest, names = 0, 0, []
    for name, value in _compiled_functions(module):
        for signature in value.signatures:
            asm = value.inspect_asm(signature)
            found = packed_lines(asm)
            if found:
                names.append(name)
            count += len(found)
            for line in found:  # the widest register that vector arithmetic used
                widest = max(
                    [widest]
                    + [bits for register, bits in X86_WIDTH.items() if f"%{register}" in line]
                    + [128 if ARM_PACKED.match(line) else 0]
                )
    if not count:
        return False, "no packed vector instructions in the compiled code (scalar only)"
    lanes = f", {widest}-bit registers = {widest // 32} float32 lanes" if widest else ""
    return True, f"{count} packed vector instructions in {', '.join(sorted(set(names)))}{lanes}"


def _compiled_functions(module):
    """(name, dispatcher) for each numba function in ``module`` that has been compiled.

    numba cannot show the assembly of code it loaded from its on-disk cache (``cache=True``), so each
    function is compiled afresh, uncached, for the signatures it was called with.
    """
    from numba import njit
    from numba.core.registry import CPUDispatcher

    for name, value in vars(module).items():
        if isinstance(value, CPUDispatcher) and value.signatures:
            options = {key: v for key, v in value.targetoptions.items() if key not in ("cache", "nopython")}
            fresh = njit(**options)(value.py_func)
            for signature in value.signatures:
                fresh.compile(signature)
            yield name, fresh

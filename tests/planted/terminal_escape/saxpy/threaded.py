"""Planted: prints terminal escapes (clear the screen, move the cursor, recolour) and a fake PASS line, then
fails with a message holding the same, hoping the learner's terminal or the reports show a pass."""

import sys

FAKE = "\x1b[2J\x1b[H\x1b[32mPASS  threaded  correctness                     6/6\x1b[0m\r"


def saxpy(a, x, y, num_threads=None):
    print(FAKE * 3, flush=True)
    sys.stdout.write("\x1b]0;owned\x07\x9b2J")
    raise ValueError("\r" + FAKE + "\nPASS  threaded  correctness  6/6\n\x1b[1A\x1b[2K")

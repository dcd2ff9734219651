"""Planted: returns zeros, and makes its worker answer every request with a hand-made frame instead: "ok"
and, for the grader to rebuild, an object (``os:system``, through the protocol's dataclass marker). Under
the old pickle protocol a crafted reply like this ran code in the grader. The grader decodes plain data
only and refuses the reply."""

import json
import struct
import sys

import numpy as np

_worker = sys.modules.get("__main__")
if hasattr(_worker, "protocol"):
    def forged_send(sock, value):
        header = json.dumps({"__tuple__": ["ok", {"__dataclass__": "os:system", "fields": {"command": "true"}},
                                           []]}).encode()
        sock.sendall(struct.pack("<Q", 4 + len(header)) + struct.pack("<I", len(header)) + header)

    _worker.protocol.send = forged_send


def saxpy(a, x, y, num_threads=None):
    return np.zeros_like(x)

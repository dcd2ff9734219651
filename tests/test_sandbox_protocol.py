"""The wire format between the grader and its workers (grader/sandbox_protocol.py): plain data, bounded, checked.

The grader decodes every reply with ``trusted_types=False``; these tests build replies by hand, as a hostile
worker would, and check that only plain values ever come out, and that the peer check accepts only the
worker's own process tree.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader import sandbox_protocol as protocol
from grader.sandbox import Worker, _clean


def _frame(header, *buffers: bytes) -> bytes:
    """A frame as a worker could write it by hand (without its 8-byte length)."""
    raw = json.dumps(header).encode()
    return struct.pack("<I", len(raw)) + raw + b"".join(buffers)


PLAIN_DTYPES = st.sampled_from(
    [np.bool_, np.int8, np.int32, np.int64, np.uint16, np.float32, np.float64, np.complex64, np.complex128]
)


@given(hnp.arrays(PLAIN_DTYPES, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5)))
def test_arrays_come_back_equal_in_dtype_and_shape(array):
    back = protocol.decode(memoryview(protocol.encode(("ok", array, [array[()] if array.ndim == 0 else 1])))[8:])
    assert back[1].dtype == array.dtype and back[1].shape == array.shape
    assert np.array_equal(back[1], array, equal_nan=array.dtype.kind in "fc")


def test_plain_values_keep_their_types():
    value = ("ok", None, True, 3, 2.5, float("nan"), 1 + 2j, "text", [1, (2, 3)], {"k": np.float32(0.5)})
    back = protocol.decode(memoryview(protocol.encode(value))[8:])
    assert type(back) is tuple and type(back[8]) is list and type(back[8][1]) is tuple
    assert back[6] == 1 + 2j and np.isnan(back[5]) and type(back[9]["k"]) is np.float32


@pytest.mark.parametrize(
    "header, buffers, says",
    [
        ({"__dataclass__": "os:system", "fields": {"command": "true"}}, [], "may not hold objects"),
        ({"__array__": ["|O8", [1], False]}, [b"\0" * 8], "bad dtype"),
        ({"__array__": ["<V8", [1], False]}, [b"\0" * 8], "bad dtype"),
        ({"__array__": ["<f4", [4], False]}, [b"\0" * 8], "longer than its frame"),
        ({"__array__": ["<f4", [1], False]}, [b"\0" * 8], "after the last array"),
        ({"__array__": ["<f4", [-1], False]}, [], "bad dtype or shape"),
        ({"__evil__": 1}, [], "unknown marker"),
    ],
)
def test_a_hand_made_reply_is_refused(header, buffers, says):
    with pytest.raises(protocol.ProtocolError, match=says):
        protocol.decode(_frame(header, *buffers))


def test_pickle_is_never_parsed():
    import pickle

    payload = pickle.dumps(("ok", np.zeros(3)))
    with pytest.raises(protocol.ProtocolError, match="header"):
        protocol.decode(struct.pack("<I", 2) + payload)


def test_an_oversized_frame_is_refused_before_it_is_read():
    ours, theirs = socket.socketpair()
    with ours, theirs:
        theirs.sendall(struct.pack("<Q", protocol.MAX_FRAME_BYTES + 1))
        with pytest.raises(protocol.ProtocolError, match="limit"):
            protocol.receive(ours)


def test_text_from_a_worker_is_bounded_and_has_no_control_characters():
    text = _clean(("error", "\x1b[2J\rPASS\x07" + "x" * 10_000 + "\u202e"))[1]
    assert len(text) < protocol.MESSAGE_CHARS + 100 and "more characters cut" in text
    assert not any(ch in text for ch in "\x1b\r\x07\u202e") and "PASS" in text


def test_only_the_workers_own_process_tree_may_connect(tmp_path):
    """The grader accepts a connection only from the worker it started or that worker's descendants; any other
    process (another worker's code, say) is turned away, whatever it sends."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(tmp_path / "socket"))
    listener.listen(2)
    connect = f"import socket; s = socket.socket(socket.AF_UNIX); s.connect({str(tmp_path / 'socket')!r}); s.recv(1)"
    stranger = subprocess.Popen([sys.executable, "-c", connect])
    through_a_child = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {connect!r}])"
    worker = subprocess.Popen([sys.executable, "-c", through_a_child])
    try:
        fake = Worker.__new__(Worker)
        fake.uid, fake.process = None, worker
        verdicts = {}
        for _ in range(2):
            peer, _ = listener.accept()
            pid = protocol.peer_credentials(peer)[0]
            verdicts[pid == stranger.pid] = fake._is_ours(peer)
            peer.close()
        assert verdicts == {True: False, False: True}
    finally:
        for process in (stranger, worker):
            process.kill()
            process.wait()
        listener.close()
        os.unlink(tmp_path / "socket")

"""The wire format between the grader and its workers: plain data only, every message bounded.

A message is one frame: an 8-byte length, then a 4-byte length of a JSON header, the header, and the raw
bytes of every numpy array the message holds, back to back. The header is JSON of plain values (None,
bool, int, float, str, lists, dicts with string keys) in which a few one-key objects stand for what JSON
lacks:

    {"__tuple__": [...]}                                   a tuple
    {"__complex__": [re, im]}                              a complex number
    {"__array__": [dtype, shape, scalar]}                  an array (or a numpy scalar), its bytes next
    {"__unsupported__": "module.Type"}                     a value the child could not send (named)
    {"__dataclass__": "module:Type", "fields": {...}}      requests only: a trusted input type (Graph, Scene)

Nothing is ever unpickled. The parent decodes replies with ``trusted_types=False``: a dataclass marker is
refused, an array's dtype must be a plain number type (bool, int, uint, float, complex; no objects, no
records) and its shape must match its bytes exactly. Frames larger than MAX_FRAME_BYTES, headers larger
than MAX_HEADER_BYTES, or malformed in any way raise :class:`ProtocolError`; the caller fails the task.

:func:`clean_text` bounds every string that came from a worker before it reaches a terminal or a report:
control characters (terminal escapes, carriage returns) are replaced and the text is cut to a few KB.
"""

from __future__ import annotations

import dataclasses
import json
import re
import socket
import struct
import time

import numpy as np

# The largest answer a task returns is a timed scan's output on a GPU, 2^28 int32 = 1 GiB: that and its header.
MAX_FRAME_BYTES = (1 << 30) + (1 << 20)
MAX_HEADER_BYTES = 16 << 20  # strings are short; a header this big is a reply built to flood the grader
MESSAGE_CHARS = 4000  # what a report shows of one message (a task's message, an exception's text)
_FRAME = struct.Struct("<Q")
_HEADER = struct.Struct("<I")
_PLAIN_DTYPE = re.compile(r"^[<>|=]?(b1|[iu][1248]|f[248]|c(8|16))$")
# Everything below a space but newline and tab, DEL, the C1 controls, and the Unicode bidirectional
# overrides: what could move a terminal's cursor, recolour it, or make text read differently than it is.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


class ProtocolError(Exception):
    """A frame that is not a well-formed message of this protocol (the worker is then not trusted)."""


def clean_text(text: str, limit: int = MESSAGE_CHARS) -> str:
    """``text`` with control characters shown as U+FFFD and cut to ``limit`` characters (marked)."""
    if len(text) > limit:
        text = text[:limit] + f" [... {len(text) - limit} more characters cut]"
    return _CONTROL.sub("\ufffd", text)


def encode(value) -> bytes:
    """One frame holding ``value`` (see the module docstring for what may be in it)."""
    buffers: list[memoryview] = []
    header = json.dumps(_to_json(value, buffers), allow_nan=True, separators=(",", ":")).encode()
    body = sum(len(b) for b in buffers)
    return b"".join([_FRAME.pack(_HEADER.size + len(header) + body), _HEADER.pack(len(header)), header, *buffers])


def _to_json(value, buffers):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, complex):
        return {"__complex__": [value.real, value.imag]}
    if isinstance(value, (np.ndarray, np.generic)):
        array = np.asarray(value)
        if not array.flags.c_contiguous:
            array = array.copy(order="C")
        if not _PLAIN_DTYPE.match(array.dtype.str):
            return {"__unsupported__": f"numpy array of dtype {array.dtype}"}
        buffers.append(memoryview(array).cast("B") if array.size else memoryview(b""))
        return {"__array__": [array.dtype.str, list(array.shape), isinstance(value, np.generic)]}
    if isinstance(value, tuple):
        return {"__tuple__": [_to_json(item, buffers) for item in value]}
    if isinstance(value, list):
        return [_to_json(item, buffers) for item in value]
    if isinstance(value, dict):
        return {str(key): _to_json(item, buffers) for key, item in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        kind = type(value)
        return {
            "__dataclass__": f"{kind.__module__}:{kind.__qualname__}",
            "fields": {f.name: _to_json(getattr(value, f.name), buffers) for f in dataclasses.fields(value)},
        }
    return {"__unsupported__": f"{type(value).__module__}.{type(value).__qualname__}"}


def decode(frame: bytes | bytearray | memoryview, *, trusted_types: bool = False):
    """The value of one frame (its 8-byte length already read off). ``trusted_types``: rebuild dataclass
    markers by importing their class (the child, decoding the grader's requests); otherwise refuse them."""
    view = memoryview(frame)
    if len(view) < _HEADER.size:
        raise ProtocolError("a frame shorter than its header")
    (header_size,) = _HEADER.unpack_from(view)
    if header_size > MAX_HEADER_BYTES or _HEADER.size + header_size > len(view):
        raise ProtocolError(f"a header of {header_size} bytes")
    try:
        header = json.loads(bytes(view[_HEADER.size : _HEADER.size + header_size]))
    except (ValueError, RecursionError) as error:
        raise ProtocolError(f"a header that is not JSON ({type(error).__name__})") from None
    reader = _Reader(view, _HEADER.size + header_size, trusted_types)
    try:
        value = reader.value(header, depth=0)
    except RecursionError:
        raise ProtocolError("a message nested too deeply") from None
    if reader.offset != len(view):
        raise ProtocolError(f"{len(view) - reader.offset} bytes after the last array")
    return value


class Unsupported:
    """Stands for a value the child could not send (a GPU array, a custom object); names its type."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<object of type {self.type_name}>"


def _unsupported(type_name: str) -> Unsupported:
    # A fresh class named after the learner's type, so that messages say "got DeviceNDArray".
    short = re.sub(r"\W", "_", type_name.rsplit(".", 1)[-1])[:80] or "object"
    return type(short, (Unsupported,), {})(clean_text(type_name, 200))


class _Reader:
    def __init__(self, view: memoryview, offset: int, trusted_types: bool):
        self.view, self.offset, self.trusted_types = view, offset, trusted_types

    def value(self, item, depth: int):
        if depth > 64:
            raise ProtocolError("a message nested too deeply")
        if item is None or isinstance(item, (bool, int, float, str)):
            return item
        if isinstance(item, list):
            return [self.value(element, depth + 1) for element in item]
        if not isinstance(item, dict):
            raise ProtocolError(f"a value of JSON type {type(item).__name__}")
        if len(item) == 1:
            ((key, content),) = item.items()
            if key == "__tuple__" and isinstance(content, list):
                return tuple(self.value(element, depth + 1) for element in content)
            if (
                key == "__complex__"
                and isinstance(content, list)
                and len(content) == 2
                and all(isinstance(part, (int, float)) and not isinstance(part, bool) for part in content)
            ):
                return complex(*content)
            if key == "__array__":
                return self.array(content)
            if key == "__unsupported__" and isinstance(content, str):
                return _unsupported(content)
        if set(item) == {"__dataclass__", "fields"}:
            return self.dataclass(item["__dataclass__"], item["fields"], depth)
        if any(key.startswith("__") and key.endswith("__") for key in item):
            raise ProtocolError(f"an unknown marker {sorted(item)[0][:40]!r}")
        return {key: self.value(element, depth + 1) for key, element in item.items()}

    def array(self, content):
        if not (
            isinstance(content, list)
            and len(content) == 3
            and isinstance(content[0], str)
            and _PLAIN_DTYPE.match(content[0])
            and isinstance(content[1], list)
            and all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d < 2**40 for d in content[1])
            and len(content[1]) <= 32
            and isinstance(content[2], bool)
        ):
            raise ProtocolError("an array marker with a bad dtype or shape")
        dtype, shape, scalar = np.dtype(content[0]), tuple(content[1]), content[2]
        size = dtype.itemsize * int(np.prod(shape, dtype=object))
        if self.offset + size > len(self.view) or (scalar and shape):
            raise ProtocolError("an array longer than its frame")
        array = np.frombuffer(self.view[self.offset : self.offset + size], dtype=dtype).reshape(shape).copy()
        self.offset += size
        return array[()] if scalar else array

    def dataclass(self, name, fields, depth):
        if not self.trusted_types:
            raise ProtocolError("a reply may not hold objects, only plain values")
        from grader.spec import resolve

        kind = resolve(name)
        made = object.__new__(kind)
        for key, element in fields.items():
            object.__setattr__(made, key, self.value(element, depth + 1))
        return made


# -- frames over a stream socket ------------------------------------------------------------------------------
def send(sock: socket.socket, value) -> None:
    sock.sendall(encode(value))


def receive(sock: socket.socket, *, trusted_types: bool = False, deadline: float | None = None):
    """Read one frame and decode it. EOFError when the peer closed the socket before a whole frame;
    TimeoutError when the whole frame has not come by ``deadline`` (time.monotonic())."""
    (size,) = _FRAME.unpack(_read(sock, _FRAME.size, deadline))
    if size > MAX_FRAME_BYTES:
        raise ProtocolError(f"a message of {size} bytes (the limit is {MAX_FRAME_BYTES >> 20} MiB)")
    return decode(_read(sock, size, deadline), trusted_types=trusted_types)


def _read(sock: socket.socket, size: int, deadline: float | None) -> bytearray:
    buffer = bytearray(size)
    view, got = memoryview(buffer), 0
    while got < size:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            sock.settimeout(remaining)
        try:
            count = sock.recv_into(view[got:], min(size - got, 1 << 24))
        except TimeoutError:
            raise TimeoutError from None
        if count == 0:
            raise EOFError("the peer closed the connection")
        got += count
    return buffer


def peer_credentials(sock: socket.socket) -> tuple[int, int, int]:
    """(pid, uid, gid) of the process at the other end of a Unix socket, as the kernel recorded them."""
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", raw)

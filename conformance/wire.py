"""The channel between the checker and a driver's process: framed JSON over a socket.

Every message is one JSON array, sent as a 4-byte big-endian length and the UTF-8 text.
JSON, not pickle or marshal: the checker reads what an untrusted process wrote, and
decoding JSON can neither run code nor crash the interpreter. A frame over
:data:`MAX_FRAME` bytes, text that is not JSON, or JSON nested deeper than Python can
decode is a :class:`Malformed` channel, never an exception the caller did not expect.

Values inside messages are JSON scalars and arrays, plus these one-key objects:

``{"b": "0a1b"}``
    bytes, as hex;
``{"k": id, "t": kind}``
    a kernel structure (``"dev"``, ``"skb"``, ``"queue"``) both sides hold a copy of;
    positive ids are the checker's, negative ids the driver's (a ``struct device`` or
    ``sk_buff_head`` the driver made);
``{"d": id, "n": name, "c": 0|1}``
    an object of the driver's (its functions, ``dev_id`` cookies, private data): the
    checker holds only this reference and calls functions back by id;
``{"x": id, "n": name}``
    a kernel function stored in a structure (``dev->hard_header`` after
    ``ether_setup``); the driver holds only this reference;
``{"s": {...}}``, ``{"m": {...}}``
    a ``struct enet_statistics`` or ``struct ifmap``, by value;
``{"f": "1.5"}``
    a float (no C driver can pass one through this API; the checker reports it).
"""

from __future__ import annotations

import json
import select
import socket
import time
from typing import Any

__all__ = ["MAX_FRAME", "Closed", "Malformed", "Reader", "TimedOut", "send"]

#: The largest frame either side accepts (bytes of JSON text).
MAX_FRAME = 8 * 2**20

_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False, ensure_ascii=False)


class Closed(Exception):
    """The other side closed the channel (its process ended)."""


class TimedOut(Exception):
    """No complete message arrived before the deadline."""


class Malformed(Exception):
    """The other side sent something that is not a message of the protocol."""


def send(sock: socket.socket, message: list[Any]) -> None:
    """Send one message (a JSON array); raises :class:`Closed` if the peer is gone."""
    data = _ENCODER.encode(message).encode("utf-8", "surrogatepass")
    try:
        sock.sendall(len(data).to_bytes(4, "big") + data)
    except (BrokenPipeError, ConnectionResetError) as exc:
        raise Closed(str(exc)) from None


class Reader:
    """Reads framed messages from one socket, with an optional deadline per message."""

    __slots__ = ("_buf", "_sock")

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buf = bytearray()

    def pending(self) -> bool:
        """Whether a whole frame is already buffered."""
        buf = self._buf
        return len(buf) >= 4 and len(buf) >= 4 + int.from_bytes(buf[:4], "big")

    def recv(self, timeout: float | None = None) -> list[Any]:
        """The next message. ``timeout`` (seconds, None: wait for ever) bounds the wait;
        raises :class:`TimedOut`, :class:`Closed` or :class:`Malformed`."""
        deadline = None if timeout is None else time.monotonic() + timeout
        buf = self._buf
        while True:
            if len(buf) >= 4:
                size = int.from_bytes(buf[:4], "big")
                if size > MAX_FRAME:
                    raise Malformed(f"a frame of {size} bytes (the limit is {MAX_FRAME})")
                if len(buf) >= 4 + size:
                    text = bytes(buf[4:4 + size])
                    del buf[:4 + size]
                    return _decode(text)
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimedOut()
                ready, _, _ = select.select([self._sock], [], [], left)
                if not ready:
                    raise TimedOut()
            try:
                chunk = self._sock.recv(1 << 16)
            except (ConnectionResetError, OSError) as exc:
                raise Closed(str(exc)) from None
            if not chunk:
                raise Closed("end of file")
            buf += chunk


def _decode(text: bytes) -> list[Any]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:  # bad UTF-8, bad JSON, too deep, huge ints
        raise Malformed(f"not a JSON message ({type(exc).__name__}: {str(exc)[:80]})") from None
    if not isinstance(value, list) or not value or not isinstance(value[0], str):
        raise Malformed(f"not a message (a JSON array starting with its kind): "
                        f"{text[:60]!r}")
    return value

"""Message framing between the grader and its sandboxed processes: a count of parts, then
each part as its length and bytes.

Used on both sides. The sandboxed side reads and writes blocking descriptors without
limits (it trusts the grader); the grader passes a deadline and caps, because nothing the
sandbox sends is trusted. The grader's descriptors must be non-blocking for a deadline to
bound a write as well as a read.
"""

from __future__ import annotations

import os
import select
import struct
import time

COUNT = struct.Struct(">I")
PART = struct.Struct(">Q")
CHUNK = 1 << 20


class FrameError(Exception):
    """The other side sent something that is not a well-formed frame within the caps."""


class FrameTimeout(FrameError):
    """The deadline passed before the frame was complete."""


class FrameTooLarge(FrameError):
    """The frame is over the reader's cap."""


class FrameClosed(FrameError):
    """The other side closed its end (it exited or was killed)."""


def write(fd: int, parts: list[bytes] | tuple[bytes, ...], deadline: float | None = None) -> None:
    data = COUNT.pack(len(parts)) + b"".join(PART.pack(len(p)) + p for p in parts)
    view = memoryview(data)
    while view:
        _wait(fd, select.POLLOUT, deadline)
        try:
            view = view[os.write(fd, view[:CHUNK]) :]
        except BlockingIOError:
            continue
        except (BrokenPipeError, ConnectionResetError):
            raise FrameClosed("the other side closed the channel") from None


def read(fd: int, deadline: float | None = None, max_parts: int = 1 << 16, max_bytes: int = 1 << 62) -> list[bytes]:
    (count,) = COUNT.unpack(_read_exact(fd, COUNT.size, deadline))
    if count > max_parts:
        raise FrameError(f"a frame of {count} parts (at most {max_parts})")
    parts, used = [], 0
    for _ in range(count):
        (size,) = PART.unpack(_read_exact(fd, PART.size, deadline))
        used += size
        if used > max_bytes:
            raise FrameTooLarge(f"a frame larger than {max_bytes} bytes")
        parts.append(_read_exact(fd, size, deadline))
    return parts


def _read_exact(fd: int, n: int, deadline: float | None) -> bytes:
    chunks = []
    while n:
        _wait(fd, select.POLLIN, deadline)
        try:
            chunk = os.read(fd, min(n, CHUNK))
        except BlockingIOError:
            continue
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            raise FrameClosed("the other side closed the channel")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _wait(fd: int, event: int, deadline: float | None) -> None:
    if deadline is None:
        return  # a blocking descriptor: the read or write itself waits
    poller = select.poll()  # not select(): it fails on descriptors above 1023
    poller.register(fd, event)
    remaining = deadline - time.monotonic()
    if remaining <= 0 or not poller.poll(remaining * 1000):
        raise FrameTimeout("the deadline passed")

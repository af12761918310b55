"""Message framing between the grader and its sandboxed processes: a count of parts, the
length of each part, then the parts' bytes one after another.

The lengths come first so that a reader takes a frame in three reads (count, lengths, all
the bytes), however many parts it has: a batch of calls answers in hundreds of parts.

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
    data = COUNT.pack(len(parts)) + b"".join(PART.pack(len(p)) for p in parts) + b"".join(parts)
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
    sizes = struct.unpack(f">{count}Q", _read_exact(fd, PART.size * count, deadline))
    if sum(sizes) > max_bytes:  # checked before a byte of the parts is read
        raise FrameTooLarge(f"a frame larger than {max_bytes} bytes")
    data = _read_exact(fd, sum(sizes), deadline)
    parts, offset = [], 0
    for size in sizes:
        parts.append(data[offset : offset + size])
        offset += size
    return parts


def _read_exact(fd: int, n: int, deadline: float | None) -> bytes:
    buffer = bytearray(n)
    view, got = memoryview(buffer), 0
    while got < n:
        _wait(fd, select.POLLIN, deadline)
        try:
            chunk = os.readv(fd, [view[got : got + CHUNK]])
        except BlockingIOError:
            continue
        except ConnectionResetError:
            chunk = 0
        if not chunk:
            raise FrameClosed("the other side closed the channel")
        got += chunk
    return bytes(buffer)


def _wait(fd: int, event: int, deadline: float | None) -> None:
    if deadline is None:
        return  # a blocking descriptor: the read or write itself waits
    poller = select.poll()  # not select(): it fails on descriptors above 1023
    poller.register(fd, event)
    remaining = deadline - time.monotonic()
    if remaining <= 0 or not poller.poll(remaining * 1000):
        raise FrameTimeout("the deadline passed")

"""kit/frames.py: what the grader reads from a sandboxed process is bounded in time and size."""

from __future__ import annotations

import socket
import time

import pytest

from kit import frames


@pytest.fixture
def pair():
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    yield ours.fileno(), theirs
    ours.close()
    theirs.close()


def test_a_frame_round_trips(pair):
    ours, theirs = pair
    frames.write(theirs.fileno(), [b"header", b"", b"x" * 100_000])
    assert frames.read(ours, time.monotonic() + 5) == [b"header", b"", b"x" * 100_000]


def test_a_silent_sender_times_out(pair):
    ours, theirs = pair
    theirs.sendall(frames.COUNT.pack(1))  # a count, then nothing
    started = time.monotonic()
    with pytest.raises(frames.FrameTimeout):
        frames.read(ours, time.monotonic() + 0.2)
    assert time.monotonic() - started < 2


def test_caps_on_parts_and_bytes_hold_before_reading_the_payload(pair):
    ours, theirs = pair
    theirs.sendall(frames.COUNT.pack(10**9))
    with pytest.raises(frames.FrameError, match="parts"):
        frames.read(ours, time.monotonic() + 1, max_parts=8)
    theirs.sendall(frames.COUNT.pack(1) + frames.PART.pack(1 << 40))  # announces a terabyte, sends none of it
    with pytest.raises(frames.FrameTooLarge):
        frames.read(ours, time.monotonic() + 1, max_bytes=1 << 20)


def test_a_closed_channel_is_reported_not_waited_for(pair):
    ours, theirs = pair
    theirs.sendall(frames.COUNT.pack(2) + frames.PART.pack(3) + b"ab")
    theirs.close()
    with pytest.raises(frames.FrameClosed):
        frames.read(ours, time.monotonic() + 5)


def test_a_reader_that_never_reads_cannot_block_a_bounded_write(pair):
    ours, theirs = pair
    with pytest.raises(frames.FrameTimeout):
        frames.write(ours, [b"x" * (64 << 20)], time.monotonic() + 0.5)

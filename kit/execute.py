"""Calling a student's function and turning whatever happens into bytes.

Kept free of hypothesis and pytest so that the sandboxed child starts fast: it imports
only torch and this module.
"""

from __future__ import annotations

import contextlib
import traceback
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

import torch

from kit import wire
from kit.calls import Call
from kit.dispatch import OpRecorder, Tripwires


def describe_error(error: BaseException, filename: str | None = None) -> str:
    """'ValueError: bad shape (softmax.py, line 12)': the student's own line, no traceback wall."""
    try:
        text = f"{type(error).__name__}: {error}"
    except Exception:  # a hostile __str__
        text = type(error).__name__
    text = text if len(text) <= 300 else text[:297] + "..."
    if filename is not None:
        frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == filename]
        if frames:
            text += f" ({Path(filename).name}, line {frames[-1].lineno})"
    return text


def _raised_by(error: BaseException, filename: str | None) -> bool:
    """Whether a `raise` statement in `filename` raised it (not torch's C++ code under a call there)."""
    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and filename is not None and frames[-1].filename == filename and (frames[-1].line or "").startswith("raise")


def seed_generators(seed: int) -> None:
    """What torch.manual_seed(seed) does for the devices the kit runs on (CPU and CUDA), cheaply.

    torch.manual_seed also queues seeds for not-yet-initialised CUDA/XPU/MTIA backends, and
    each such queueing formats the whole Python stack: milliseconds per call in a deep
    pytest + hypothesis stack, paid on every graded call.
    """
    torch.random.default_generator.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


class Reply(NamedTuple):
    """What one call left behind, as the frames that cross from the sandbox to the grader."""

    output: bytes | None = None
    inputs: bytes | None = None  # the arguments after the call, to catch in-place changes
    error: str | None = None
    not_implemented: bool = False
    file: bytes | None = None  # the bytes at `Call.read_back` after the call; None if there is no such file
    record: dict | None = None  # what the call ran (kit.dispatch.record_of): judged by the grader, never trusted as a pass


def _taken(watch) -> dict | None:
    return watch.record() if watch is not None else None


def read_back(path: str, limit: int) -> bytes | None:
    """The bytes of the file at `path`, or None where there is no readable file; WireError past `limit`."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError:
        return None
    if len(data) > limit:
        raise wire.WireError(f"left a file of more than {limit:,} bytes at {path}")
    return data


def execute(
    module: ModuleType, function: str, call: Call, device: str, *, autograd: bool = True, record: bool = True,
    tripwires: Tripwires | None = None, limits: wire.Limits = wire.Limits(),
) -> Reply:
    """Call `module.function` on `call` moved to `device`.

    With `autograd=False` the call runs under `torch.inference_mode()`, where no autograd
    graph can be built or re-enabled: `.backward()` and `torch.autograd.grad` then fail.
    With `record`, the reply carries what the call ran (kit.dispatch), failed or not: through
    `tripwires` where the caller installed them (the sandboxed child), else an OpRecorder.

    Shared by the in-process runner and the sandboxed child, so both judge exactly the same
    bytes.
    """
    fn = getattr(module, function, None)
    if not callable(fn):
        return Reply(error=f"{module.__name__.rsplit('.', 1)[-1]}.py defines no function {function}()")
    local = call.clone().to(device)  # a private copy: students may modify it in place
    seed_generators(call.seed)
    watch = (tripwires.watch(autograd) if tripwires is not None else OpRecorder(watch_inference_mode=not autograd)) if record else None
    try:
        with torch.inference_mode() if not autograd else contextlib.nullcontext(), watch if watch is not None else contextlib.nullcontext():
            try:
                output = local(fn)
            finally:
                if watch is not None:
                    watch.seal()
    except NotImplementedError as error:
        if _raised_by(error, getattr(module, "__file__", None)):  # the stub's own raise, not torch's
            return Reply(error=f"{function}() is not implemented yet (it raises NotImplementedError)", not_implemented=True)
        return Reply(error=describe_error(error, getattr(module, "__file__", None)), record=_taken(watch))
    except Exception as error:
        return Reply(error=describe_error(error, getattr(module, "__file__", None)), record=_taken(watch))
    try:
        file = None if call.read_back is None else read_back(call.read_back, limits.max_payload_bytes)
        return Reply(wire.encode(output, limits), wire.encode((local.args, local.kwargs), limits), file=file, record=_taken(watch))
    except wire.WireError as error:
        return Reply(error=f"{function}() {error}")
    except Exception as error:  # e.g. a tensor whose storage cannot be read
        return Reply(error=f"{function}() returned something unreadable: {describe_error(error)}")

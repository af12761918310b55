"""Calling a student's function and turning whatever happens into bytes.

Kept free of hypothesis and pytest so that the sandboxed child starts fast: it imports
only torch and this module.
"""

from __future__ import annotations

import contextlib
import os
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

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


# CUDA's faster-than-IEEE modes, with no counterpart on the CPU, switched off for every graded call on every path (the
# students' pytest and notebook, InProcessRunner in benchmarks/device_check.py, the sandboxed child), so that the check
# "gives the CPU result on CUDA" compares one arithmetic on two devices under the same tolerance:
# - TF32 in float32 matrix products (cuBLAS) and convolutions (cuDNN): a 10-bit mantissa, errors of about 1e-3 relative,
#   a hundred times float32's tolerance (rtol 1e-5). PyTorch's defaults: off for matmul, ON for cuDNN.
# - cuBLAS's reduced-precision reductions in float16/bfloat16 products (on by default): partial sums rounded to the
#   half type, where the CPU accumulates in float32.
# Set around each call and restored after it, so that importing the kit changes nothing in a student's own session;
# only where CUDA is in use (a call on CUDA, or a process that has started CUDA): 7 us a call, for nothing on the CPU.
CUDA_MATH_SWITCHES = (
    ("matmul", "allow_tf32"),
    ("cudnn", "allow_tf32"),
    ("matmul", "allow_fp16_reduced_precision_reduction"),
    ("matmul", "allow_bf16_reduced_precision_reduction"),
)


def _switch_owner(where: str):
    return torch.backends.cuda.matmul if where == "matmul" else torch.backends.cudnn


@contextlib.contextmanager
def cuda_math_as_on_the_cpu():
    """Every CUDA_MATH_SWITCHES flag False inside the block, back to what it was after it.

    A flag that cannot be read (PyTorch refuses to read allow_tf32 once the code mixed it with
    the newer fp32_precision API) is set all the same and left False afterwards.
    """
    saved = []
    for where, name in CUDA_MATH_SWITCHES:
        owner = _switch_owner(where)
        try:
            saved.append((owner, name, getattr(owner, name)))
        except RuntimeError:
            pass
        setattr(owner, name, False)
    try:
        yield
    finally:
        for owner, name, value in reversed(saved):
            setattr(owner, name, value)


# The inputs frame of a call that left its arguments as it got them: the child need not encode and send them back.
# It says no more than sending the very bytes it was sent would (the child could send those whatever the call did).
UNCHANGED = b"="


def unchanged(before: Any, after: Any) -> bool:
    """Whether `after` is `before` as a graded call got it: the same containers, keys and plain values, each
    tensor a plain CPU tensor of the same dtype, shape and values. False where unsure (NaN, another
    device): the caller then sends the arguments themselves, and the grader compares their bytes."""
    if type(before) is torch.Tensor:
        return (
            type(after) is torch.Tensor and after.device.type == "cpu" and before.dtype == after.dtype
            and before.shape == after.shape and torch.equal(before, after)
        )
    if type(before) in (tuple, list):
        return type(after) is type(before) and len(after) == len(before) and all(unchanged(b, a) for b, a in zip(before, after, strict=True))
    if type(before) is dict:
        return type(after) is dict and after.keys() == before.keys() and all(unchanged(v, after[k]) for k, v in before.items())
    return type(after) is type(before) and type(before) in (type(None), bool, int, float, str) and after == before and after == after


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


def _with_path(obj: Any, old: str, new: str) -> Any:
    """`obj` with every string equal to `old`, in nested tuples, lists and dict values, replaced by `new`."""
    if isinstance(obj, str):
        return new if obj == old else obj
    if isinstance(obj, tuple | list):
        return type(obj)(_with_path(x, old, new) for x in obj)
    if isinstance(obj, dict):
        return {k: _with_path(v, old, new) for k, v in obj.items()}
    return obj


def execute(
    module: ModuleType, function: str, call: Call, device: str, *, autograd: bool = True, record: bool = True,
    tripwires: Tripwires | None = None, limits: wire.Limits = wire.Limits(), inputs: bool = True, files_in: str | None = None,
) -> Reply:
    """Call `module.function` on `call` moved to `device`.

    With `autograd=False` the call runs under `torch.inference_mode()`, where no autograd
    graph can be built or re-enabled: `.backward()` and `torch.autograd.grad` then fail.
    With `record`, the reply carries what the call ran (kit.dispatch), failed or not: through
    `tripwires` where the caller installed them (the sandboxed child), else an OpRecorder.
    With `inputs`, it carries the arguments as the call left them, to catch in-place changes.
    With `files_in` (the sandboxed child's own folder), the file the grader reads back
    (`Call.read_back`, a path the grader chose on its side) is written there instead: the
    argument naming it is swapped for the child's path, and back in the inputs it returns.

    Shared by the in-process runner and the sandboxed child, so both judge exactly the same
    bytes.
    """
    fn = getattr(module, function, None)
    if not callable(fn):
        return Reply(error=f"{module.__name__.rsplit('.', 1)[-1]}.py defines no function {function}()")
    # a private copy on `device`: students may modify it in place
    local = call.map(lambda t: t.detach().clone() if device == "cpu" == t.device.type else t.detach().clone().to(device))
    target = call.read_back
    if files_in is not None and target is not None:
        target = os.path.join(files_in, os.path.basename(call.read_back))
        args, kwargs = _with_path((local.args, local.kwargs), call.read_back, target)
        local = Call(args, kwargs, local.seed, local.extra, target)
    seed_generators(call.seed)
    watch = (tripwires.watch(autograd) if tripwires is not None else OpRecorder(watch_inference_mode=not autograd)) if record else None
    try:
        with (
            torch.inference_mode() if not autograd else contextlib.nullcontext(),
            cuda_math_as_on_the_cpu() if device == "cuda" or torch.cuda.is_initialized() else contextlib.nullcontext(),
            watch if watch is not None else contextlib.nullcontext(),
        ):
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
        file = None if target is None else read_back(target, limits.max_payload_bytes)
        left = _with_path((local.args, local.kwargs), target, call.read_back) if target != call.read_back else (local.args, local.kwargs)
        after = None if not inputs else UNCHANGED if device == "cpu" and unchanged((call.args, call.kwargs), left) else wire.encode(left, limits)
        return Reply(wire.encode(output, limits), after, file=file, record=_taken(watch))
    except wire.WireError as error:
        return Reply(error=f"{function}() {error}")
    except Exception as error:  # e.g. a tensor whose storage cannot be read
        return Reply(error=f"{function}() returned something unreadable: {describe_error(error)}")

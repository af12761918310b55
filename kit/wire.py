"""Plain data across a trust boundary: a JSON header plus raw tensor bytes.

Everything a graded function returns passes through `encode` and `decode`, in the student's
own pytest run as in the sandbox, so both see the same thing: plain `torch.Tensor`s rebuilt
from bytes, numbers, strings, lists, tuples and string-keyed dicts. Tensor subclasses,
objects with a lying `__eq__` and anything else are refused at `encode`; every frame is
size-capped and validated at `decode`.
"""

from __future__ import annotations

import json
import math
import re
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

DTYPES: dict[str, torch.dtype] = {
    str(d).removeprefix("torch."): d
    for d in (
        torch.float16, torch.bfloat16, torch.float32, torch.float64,
        torch.int8, torch.uint8, torch.int16, torch.int32, torch.int64, torch.bool,
    )
}
ITEM_SIZES = {d: torch.empty((), dtype=d).element_size() for d in DTYPES.values()}
_NUMPY_DTYPES = frozenset(d for d in DTYPES.values() if d is not torch.bfloat16)  # what Tensor.numpy() can view
HEADER_LENGTH = struct.Struct(">I")
MAX_ELEMENTS = 2**40  # per tensor, counting its non-zero dimensions: far beyond any payload limit, far below int64 overflow


@dataclass(frozen=True)
class Limits:
    max_header_bytes: int = 1 << 20
    max_payload_bytes: int = 256 << 20
    max_tensors: int = 256
    max_depth: int = 8


class WireError(ValueError):
    """The value cannot cross the boundary; the message is meant for the student."""


def encode(value: Any, limits: Limits = Limits()) -> bytes:
    if type(value) is torch.Tensor and limits.max_tensors >= 1:  # most values that cross: one tensor, of a few shapes
        return _encode_tensor(value, limits)
    return _encode_any(value, limits)


def _encode_any(value: Any, limits: Limits) -> bytes:
    tensors: list[dict] = []
    sources: list[torch.Tensor] = []
    payload_bytes = 0

    def plain(obj: Any, depth: int) -> Any:
        nonlocal payload_bytes
        if depth > limits.max_depth:
            raise WireError("the result is nested too deeply")
        kind = type(obj)
        if obj is None or kind in (bool, int, str):
            return obj
        if kind is float:
            return obj if math.isfinite(obj) else {"$float": repr(obj)}
        if kind is torch.Tensor:
            if len(tensors) >= limits.max_tensors:
                raise WireError("the result holds too many tensors")
            tensors.append(_tensor_header(obj))
            if obj.device.type != "meta":  # sized before any byte is copied: a 2 GB output is refused as it is
                payload_bytes += torch.Tensor.numel(obj) * torch.Tensor.element_size(obj)
                if payload_bytes > limits.max_payload_bytes:
                    raise WireError("the result is too large")
                sources.append(obj)
            return {"$tensor": len(tensors) - 1}
        if kind is tuple:
            return {"$tuple": [plain(x, depth + 1) for x in obj]}
        if kind is list:
            return [plain(x, depth + 1) for x in obj]
        if kind is dict:
            if not all(type(k) is str for k in obj):
                raise WireError("dict keys must be strings")
            return {"$dict": {k: plain(v, depth + 1) for k, v in obj.items()}}
        if isinstance(obj, torch.Tensor):
            raise WireError(f"returned a tensor subclass ({kind.__name__}); return a plain torch.Tensor")
        raise WireError(f"returned an object of type {kind.__name__}, which is not a tensor, number, string or container")

    header = json.dumps({"value": plain(value, 0), "tensors": tensors}).encode()
    if len(header) > limits.max_header_bytes:
        raise WireError("the result is too large")
    payload = b"".join(_tensor_bytes(t) for t in sources)
    if len(payload) != payload_bytes:  # numel and the bytes read disagree: refuse rather than send a frame that lies
        raise WireError("the result's tensors could not be read")
    return HEADER_LENGTH.pack(len(header)) + header + payload


# The header of a lone tensor, by dtype, shape and device: the same bytes as `encode` makes, made once.
_LONE_TENSOR_HEADERS: dict[tuple, bytes] = {}


def _encode_tensor(t: torch.Tensor, limits: Limits) -> bytes:
    key = (t.dtype, tuple(t.shape), t.device.type)
    header = _LONE_TENSOR_HEADERS.get(key)
    if header is None:
        header = json.dumps({"value": {"$tensor": 0}, "tensors": [_tensor_header(t)]}).encode()
        if len(_LONE_TENSOR_HEADERS) >= _HEADER_CACHE_ENTRIES:
            _LONE_TENSOR_HEADERS.clear()
        _LONE_TENSOR_HEADERS[key] = header
    if len(header) > limits.max_header_bytes:
        raise WireError("the result is too large")
    if t.device.type == "meta":
        return HEADER_LENGTH.pack(len(header)) + header
    size = torch.Tensor.numel(t) * torch.Tensor.element_size(t)
    if size > limits.max_payload_bytes:  # sized before any byte is copied
        raise WireError("the result is too large")
    payload = _tensor_bytes(t)
    if len(payload) != size:
        raise WireError("the result's tensors could not be read")
    return HEADER_LENGTH.pack(len(header)) + header + payload


def _tensor_header(t: torch.Tensor) -> dict:
    dtype = str(t.dtype).removeprefix("torch.")
    if dtype not in DTYPES:
        raise WireError(f"tensors of dtype {dtype} are not supported")
    return {"dtype": dtype, "shape": list(t.shape), "device": t.device.type}


def _tensor_bytes(t: torch.Tensor) -> bytes:
    if torch.Tensor.numel(t) == 0:  # reshape(-1) of an empty array from numpy keeps a stride that view() refuses
        return b""
    if torch.Tensor.is_cpu.__get__(t) and t.dtype in _NUMPY_DTYPES:
        try:  # its values in C order, as below, in one copy (most tensors that cross are small: the ops cost more than the bytes)
            return torch.Tensor.detach(t).numpy().tobytes()
        except RuntimeError:  # a conjugate or negative bit: torch's own path
            pass
    flat = torch.Tensor.detach(t).to("cpu").reshape(-1).contiguous()
    return flat.view(torch.uint8).numpy().tobytes()


def decode(frame: bytes, limits: Limits = Limits()) -> tuple[Any, list[str]]:
    """Rebuild a value from `frame`; return it with the device type each tensor came from.

    Whatever the frame holds, the only exception is `WireError`: a reply the grader cannot
    read fails the check it answers, never the grader.
    """
    try:
        return _decode(frame, limits)
    except WireError:
        raise
    except Exception as error:  # RecursionError, MemoryError, torch's RuntimeError...: still just an unreadable reply
        raise WireError(f"malformed frame ({type(error).__name__})") from None


def _decode(frame: bytes, limits: Limits) -> tuple[Any, list[str]]:
    if not isinstance(frame, (bytes, bytearray, memoryview)):
        raise WireError("malformed frame")
    if len(frame) < HEADER_LENGTH.size:
        raise WireError("truncated frame")
    (header_length,) = HEADER_LENGTH.unpack_from(frame)
    if header_length > limits.max_header_bytes or HEADER_LENGTH.size + header_length > len(frame):
        raise WireError("bad header length")
    text = bytes(frame[HEADER_LENGTH.size : HEADER_LENGTH.size + header_length])
    value, table = _header(text, limits)
    payload = memoryview(frame)[HEADER_LENGTH.size + header_length :]
    if len(payload) > limits.max_payload_bytes:
        raise WireError("payload too large")
    tensors, offset = [], 0
    for dtype, shape, nbytes, device in table:
        if device == "meta":
            tensors.append(torch.empty(shape, dtype=dtype, device="meta"))
            continue
        if nbytes > len(payload) - offset:
            raise WireError("payload shorter than the tensor table says")
        tensors.append(_tensor_from(bytearray(payload[offset : offset + nbytes]), dtype, shape))  # a copy: writable
        offset += nbytes
    if offset != len(payload):
        raise WireError("payload length does not match the tensor table")
    return _rebuild(value, tensors, 0, limits), [device for *_, device in table]


_NUMPY_OF = {d: torch.empty((), dtype=d).numpy().dtype for d in _NUMPY_DTYPES}


def _tensor_from(data: bytearray, dtype: torch.dtype, shape: list[int]) -> torch.Tensor:
    """A tensor over `data` (its own), through NumPy where it can view the dtype (a third of torch.frombuffer's cost)."""
    if not data:
        return torch.empty(0, dtype=dtype).reshape(shape)
    if dtype in _NUMPY_OF:
        return torch.from_numpy(np.frombuffer(data, dtype=_NUMPY_OF[dtype]).reshape(shape))
    return torch.frombuffer(data, dtype=dtype).reshape(shape)


# Headers read and validated so far, by their bytes: a process answers thousands of calls with a few dozen
# distinct ones (the same structure, shapes and dtypes). Short headers only, and a bounded number of them.
_HEADERS: dict[tuple[bytes, int, int], tuple[Any, tuple]] = {}
_HEADER_CACHE_BYTES, _HEADER_CACHE_ENTRIES = 1024, 4096


def _header(text: bytes, limits: Limits) -> tuple[Any, tuple[tuple[torch.dtype, list[int], int, str], ...]]:
    """The header's value skeleton and its tensor table (dtype, shape, bytes, device), validated."""
    key = (text, limits.max_tensors, limits.max_depth)  # what its validation depends on (a Limits hashes in Python)
    known = _HEADERS.get(key)
    if known is not None:
        return known
    if _nests_deeper(text, 2 * limits.max_depth + 8):  # {"value": ...} and two levels per tuple or dict, with room to spare
        raise WireError("value nested too deeply")
    try:
        header = json.loads(text)
        specs = header["tensors"]
        value = header["value"]
    except (ValueError, KeyError, TypeError) as error:
        raise WireError(f"malformed header: {error}") from None
    if not isinstance(specs, list) or len(specs) > limits.max_tensors:
        raise WireError("malformed tensor table")
    parsed = value, tuple(_table_entry(spec) for spec in specs)
    if len(text) <= _HEADER_CACHE_BYTES:
        if len(_HEADERS) >= _HEADER_CACHE_ENTRIES:
            _HEADERS.clear()
        _HEADERS[key] = parsed
    return parsed


def _table_entry(spec: Any) -> tuple[torch.dtype, list[int], int, str]:
    if not isinstance(spec, dict) or spec.get("dtype") not in DTYPES or spec.get("device") not in ("cpu", "cuda", "meta", "mps"):
        raise WireError("malformed tensor entry")
    shape = spec.get("shape")
    if not isinstance(shape, list) or len(shape) > 16 or not all(type(n) is int and 0 <= n < MAX_ELEMENTS for n in shape):
        raise WireError("malformed tensor shape")
    if math.prod(max(n, 1) for n in shape) >= MAX_ELEMENTS:  # for meta too: torch refuses, or overflows, past this
        raise WireError("tensor too large")
    dtype = DTYPES[spec["dtype"]]
    return dtype, shape, 0 if spec["device"] == "meta" else math.prod(shape) * ITEM_SIZES[dtype], spec["device"]


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(rb"[\[\]{}]")


def _nests_deeper(text: bytes, limit: int) -> bool:
    """Whether JSON `text` nests deeper than `limit`, found without parsing it (json.loads recurses once per level)."""
    if text.count(b"[") + text.count(b"{") <= limit:  # the common case: too few brackets to nest that deep
        return False
    depth = 0
    for bracket in _JSON_BRACKET.findall(_JSON_STRING.sub(b'""', text)):
        depth += 1 if bracket in (b"[", b"{") else -1
        if depth > limit:
            return True
    return False


def _rebuild(obj: Any, tensors: list[torch.Tensor], depth: int, limits: Limits) -> Any:
    if depth > limits.max_depth:
        raise WireError("value nested too deeply")
    if obj is None or type(obj) in (bool, int, float, str):
        return obj
    if type(obj) is list:
        return [_rebuild(x, tensors, depth + 1, limits) for x in obj]
    if type(obj) is dict and len(obj) == 1:
        (tag, inner), = obj.items()
        if tag == "$tensor" and type(inner) is int and 0 <= inner < len(tensors):
            return tensors[inner]
        if tag == "$float" and inner in ("nan", "inf", "-inf"):
            return float(inner)
        if tag == "$tuple" and type(inner) is list:
            return tuple(_rebuild(x, tensors, depth + 1, limits) for x in inner)
        if tag == "$dict" and type(inner) is dict:
            return {str(k): _rebuild(v, tensors, depth + 1, limits) for k, v in inner.items()}
    raise WireError("malformed value")

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
import struct
from dataclasses import dataclass
from typing import Any

import torch

DTYPES: dict[str, torch.dtype] = {
    str(d).removeprefix("torch."): d
    for d in (
        torch.float16, torch.bfloat16, torch.float32, torch.float64,
        torch.int8, torch.uint8, torch.int16, torch.int32, torch.int64, torch.bool,
    )
}
HEADER_LENGTH = struct.Struct(">I")


@dataclass(frozen=True)
class Limits:
    max_header_bytes: int = 1 << 20
    max_payload_bytes: int = 256 << 20
    max_tensors: int = 256
    max_depth: int = 8


class WireError(ValueError):
    """The value cannot cross the boundary; the message is meant for the student."""


def encode(value: Any, limits: Limits = Limits()) -> bytes:
    tensors: list[dict] = []
    blobs: list[bytes] = []

    def plain(obj: Any, depth: int) -> Any:
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
            blobs.append(b"" if obj.device.type == "meta" else _tensor_bytes(obj))
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
    payload = b"".join(blobs)
    if len(header) > limits.max_header_bytes or len(payload) > limits.max_payload_bytes:
        raise WireError("the result is too large")
    return HEADER_LENGTH.pack(len(header)) + header + payload


def _tensor_header(t: torch.Tensor) -> dict:
    dtype = str(t.dtype).removeprefix("torch.")
    if dtype not in DTYPES:
        raise WireError(f"tensors of dtype {dtype} are not supported")
    return {"dtype": dtype, "shape": list(t.shape), "device": t.device.type}


def _tensor_bytes(t: torch.Tensor) -> bytes:
    if t.numel() == 0:  # reshape(-1) of an empty array from numpy keeps a stride that view() refuses
        return b""
    flat = torch.Tensor.detach(t).to("cpu").reshape(-1).contiguous()
    return flat.view(torch.uint8).numpy().tobytes()


def decode(frame: bytes, limits: Limits = Limits()) -> tuple[Any, list[str]]:
    """Rebuild a value from `frame`; return it with the device type each tensor came from."""
    if len(frame) < HEADER_LENGTH.size:
        raise WireError("truncated frame")
    (header_length,) = HEADER_LENGTH.unpack_from(frame)
    if header_length > limits.max_header_bytes or HEADER_LENGTH.size + header_length > len(frame):
        raise WireError("bad header length")
    try:
        header = json.loads(frame[HEADER_LENGTH.size : HEADER_LENGTH.size + header_length])
        specs = header["tensors"]
        value = header["value"]
    except (ValueError, KeyError, TypeError) as error:
        raise WireError(f"malformed header: {error}") from None
    if not isinstance(specs, list) or len(specs) > limits.max_tensors:
        raise WireError("malformed tensor table")
    payload = memoryview(frame)[HEADER_LENGTH.size + header_length :]
    if len(payload) > limits.max_payload_bytes:
        raise WireError("payload too large")
    tensors, devices, offset = [], [], 0
    for spec in specs:
        tensor, used = _rebuild_tensor(spec, payload[offset:])
        tensors.append(tensor)
        devices.append(spec["device"])
        offset += used
    if offset != len(payload):
        raise WireError("payload length does not match the tensor table")
    return _rebuild(value, tensors, 0, limits), devices


def _rebuild_tensor(spec: Any, payload: memoryview) -> tuple[torch.Tensor, int]:
    if not isinstance(spec, dict) or spec.get("dtype") not in DTYPES or spec.get("device") not in ("cpu", "cuda", "meta", "mps"):
        raise WireError("malformed tensor entry")
    shape = spec.get("shape")
    if not isinstance(shape, list) or len(shape) > 16 or not all(type(n) is int and 0 <= n < 2**40 for n in shape):
        raise WireError("malformed tensor shape")
    dtype = DTYPES[spec["dtype"]]
    if spec["device"] == "meta":
        return torch.empty(shape, dtype=dtype, device="meta"), 0
    nbytes = math.prod(shape) * torch.empty((), dtype=dtype).element_size()
    if nbytes > len(payload):
        raise WireError("payload shorter than the tensor table says")
    data = torch.frombuffer(bytearray(payload[:nbytes]), dtype=torch.uint8) if nbytes else torch.empty(0, dtype=torch.uint8)
    return data.view(dtype).reshape(shape), nbytes


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

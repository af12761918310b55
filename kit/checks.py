"""Checks that every graded function gets, generated from its `Function` record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from kit.calls import tree_map, tree_tensors
from kit.harness import Trial
from kit.spec import Check


def matches(reference: Callable, label: str) -> Check:
    def verify(t: Trial) -> None:
        t.assert_close(t.output, t.expected(reference))

    return Check(f"matches {label}", verify, hint=f"compare your result with {label} on the input shown")


def agrees_with_solution(solution: Callable) -> Check:
    def verify(t: Trial) -> None:
        t.assert_close(t.output, t.expected(solution))

    return Check("agrees with the reference solution", verify, hidden=True)


def leaves_inputs_unchanged() -> Check:
    def verify(t: Trial) -> None:
        after = t.outcome().inputs_after
        pairs = [(f"argument {i + 1}", b, a) for i, (b, a) in enumerate(zip(t.call.args, after.args, strict=True))]
        pairs += [(f"argument {k!r}", v, after.kwargs[k]) for k, v in t.call.kwargs.items()]
        for label, before, now in pairs:
            if (where := first_difference(before, now, label)) is not None:
                raise AssertionError(f"{where} was modified in place")

    return Check(
        "leaves its inputs unchanged",
        verify,
        hint="use out-of-place ops (x = x - m, not x -= m or x.sub_(m)) and return new tensors",
        gated=True,
    )


def first_difference(before: Any, after: Any, path: str = "") -> str | None:
    """Where `after` differs from `before` (exactly, NaN equal to NaN), or None."""
    if isinstance(before, torch.Tensor):
        same = type(after) is torch.Tensor and after.shape == before.shape and after.dtype == before.dtype
        return None if same and torch.equal(before.nan_to_num(), after.nan_to_num()) else path or "tensor"
    if isinstance(before, (tuple, list)):
        if not isinstance(after, (tuple, list)) or len(after) != len(before):
            return path or "list"
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            if (found := first_difference(b, a, f"{path}[{i}]")) is not None:
                return found
        return None
    if isinstance(before, dict):
        if not isinstance(after, dict) or set(after) != set(before):
            return f"{path} (its keys)" if path else "dict (its keys)"
        for key in before:
            if (found := first_difference(before[key], after[key], f"{path}[{key!r}]")) is not None:
                return found
        return None
    return None if before == after or (before != before and after != after) else path or repr(before)


def on_meta(value: Any) -> Any:
    """`value` with every tensor moved to `meta`: compared against it, only structure, shapes and dtypes count."""
    return tree_map(lambda x: x.to("meta"), value)


def device_agnostic() -> Check:
    """On the `meta` device any tensor made on a fixed device (e.g. the CPU) cannot mix in."""

    def verify(t: Trial) -> None:  # shapes and dtypes only: the CPU's output moved to meta (kit.harness.assert_close)
        t.assert_close(t.run(device="meta"), on_meta(t.run(device="cpu")), "output on the meta device")

    return Check(
        "works on any device",
        verify,
        hint="create new tensors on the input's device and dtype (torch.zeros_like, device=X.device)",
        dtypes=(torch.float32,),
        examples=5,
        gated=True,
    )


def same_on_cuda() -> Check:
    def verify(t: Trial) -> None:
        t.assert_close(t.run(device="cuda"), t.run(device="cpu"), "output on CUDA")

    return Check("gives the CPU result on CUDA", verify, device="cuda", hint="avoid device-specific code paths", gated=True)


def runs_on_cuda() -> Check:
    """For random functions, whose CPU and CUDA draws differ: shapes, dtypes and finiteness."""

    def verify(t: Trial) -> None:
        for tensor in tree_tensors(t.run()):
            if tensor.dtype.is_floating_point and not torch.isfinite(tensor).all():
                raise AssertionError("non-finite values on CUDA")
        t.assert_close(t.run(), on_meta(t.run(device="cpu")), "output on CUDA")

    return Check("runs on CUDA", verify, device="cuda", examples=5, gated=True)

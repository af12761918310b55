"""A graded function's arguments as a value: cloned, moved between devices, printed short.

Inputs are always drawn on the CPU; runners move a `Call` to the device under test.

Arguments that are not plain data, a `torch.Generator` or a decoder's `step` function, cannot
cross kit.wire into the sandbox. They travel as a dict of plain data marked with ARGUMENT
(`generator(seed)`, `kit.steps.lookup_step(...)`) and are made only where the call runs
(`Call.__call__`, for the student's function and the reference alike), afresh for every call:
a generator drawn from in one call starts from its seed again in the next.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import torch

from kit import wire


def tree_map(fn: Callable[[torch.Tensor], Any], obj: Any) -> Any:
    """Apply `fn` to every tensor inside nested lists, tuples and dicts."""
    if isinstance(obj, torch.Tensor):
        return fn(obj)
    if isinstance(obj, tuple):
        return tuple(tree_map(fn, x) for x in obj)
    if isinstance(obj, list):
        return [tree_map(fn, x) for x in obj]
    if isinstance(obj, dict):
        return {k: tree_map(fn, v) for k, v in obj.items()}
    return obj


_PLAIN = (str, int, float, bool, type(None))  # keyword values a variant of a call is kept for (Call.replace)

ARGUMENT = "kit.argument"  # the key of a dict that stands for an object made where the call runs


def generator(seed: int) -> dict:
    """A CPU `torch.Generator` seeded with `seed` (the curriculum's `generator=` argument of random functions)."""
    return {ARGUMENT: "generator", "seed": seed}


def _make_generator(spec: dict) -> torch.Generator:
    return torch.Generator().manual_seed(spec["seed"])


def _make_lookup_step(spec: dict) -> Callable:
    from kit.steps import LookupStep

    return LookupStep.from_spec(spec)


MAKERS: dict[str, Callable[[dict], Any]] = {"generator": _make_generator, "lookup_step": _make_lookup_step}
RENDERERS: dict[str, Callable[[dict], str]] = {
    "generator": lambda spec: f"torch.Generator().manual_seed({spec['seed']})",
    "lookup_step": lambda spec: "LookupStep(" + ", ".join(f"{k}={v!r}" for k, v in spec.items() if k != ARGUMENT) + ")",
}


def is_argument(obj: Any) -> bool:
    return type(obj) is dict and obj.get(ARGUMENT) in MAKERS


def live(obj: Any) -> Any:
    """`obj` with every marked dict made into its object (a generator, a step function).

    Containers without one are `obj`'s own, not copies: the function gets the very lists and
    dicts the call holds, so a change it makes to them in place is seen ("leaves its inputs
    unchanged").
    """
    if is_argument(obj):
        return MAKERS[obj[ARGUMENT]](obj)
    if not _holds_argument(obj):
        return obj
    if isinstance(obj, tuple):
        return tuple(live(x) for x in obj)
    if isinstance(obj, list):
        return [live(x) for x in obj]
    return {k: live(v) for k, v in obj.items()}


def _holds_argument(obj: Any) -> bool:
    if is_argument(obj):
        return True
    if isinstance(obj, (tuple, list)):
        return any(_holds_argument(x) for x in obj)
    if isinstance(obj, dict):
        return any(_holds_argument(v) for v in obj.values())
    return False


def tree_tensors(obj: Any) -> list[torch.Tensor]:
    found: list[torch.Tensor] = []
    tree_map(found.append, obj)
    return found


def kind_of(obj: Any) -> Any:
    """What an argument is as far as the code paths of a function go: flags and modes (bool, str, None) by
    value, numbers by type, tensors by rank and dtype, containers by the kinds of what they hold."""
    if isinstance(obj, torch.Tensor):
        return ("tensor", obj.dim(), obj.dtype)
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, float)):
        return ("number", type(obj).__name__)
    if is_argument(obj):
        return (ARGUMENT, obj[ARGUMENT])
    if isinstance(obj, (tuple, list)):
        return (type(obj).__name__, tuple(kind_of(x) for x in obj))
    if isinstance(obj, dict):
        return ("dict", tuple((k, kind_of(v)) for k, v in obj.items()))
    return type(obj).__name__


def short_repr(obj: Any, max_elements: int = 12) -> str:
    """A repr small enough for feedback: full values for tiny tensors, a summary otherwise."""
    if is_argument(obj):
        return RENDERERS[obj[ARGUMENT]](obj)
    if isinstance(obj, torch.Tensor):
        dtype = str(obj.dtype).removeprefix("torch.")
        if obj.device.type == "meta" or obj.numel() > max_elements:
            return f"tensor(shape={tuple(obj.shape)}, dtype={dtype})"
        values = repr(obj.detach().cpu().tolist())
        return f"tensor({values}, dtype={dtype})"
    if isinstance(obj, tuple):
        inner = ", ".join(short_repr(x, max_elements) for x in obj)
        return f"({inner}{',' if len(obj) == 1 else ''})"
    if isinstance(obj, list):
        return "[" + ", ".join(short_repr(x, max_elements) for x in obj) + "]"
    if isinstance(obj, dict):
        return "{" + ", ".join(f"{k!r}: {short_repr(v, max_elements)}" for k, v in obj.items()) + "}"
    return repr(obj)


@dataclass(frozen=True)
class Call:
    """Positional and keyword arguments for one call of a graded function.

    Required arguments are positional so that a student who renames `X` to `x` is not
    penalised; optional ones are passed by their curriculum names.
    """

    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    seed: int = 0  # torch's global generator is seeded with it before the call
    extra: dict = field(default_factory=dict)  # data for the check only, never passed
    # a file whose bytes the runner returns after the call (Outcome.file): where the student's
    # code runs in a sandbox, its files are not visible to the check
    read_back: str | None = None

    def __call__(self, fn: Callable) -> Any:
        return fn(*live(self.args), **live(self.kwargs))

    def map(self, fn: Callable[[torch.Tensor], Any]) -> Call:
        return Call(tree_map(fn, self.args), tree_map(fn, self.kwargs), self.seed, self.extra, self.read_back)

    def clone(self) -> Call:
        return self.map(lambda t: t.detach().clone())

    def to(self, device: str | torch.device) -> Call:
        return self.map(lambda t: t.to(device))

    def replace(self, *args: Any, **kwargs: Any) -> Call:
        """The same call with other positional arguments and extra keyword arguments.

        A drawn example's variant with other plain keyword values (`reduction='sum'`) is made once and
        kept with the example: checks ask for it in every submission, and its frame is then encoded once.
        """
        if args or not all(type(v) in _PLAIN and v == v for v in kwargs.values()):  # NaN is no key
            return Call(args or self.args, {**self.kwargs, **kwargs}, self.seed, self.extra, self.read_back)
        key = tuple((k, type(v), v) for k, v in kwargs.items())  # the type too: True, 1 and 1.0 are equal keys
        variant = self._variants.get(key)
        if variant is None:
            variant = self._variants[key] = Call(self.args, {**self.kwargs, **kwargs}, self.seed, self.extra, self.read_back)
        return variant

    @cached_property
    def _variants(self) -> dict[tuple, Call]:
        return {}

    def tensors(self) -> list[torch.Tensor]:
        return self._tensors

    @cached_property
    def _tensors(self) -> list[torch.Tensor]:  # asked for at every call of a drawn example, in every submission
        return tree_tensors((self.args, self.kwargs))

    @cached_property
    def kind(self) -> Any:
        """`kind_of` its arguments: two calls of one kind take the same branches of most functions."""
        return kind_of((self.args, self.kwargs, self.read_back is not None))

    @cached_property
    def frame(self) -> bytes:
        """The arguments as kit.wire frames them, made once: a drawn example goes to every student's process."""
        return wire.encode((self.args, self.kwargs))

    def render(self, function: str, max_elements: int = 12) -> str:
        """The call as feedback shows it; tensors of more than `max_elements` values by their shape only."""
        parts = [short_repr(a, max_elements) for a in self.args]
        parts += [f"{k}={short_repr(v, max_elements)}" for k, v in self.kwargs.items()]
        return f"{function}({', '.join(parts)})"

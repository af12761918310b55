"""Forbidden routines, decided by what a graded call ran (kit.dispatch), not by how its source spells them.

The table `forbidden_ops.json` beside this file says, per assignment, which aten ops are
the kernels of the routines that assignment forbids. It is measured, not hand-typed (but
for `BACKENDS`): `python -m kit.forbidden` runs each forbidden routine (the assignment's
`forbidden` names that are callables) on inputs drawn from every assignment's records,
records the ops it dispatches, and keeps those that are the routine's own work: not an
elementary building block (below), not a view, not an op the reference solution itself
runs, and, where the routine runs several ops, not a pointwise one (`torch.optim.Adam`'s
`lerp_` is elementary; `torch.relu`'s lone `relu` is the routine). A recorded op is
forbidden when its name, leading underscores aside, contains a forbidden op's name: the
private `aten::_native_batch_norm_legit` is `native_batch_norm` too. `--check` fails when
the stored table is stale (the kit's tests run it). Which calls are recorded at all:
`needs_record` and `records`.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import sys
import types
from collections.abc import Callable
from functools import cache, lru_cache
from pathlib import Path

import torch

from kit.dispatch import OpRecorder, tripwire_plan

TABLE = Path(__file__).with_name("forbidden_ops.json")

# The curriculum's "elementary tensor ops (exp, max, matmul, sum, ...) are fine": matrix
# products, creation, copies and casts, reductions, indexing and joining, random draws.
# A forbidden routine that runs one of these is not caught by it (its own kernel is).
ELEMENTARY = frozenset(f"aten::{name}" for name in """
    mm bmm matmul addmm addmv addbmm baddbmm mv dot vdot outer
    _to_copy copy_ clone detach alias contiguous empty empty_strided empty_like new_empty new_empty_strided
    zeros zeros_like new_zeros ones ones_like new_ones full full_like new_full fill_ zero_ arange linspace
    lift_fresh lift_fresh_copy scalar_tensor _local_scalar_dense _unsafe_view _reshape_alias resize_ set_
    sum mean prod amax amin max min aminmax argmax argmin cumsum cumprod var std var_mean std_mean
    linalg_vector_norm norm count_nonzero any all
    split split_with_sizes unsafe_split unsafe_split_with_sizes chunk unsafe_chunk unbind
    cat stack gather scatter scatter_add scatter_reduce index index_put index_put_ index_select index_add
    masked_fill masked_fill_ masked_select masked_scatter where nonzero constant_pad_nd split_with_sizes
    flip roll repeat tril triu sort topk kthvalue randperm bernoulli bernoulli_ rand rand_like randn
    randn_like randint randint_like uniform_ normal_ exponential_ multinomial one_hot eq ne lt le gt ge
""".split())


# Backends that one measured kernel picks below the dispatch mode, so no routine's record shows
# them, yet a student can call them by their private names (torch._C._nn.thnn_conv2d): named
# here, the one hand-written part of the table.
BACKENDS = {
    "aten::convolution": ("aten::_slow_conv2d_forward", "aten::slow_conv_dilated2d", "aten::slow_conv3d_forward", "aten::mkldnn_convolution"),
}


@lru_cache(maxsize=4096)  # bounded: the names come from the untrusted child too
def stem(op: str) -> str:
    """'aten::_native_batch_norm_legit' -> 'native_batch_norm_legit'."""
    return op.split("::", 1)[-1].lstrip("_")


@cache
def _overload(op: str):
    namespace, _, name = op.partition("::")
    try:
        packet = getattr(getattr(torch.ops, namespace), name)
        names = [n for n in packet.overloads() if "out" not in n]  # out= variants carry fewer tags
        return getattr(packet, next((n for n in ("Tensor", "default") if n in names), names[0]))  # mul.default takes Python numbers
    except (AttributeError, IndexError, RuntimeError):
        return None


def is_view(op: str) -> bool:
    overload = _overload(op)
    if overload is None or torch.Tag.inplace in overload.tags or op.endswith("_"):
        return False
    returns = overload._schema.returns
    return bool(returns) and returns[0].alias_info is not None


def is_pointwise(op: str) -> bool:
    overload = _overload(op)
    return overload is not None and torch.Tag.pointwise in overload.tags


def matches(recorded: str, forbidden: str) -> bool:
    return stem(forbidden) in stem(recorded)


def ops_of(fn: Callable, call, autograd: bool = True) -> set[str] | None:
    """The aten ops `call(fn)` dispatches, or None when it raises."""
    local = call.clone()
    recorder = OpRecorder()
    try:
        if autograd:
            with recorder:
                local(fn)
        else:
            with torch.inference_mode(), recorder:
                local(fn)
    except Exception:
        return None
    return {op for op in recorder.ops if op.startswith("aten::")}


def _resolve(dotted: str) -> object | None:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            value = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for part in parts[cut:]:
                value = getattr(value, part)
        except AttributeError:
            return None
        return value
    return None


def forbidden_callables(names: tuple[str, ...]) -> dict[str, Callable]:
    """The forbidden names that are plain routines (modules and classes are left to the static check)."""
    found = {}
    for name in names:
        value = _resolve(name)
        if callable(value) and not inspect.isclass(value) and not isinstance(value, types.ModuleType):
            found[name] = value
    return found


def _attempts(call):
    """Ways to hand a graded function's arguments to a routine of another signature."""
    yield call
    yield call.replace(*call.args) if not call.kwargs else type(call)(call.args)
    if call.args:
        yield type(call)(call.args[:1], call.kwargs)
        yield type(call)(call.args[:1])


def kernels(fn: Callable, calls: list) -> set[str]:
    """The ops that are `fn`'s own work, over every call it accepts: its one op, or its ops that are not pointwise."""
    work: set[str] = set()
    for call in calls:
        for attempt in _attempts(call):
            ops = ops_of(fn, attempt)
            if ops is not None:
                work |= {op for op in ops if op not in ELEMENTARY and not is_view(op)}
                break
    return work if len(work) == 1 else {op for op in work if not is_pointwise(op)}


def measure(
    assignments: list, solutions: dict[str, types.ModuleType], draws: int = 8, only: set[str] | None = None,
) -> dict[str, dict[str, str]]:
    """{assignment id: {forbidden op: the routine it was measured from}}, of the assignments in `only` (default: all).

    `draws` inputs per graded function, all of them offered to every routine: a routine can
    take another kernel for some inputs (F.scaled_dot_product_attention's flash kernel for
    about one in ten of 08's), so a few are not enough.
    """
    from kit.harness import DIRECT, draw_examples

    drawn = {}
    for a in assignments:
        for f in a.functions:
            dtype = torch.float32 if torch.float32 in f.dtypes else f.dtypes[0]
            drawn[(a.id, f.name)] = draw_examples(DIRECT, f, dtype, draws, seed=0)  # the function's own inputs
    everything = [call for calls in drawn.values() for call in calls]
    table = {}
    for a in [a for a in assignments if only is None or a.id in only]:  # every routine meets every assignment's inputs
        solution = solutions[a.id]
        allowed = set()
        for f in a.functions:
            for call in drawn[(a.id, f.name)]:
                allowed |= ops_of(getattr(solution, f.name), call, f.autograd) or set()
        found: dict[str, str] = {}
        for name, fn in forbidden_callables(a.forbidden).items():
            for op in sorted(kernels(fn, everything) - allowed):
                found.setdefault(op, name)
                for backend in BACKENDS.get(op, ()):
                    found.setdefault(backend, name)
        table[a.id] = dict(sorted(found.items()))
    return table


@cache
def stored() -> dict[str, dict[str, str]]:
    try:
        return json.loads(TABLE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def judged(assignment):
    """`assignment` with every function's `forbidden_ops` from the stored table: its calls' records are then judged."""
    from dataclasses import replace

    ops = stored().get(assignment.id, {})
    return replace(assignment, functions=tuple(replace(f, forbidden_ops=ops) for f in assignment.functions))


def needs_record(function) -> bool:
    """Whether a function's calls are recorded and judged: where its table names a kernel, or it must not use autograd.

    Elsewhere the record could catch nothing (01's and 09's routines, torch.optim and torch.nn,
    lower to the same elementary ops as code written by hand; their fused kernels have private
    names the static check refuses), and where the op recorder is the record (the students'
    pytest, the efficiency check) it costs about 1.7 us per op.
    """
    return function.forbidden_ops is not None and (bool(function.forbidden_ops) or not function.autograd)


def tripwires_for(assignment) -> list[tuple[str, str]]:
    """The kernels the sandboxed child replaces for `assignment` (kit.dispatch.Tripwires): every judged function's table."""
    return list(_plan(frozenset(stem(op) for f in assignment.functions if needs_record(f) for op in f.forbidden_ops)))


@cache
def _plan(banned: frozenset[str]) -> tuple[tuple[str, str], ...]:
    return tuple(tripwire_plan(banned)) if banned else ()


def records(function, check) -> bool:
    """Whether the calls of `check` on `function` are recorded and judged (`Check.recorded`, `needs_record`)."""
    return needs_record(function) and (check.recorded if check.recorded is not None else not check.gated)


def violation(record: object, forbidden: dict[str, str], autograd: bool) -> str | None:
    """Why this call's record breaks the rules, or None. A missing or malformed record breaks them."""
    if not isinstance(record, dict) or not isinstance(record.get("ops"), list) or record.get("intact") is not True:
        return "its record of what it ran is missing or broken (the kit's recorder was removed or tampered with)"
    ops = [op for op in record["ops"] if isinstance(op, str)]
    if not autograd and record.get("left_inference_mode") is not False:
        return "it left inference mode to use autograd, which this function must do without"
    banned = _stems(forbidden)
    for op in ops:
        recorded = stem(op)
        for banned_stem, routine in banned:
            if banned_stem in recorded:  # matches(op, banned), with the stems made once
                return f"it ran {op}, the kernel of {routine}, which this assignment asks you to implement yourself"
    return None


_STEMS: dict[int, tuple[dict, list[tuple[str, str]]]] = {}


def _stems(forbidden: dict[str, str]) -> list[tuple[str, str]]:
    """(stem, routine) of each forbidden op, made once per table (every recorded call is judged against it)."""
    entry = _STEMS.get(id(forbidden))
    if entry is None or entry[0] is not forbidden:
        entry = _STEMS[id(forbidden)] = (forbidden, [(stem(op), routine) for op, routine in forbidden.items()])
    return entry[1]


def main(argv: list[str] | None = None) -> int:
    from kit.catalog import SOLUTIONS, assignment_ids, load_assignment, load_module

    parser = argparse.ArgumentParser(prog="python -m kit.forbidden", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when forbidden_ops.json is stale")
    parser.add_argument("--only", help="with --check: these assignments' rows only (01,02), so that processes can share the work")
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    assignments = [load_assignment(i) for i in assignment_ids()]
    solutions = {a.id: load_module(SOLUTIONS / f"{a.module}.py", f"kit_forbidden_solution_{a.id}") for a in assignments}
    if args.check and args.only:
        only = set(args.only.split(","))
        fresh = measure(assignments, solutions, only=only)
        if {i: stored().get(i) for i in only} != fresh:
            print(f"{TABLE.name} is stale for {', '.join(sorted(i for i in only if stored().get(i) != fresh.get(i)))}: run python -m kit.forbidden")
            return 1
        return 0
    text = json.dumps(measure(assignments, solutions), indent=1, sort_keys=True) + "\n"
    if args.check:
        if not TABLE.is_file() or TABLE.read_text(encoding="utf-8") != text:
            print(f"{TABLE.name} is stale: run python -m kit.forbidden")
            return 1
        return 0
    TABLE.write_text(text, encoding="utf-8")
    print(f"wrote {TABLE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

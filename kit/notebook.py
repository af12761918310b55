"""Public checks for a function defined in a notebook, where `pytest assignments/NN` cannot reach.

An nbgrader notebook has a test cell after each graded function:

    from kit.notebook import check
    check("02", "softmax", softmax)

It runs that function's public checks (the ones `pytest assignments/02` runs, same
examples) in this process, prints one line per check and raises `AssertionError` when any
fails, with the smallest failing input and the hint, so nbgrader marks the cell failed.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import torch

from kit import scoring
from kit.catalog import load_assignment
from kit.feedback import PUBLIC_ONLY, failure_block
from kit.harness import CheckFailed, InProcessRunner, run_check
from kit.spec import Check, Function

DEFAULT_EXAMPLES = 20  # as the students' pytest plugin


def as_module(name: str, **functions: Callable) -> ModuleType:
    """A stand-in for the student's module holding the notebook's functions, for the runners."""
    module = ModuleType(name)
    for function_name, fn in functions.items():
        setattr(module, function_name, fn)
    cells = {getattr(getattr(fn, "__code__", None), "co_filename", None) for fn in functions.values()}
    if len(cells) == 1 and None not in cells:  # the cell's file: a stub's own `raise NotImplementedError` is "not started"
        module.__file__ = cells.pop()
    return module


def public_checks(function: Function) -> list[Check]:
    """The function's public checks that can run here (CUDA ones only with a CUDA device)."""
    cuda = torch.cuda.is_available()
    return [c for c in function.checks_for() if not c.hidden and (c.device != "cuda" or cuda)]


# Set by the hidden part of a test cell at `nbgrader autograde` (autograder.release.notebook): `check`
# then returns the cell's points under the grader's own checks and scoring rule, for nbgrader's partial credit.
graded: Callable[..., float] | None = None


def check(assignment_id: str, function_name: str, fn: Callable, *, examples: int = DEFAULT_EXAMPLES) -> float | None:
    """Run `function_name`'s public checks on `fn`; raise AssertionError listing what failed."""
    if graded is not None:
        return graded(assignment_id, function_name, fn, hidden=False)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    assignment = load_assignment(assignment_id)
    function = assignment.function(function_name)
    if not callable(fn):
        raise AssertionError(f"{function_name} is not a function (got {type(fn).__name__})")
    runner = InProcessRunner(as_module(assignment.module, **{function_name: fn}))
    checks = public_checks(function)
    failures: list[tuple[torch.dtype, CheckFailed]] = []
    for one in checks:
        for dtype in one.dtypes or function.dtypes:
            try:
                run_check(one, function, runner, dtype, examples=examples)
            except CheckFailed as error:
                failures.append((dtype, error))
                break
        if failures and failures[0][1].not_started:
            break  # every other check would say the same
    failed = len(checks) if failures and failures[0][1].not_started else len(failures)
    print(f"{function_name}: {len(checks) - failed}/{len(checks)} public checks passed")
    if failures and failed < len(checks) and any(c.gated for c in checks):
        print(f"  {scoring.GATED_NOTE} (inputs unchanged, any device, ...)")
    if failures:
        raise AssertionError("\n".join([*failure_block(function_name, failures), PUBLIC_ONLY]))

"""Declarative exercise records, in the spirit of PyTorch's OpInfo.

One `Function` record per graded function says how to draw its inputs, what PyTorch routine
it must agree with, its tolerance per dtype, its points and its properties. Public pytest
tests, hidden grading tests, the autograder and the notebooks are all generated from these
records, so adding an exercise is mostly data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import torch
from hypothesis import strategies as st

from kit.calls import Call
from kit.strategies import FLOAT_DTYPES

if TYPE_CHECKING:
    from kit.harness import Trial

Inputs = Callable[[torch.dtype], st.SearchStrategy[Call]]


@dataclass(frozen=True)
class Tolerance:
    """|actual - expected| <= atol + ulps * (eps * max|X| + eps * max|E|) + rtol * |expected|, elementwise.

    `eps * max|X|` is one machine epsilon (torch.finfo(dtype).eps) of the largest finite |value|
    among the call's floating-point input tensors (`Trial.assert_close`). A backward-stable
    formulation returns f(X + dX) with |dX| <= k * eps * |X| for a small k, so its error is
    absolute, at the scale of the inputs, not of the output: X - (m + log(sum(exp(X - m))))
    at X = [512, 512] rounds m + log 2 to the float32 grid at 512 (ulp 6.1e-5) and is off
    by 2.9e-5 = 0.48 eps * 512 from -log 2, far outside rtol * |-log 2| = 7e-6. rtol and atol
    alone would grade the rounding of one textbook formula against another's.

    `eps * max|E|`, per compared tensor E of the expected value, is the same for what the
    function builds in between: a sum (a matrix product, a convolution, a layer after a batch
    norm that scales by 1/sqrt(1e-3)) computed in another order errs at the scale of its
    largest terms, not of its result. An entry that is small by cancellation carries it: the
    capstone's forward with einsum per kernel offset gives -1.73625 for -1.73589 (3.7e-4 off)
    in logits whose largest is 5156 (0.6 eps * 5156), while its inputs are at most 10.
    """

    rtol: float
    atol: float
    # eps * max|X| per unit. 4: a formulation's own error is about 0.5 eps max|X| per rounding
    # of a value at the inputs' scale (m + log(sum), X - m); the functions graded here amplify
    # an input perturbation by at most about 2 (log_softmax's Jacobian I - 1 p^T has row sums
    # of |.| below 2, softmax's below 1/2, normalisation and attention about 1); and both the
    # student's and the reference's outputs carry such an error. 0.5 * 2 * 2 = 2, doubled for
    # the two or three roundings at that scale on a path: 4. Mistakes the checks look for
    # (a wrong dim, a missing term, the max not subtracted) are errors of order 1, or of
    # order max|X|, far above 4 eps max|X| (5e-6 for float32 logits of 10, 5e-3 for 1e4).
    ulps: float = 4.0


# torch.testing.assert_close's defaults, loosened a little for float32 reductions; each plus
# `ulps` epsilons of the inputs' largest magnitude (see Tolerance).
DEFAULT_TOLERANCE = {
    torch.float16: Tolerance(1e-3, 1e-3),
    torch.bfloat16: Tolerance(1.6e-2, 1e-3),
    torch.float32: Tolerance(1e-5, 1e-6),
    torch.float64: Tolerance(1e-7, 1e-9),
}


# In the message of every failure for a nan/inf where a finite value is expected (kit.harness):
# `Check(hint_when=NON_FINITE)` gives a hint about overflow, 0/0 or log(0) for those alone.
NON_FINITE = "non-finite"


@dataclass(frozen=True)
class Check:
    """One graded property: drawn inputs in, an `AssertionError` out when it does not hold."""

    name: str
    verify: Callable[[Trial], None]
    hint: str = ""
    inputs: Inputs | None = None  # None: the function's own inputs
    device: str = "cpu"  # "cpu", "meta" or "cuda"
    dtypes: tuple[torch.dtype, ...] | None = None  # None: the function's dtypes
    examples: int | None = None  # None: the run's default
    # True: the grader reads the first and the largest example of each kind in the set (kit.harness.varied:
    # flags, modes, ranks) rather than `examples` of them, for a check whose verdict turns on the code path a call
    # takes, not on its values (the device check, whose calls on `meta` cost 0.4-0.6 ms each, 10-20 us on the CPU)
    varied: bool = False
    weight: float = 1.0
    hidden: bool = False  # hidden checks report pass/fail only, never their inputs
    # True for a property that code doing nothing can satisfy (inputs unchanged, any device,
    # an invariance, "is 0 when ..."): it pays only as far as the function is correct (kit.scoring)
    gated: bool = False
    # The failures `hint` explains, where the check can fail in other ways too: a piece of the
    # failure message (NON_FINITE for a nan/inf where a finite value is expected). Any other
    # failure gets no hint: "subtract the max" is wrong advice for a value off by a rounding,
    # or for an exception. "" (default): the hint fits every failure.
    hint_when: str = ""
    # Whether its calls are recorded and judged for forbidden routines (kit.forbidden.records):
    # None, unless it is gated. A gated check pays only through the correctness checks, whose
    # calls are judged, so a forbidden routine in its calls buys nothing; a check where it would
    # (the efficiency check: a fast forbidden routine on large inputs alone) says True.
    recorded: bool | None = None
    # Whether its calls run under the op recorder (kit.dispatch.OpRecorder) wherever they run,
    # the sandbox's included (which otherwise uses free tripwires): the efficiency check, whose
    # two sides then both pay the recorder's cost per op (about 1.7 us), which is what sets a
    # loop over the batch (thousands of ops) apart from vectorised code (tens).
    metered: bool = False
    # True: its verify only reads the outputs it is served (kit.checks' comparisons), so it is handed the
    # outcomes shared between checks as they are; other checks get copies, which they may change
    reads_only: bool = False

    def hint_for(self, message: str) -> str:
        """The hint to show with this failure message ("" for none)."""
        if self.hint_when and self.hint_when not in message:
            return ""
        return self.hint


def replace_inputs(check: Check, inputs: Inputs, label: str) -> Check:
    """The same check on other inputs, named after them: 'agrees ... (on extreme logits)'."""
    return replace(check, inputs=inputs, name=f"{check.name} (on {label})")


@dataclass(frozen=True)
class Efficiency:
    """How fast a vectorisable function must be: the generic check `kit.checks.efficient`.

    On one large input drawn from `inputs` (float32; sized so that the reference takes about
    a millisecond and a Python loop over the batch tens of milliseconds or more), the
    student's call, timed by the trusted side (the grader around the sandbox's round trip,
    the students' pytest around the call), must take at most `factor` times the time of the
    reference solution on its own copy of the same input in the same run, plus an allowance
    for the sandbox's round trip (kit.checks.ROUND_TRIP_*). Both are the minimum of a few
    runs. The students' own pytest has no solution: it times `reference` (default: the
    function's own `reference`, PyTorch's routine) and skips the check where neither exists,
    or where `public` is False (a reference too slow to time against, like a formula
    evaluated one element at a time).
    """

    inputs: Inputs
    factor: float = 20.0
    why: str = ""  # the factor's justification, one line: what honest code may cost more, and what a loop costs
    reference: Callable | None = None  # the public baseline of the students' runs (None: Function.reference)
    public: bool = True  # False: only the grader runs the check, against the solution
    # the likely cause of a slow call, in the failure message: "at least 300x slower than a vectorised version: <hint>"
    hint: str = "a Python loop over the batch? Use whole-tensor operations"

    def baseline(self, function: Function, solution: Callable | None) -> Callable | None:
        """What the check times against: the solution in the grader, else the public reference (or nothing)."""
        if solution is not None:
            return solution
        return (self.reference or function.reference) if self.public else None


@dataclass(frozen=True)
class Function:
    """A graded function: how to call it, what it must agree with, what it is worth."""

    name: str
    inputs: Inputs
    points: float
    reference: Callable | None = None  # PyTorch's equivalent, public
    reference_name: str = ""
    checks: tuple[Check, ...] = ()
    dtypes: tuple[torch.dtype, ...] = FLOAT_DTYPES
    tolerance: dict[torch.dtype, Tolerance] = field(default_factory=dict)
    deterministic: bool = True  # False for functions that draw random numbers
    meta: bool = True  # whether the function can run on the `meta` device
    autograd: bool = True  # False: called under torch.inference_mode(), so autograd cannot be used
    hint: str = ""
    max_examples: int | None = None  # caps the examples of every check (generic ones included): for slow functions
    # {aten op: the forbidden routine it is the kernel of}, from kit/forbidden_ops.json (kit.catalog fills it in);
    # None: what the calls run is not judged (a record built outside the catalog, forbidden_api = "warn")
    forbidden_ops: dict[str, str] | None = None
    efficiency: Efficiency | None = None  # a time budget on a large input (kit.checks.efficient); None: not timed

    def tolerance_for(self, dtype: torch.dtype) -> Tolerance:
        return self.tolerance.get(dtype) or DEFAULT_TOLERANCE.get(dtype, DEFAULT_TOLERANCE[torch.float64])

    def checks_for(self, solution: Callable | None = None, hidden: tuple[Check, ...] = ()) -> list[Check]:
        """Every check of this function: the generic ones, its own, then the hidden ones."""
        from kit import checks as generic

        found: list[Check] = []
        if self.reference is not None:
            found.append(generic.matches(self.reference, self.reference_name or "PyTorch"))
        found += self.checks
        found.append(generic.leaves_inputs_unchanged())
        if self.meta:
            found.append(generic.device_agnostic())
        found.append(generic.same_on_cuda() if self.deterministic else generic.runs_on_cuda())
        if self.efficiency is not None and (baseline := self.efficiency.baseline(self, solution)) is not None:
            found.append(generic.efficient(self.efficiency, baseline, self.deterministic))
        if solution is not None and self.deterministic:
            found.append(generic.agrees_with_solution(solution))
        found += [replace(c, hidden=True) for c in hidden]
        if self.max_examples is not None:
            found = [replace(c, examples=min(c.examples or self.max_examples, self.max_examples)) for c in found]
        return found


@dataclass(frozen=True)
class Assignment:
    """One assignment: a student module and its graded functions."""

    id: str  # "02"
    module: str  # "softmax": students edit assignments/02/softmax.py
    title: str
    functions: tuple[Function, ...]
    forbidden: tuple[str, ...] = ()  # dotted names of routines the module must not call
    notes: dict[str, Any] = field(default_factory=dict)
    # modules the sandbox's zygote imports once, for every child it forks: ones that the reference and most
    # submissions import when called (matplotlib's, 0.4 s in every child, twice per submission, otherwise)
    preload: tuple[str, ...] = ()

    def function(self, name: str) -> Function:
        for f in self.functions:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def points(self) -> float:
        return sum(f.points for f in self.functions)

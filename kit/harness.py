"""Running a check: hypothesis draws a `Call`, a runner executes it, the check judges.

A runner executes the student's function and hands back only what crossed `kit.wire`.
`InProcessRunner` does that in the student's own pytest process; the autograder's sandbox
runner does the same in a separate, locked-down process. Checks never see which one ran.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from types import ModuleType
from typing import Any, Protocol

import numpy as np
import torch
from greenlet import getcurrent, greenlet
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed

from kit import wire
from kit.calls import Call, tree_map
from kit.execute import UNCHANGED, Reply, describe_error, execute
from kit.forbidden import records, violation
from kit.spec import Check, Function
from kit.strategies import seed_alone


class Abort(BaseException):
    """Stops hypothesis at once (no shrinking): a stub, a crash of the sandbox, a time-out.

    Hypothesis treats an `Exception` as a failing example worth shrinking; anything else
    it lets through unchanged, which is what these need.
    """


class NotStarted(Abort):
    """The function still raises the stub's NotImplementedError: one line of feedback, not one per check."""


class StudentError(AssertionError):
    """The student's function raised or returned something that cannot be graded."""


class RanForbidden(AssertionError):
    """A graded call dispatched the kernel of a routine its assignment forbids (kit.forbidden)."""


class OverCpuLimit(Exception):
    """A timed call was stopped at the CPU time it was given (`Trial.outcome(cpu_limit=...)`): `seconds`, that
    limit or the time measured if more, is a lower bound of what it would have taken (kit.checks.efficient)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        super().__init__(f"stopped after {seconds:.3f} s of CPU time")


class CheckFailed(AssertionError):
    """A check did not hold; carries what the student needs to see."""

    def __init__(
        self, function: str, check: Check, message: str, example: str | None, forbidden: bool = False, not_started: bool = False,
        instructor_example: str | None = None,
    ):
        self.function, self.check, self.message, self.example = function, check, message, example
        self.forbidden = forbidden  # the call ran a forbidden routine: the whole function scores 0
        self.not_started = not_started  # the stub's own NotImplementedError
        # a hidden check's failing input, for the instructor only: the grader keeps it out of every
        # student-visible output and writes it where only `python -m autograder show` reads it
        self.instructor_example = instructor_example
        super().__init__(message)


@dataclass
class Outcome:
    output: Any = None
    # the arguments as the call left them; read only: where they came back unchanged, they are the drawn example's own
    inputs_after: Call | None = None
    devices: list[str] = field(default_factory=list)
    error: str | None = None
    not_implemented: bool = False
    file: bytes | None = None  # the bytes at the call's `read_back` path after the call, if it asked
    record: dict | None = None  # what the call ran, as the student's process reported it (kit.dispatch)
    # wall-clock seconds of the call as the trusted side saw it (InProcessRunner: around the call and
    # the decoding of its reply; the sandbox: around the round trip, in the grader); None if not timed
    seconds: float | None = None
    # CPU seconds the kernel accounted to the process that ran the call, over the same span (every
    # thread, exited ones too): unlike wall time, not inflated while other processes hold the CPU
    cpu_seconds: float | None = None
    # whether the output holds a nan or inf (None: not looked at yet): found once as the reply is decoded,
    # not again for each check that is served the outcome (kit.harness.Trial.outcome)
    has_non_finite: bool | None = None


_OPTIONS: dict[tuple[int, int], tuple[Function, Check, dict, tuple]] = {}


def _options_of(function: Function, check: Check) -> dict:
    """`call_options` with the inputs sent back, made once per function and check (asked at every call); read only."""
    return _options_entry(function, check)[2]


def _options_entry(function: Function, check: Check) -> tuple[Function, Check, dict, tuple]:
    entry = _OPTIONS.get((id(function), id(check)))
    if entry is None or entry[0] is not function or entry[1] is not check:
        options = {**call_options(function, check), "inputs": True}
        entry = _OPTIONS[(id(function), id(check))] = (function, check, options, _ran(options))
    return entry


def _ran(options: dict) -> tuple:
    """What a call shared between checks is keyed on: its options but `record` (every call is recorded; a check
    that does not judge the record ignores it)."""
    return tuple(sorted(item for item in options.items() if item[0] != "record"))


def call_options(function: Function, check: Check) -> dict:
    """How a runner calls `function` for `check`: under inference mode or not, recorded (kit.dispatch) or not."""
    options = {"autograd": function.autograd}
    if not records(function, check):
        options["record"] = False
    if check.metered:
        options["meter"] = True
    return options


class Runner(Protocol):
    """Runs one call (`inputs`: send back the arguments as the call left them, for `Outcome.inputs_after`;
    `cpu_limit`: a timed call may be stopped once it has used about this many seconds of CPU time, its outcome
    then an error; a runner that cannot stop one lets it run to its end)."""

    def run(
        self, function: str, call: Call, device: str, *, autograd: bool = True, record: bool = True, meter: bool = False, inputs: bool = True,
        cpu_limit: float | None = None,
    ) -> Outcome: ...


def outcome_from_reply(reply: Reply, limits: wire.Limits = wire.Limits(), call: Call | None = None) -> Outcome:
    """The reply's frames decoded (and so validated) once; `inputs_after` is None where the inputs were not sent.

    `call`: the call the reply answers. Where the inputs came back as the very bytes they were sent
    as (`call.frame`), or marked UNCHANGED (most calls leave them alone), `inputs_after` holds the call's own
    arguments, which is what decoding those bytes would give, without decoding or copying them.
    """
    if reply.error is not None:
        return Outcome(error=reply.error, not_implemented=reply.not_implemented, record=reply.record)
    value, devices = wire.decode(reply.output, limits)
    after = None
    if reply.inputs is not None and call is not None and (reply.inputs == UNCHANGED or reply.inputs == call.frame):
        after = Call(call.args, call.kwargs)
    elif reply.inputs is not None:
        args_kwargs, _ = wire.decode(reply.inputs, limits)
        if not (type(args_kwargs) in (tuple, list) and len(args_kwargs) == 2 and type(args_kwargs[0]) in (tuple, list) and type(args_kwargs[1]) is dict):
            raise wire.WireError("malformed inputs frame: expected (args, kwargs)")
        after = Call(tuple(args_kwargs[0]), dict(args_kwargs[1]))
    return Outcome(output=value, inputs_after=after, devices=devices, file=reply.file, record=reply.record, has_non_finite=_any_non_finite(value))


@dataclass
class InProcessRunner:
    module: ModuleType

    def run(
        self, function: str, call: Call, device: str, *, autograd: bool = True, record: bool = True, meter: bool = False, inputs: bool = True,
        cpu_limit: float | None = None,
    ) -> Outcome:
        # `cpu_limit` is not applied: in the grader's or the student's own process the call runs to its end
        started, cpu = time.perf_counter(), time.process_time()
        reply = execute(self.module, function, call, device, autograd=autograd, record=record or meter, inputs=inputs)
        outcome = outcome_from_reply(reply, call=call)
        outcome.seconds, outcome.cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
        return outcome

    def run_batch(self, function: str, calls: list[Call], device: str, **options: Any) -> list[Outcome]:
        return [self.run(function, call, device, **options) for call in calls]


DIRECT = Check("a call outside any check", lambda t: None)  # a Trial made by hand: its calls are judged like a correctness check's


@dataclass
class Trial:
    """One drawn example of one check: what `Check.verify` works with."""

    function: Function
    call: Call
    dtype: torch.dtype
    runner: Runner
    device: str = "cpu"
    memo: dict | None = None  # reference outputs for this example, kept across submissions
    non_finite: str | None = None  # set when an output was nan/inf where the reference's is finite: fails the check
    check: Check = DIRECT  # the check being judged (set by `judge`): whether its calls are recorded
    # where its calls go instead of `runner.run` (run_examples: batched with other examples' calls, shared between checks)
    serve: Callable[[Call, str, dict], Outcome] | None = None

    def judge(self, check: Check) -> None:
        """Run `check` on this trial; an output that was nan/inf where the reference's is finite fails it too."""
        self.check = check
        check.verify(self)
        if self.non_finite is not None:  # the check's own comparisons (its clearer message) had their turn first
            raise AssertionError(self.non_finite)

    def outcome(self, call: Call | None = None, device: str | None = None, *, cpu_limit: float | None = None) -> Outcome:
        """`cpu_limit` (a timed call's): OverCpuLimit where the call failed after half of it or more (stopped)."""
        device = device or self.device
        # the arguments as the call left them come back for every call (a follow-up and another check's first call
        # can then be one call), though only the trial's own call is ever checked for changes to them
        options = _options_of(self.function, self.check)
        if cpu_limit is not None:
            options = {**options, "cpu_limit": cpu_limit}
        call = call or self.call
        outcome = self.serve(call, device, options) if self.serve is not None else self.runner.run(self.function.name, call, device, **options)
        if outcome.not_implemented:
            raise NotStarted(outcome.error)
        judged = records(self.function, self.check)
        why = violation(outcome.record, self.function.forbidden_ops, self.function.autograd) if judged else None
        # a call that failed is forbidden only on what its record shows (the sandbox's tripwires
        # raise where the kernel would have run); a failed call without a record just failed
        if why and (outcome.error is None or outcome.record is not None):
            raise RanForbidden(f"{self.function.name}() ran a forbidden routine: {why}")
        used = outcome.cpu_seconds if outcome.cpu_seconds is not None else outcome.seconds
        if cpu_limit is not None and outcome.error is not None and used is not None and used >= cpu_limit / 2:
            # stopped at its limit: the child's timer counts CPU time as the kernel samples it, a little ahead of the
            # clock the grader reads. A call that fails this late is far past its budget whatever it claims, and one
            # that fails early, stopped or not, is just an error: no claim of the child's can make it pass.
            raise OverCpuLimit(max(used, cpu_limit))
        if outcome.error is not None:
            raise StudentError(outcome.error)
        # Every call, whatever its inputs: tensors go on the inputs' device, and a call without tensor
        # inputs makes them where the reference does, on the CPU (the default device), never on
        # `meta`, whose tensors hold no values to compare.
        on = device if call.tensors() else "cpu"
        if any(d != on for d in outcome.devices):
            wrong = min(d for d in outcome.devices if d != on)
            if call.tensors():
                raise AssertionError(f"returned a tensor on {wrong} for inputs on {device}: create tensors on the input's device")
            raise AssertionError(f"returned a tensor on {wrong} with no tensor inputs: create it on the CPU (the default device)")
        flagged = outcome.has_non_finite if outcome.has_non_finite is not None else _any_non_finite(outcome.output)
        if device != "meta" and self.non_finite is None and flagged:
            self.non_finite = self._non_finite_where_the_reference_is_finite(outcome.output, None if call is self.call else call)
        return outcome

    def _non_finite_where_the_reference_is_finite(self, output: Any, call: Call | None) -> str | None:
        """Whether `output`, any output and not only the one a check compares, is nan/inf where the reference's is finite.

        Checks that compare the student with the student (softmax(X + c) with softmax(X), the
        default reduction with reduction='mean') would otherwise pass NaN everywhere: NaN
        counts as close to NaN. The reference runs only when the output holds a non-finite value.
        """
        reference = self.function.reference
        if reference is None or not self.function.deterministic or not _any_non_finite(output):
            return None
        try:
            expected = self.expected(reference, call)
        except Exception:  # the reference cannot judge this call (a check that expects an error): neither can this rule
            return None
        bad = _non_finite_where_finite(output, expected)
        name = self.function.reference_name or "the reference"
        return f"output: {bad} non-finite value(s) (nan/inf) where {name} gives a finite value" if bad else None

    def run(self, call: Call | None = None, device: str | None = None) -> Any:
        """The student's output for `call` (default: this trial's), as plain CPU data."""
        return self.outcome(call, device).output

    @cached_property
    def output(self) -> Any:
        return self.run()

    def expected(self, reference: Any, call: Call | None = None, *, in_float64: bool = False) -> Any:
        """A trusted reference's output for `call`, normalised through the same wire.

        `in_float64`: on a float64 copy of the call's floating-point tensors (its output stays float64).
        """
        key = (id(reference), in_float64)
        if call is None and self.memo is not None and key in self.memo:
            return self.memo[key]
        local = (call or self.call).clone()
        if in_float64:
            local = local.map(lambda t: t.double() if t.is_floating_point() else t)
        value = wire.decode(wire.encode(local(reference)))[0]
        if call is None and self.memo is not None:
            self.memo[key] = value
        return value

    def assert_close(self, actual: Any, expected: Any, what: str = "output", scale: float = 1.0, slack: Any = None) -> None:
        """Compare within the function's tolerance for this dtype, times `scale`.

        The absolute term grows with the inputs and with each compared tensor:
        atol + ulps * (eps * max|X| + eps * max|expected|) (kit.spec.Tolerance), so that every
        backward-stable formulation passes, not only the reference's rounding. `slack`: more
        absolute tolerance per tensor, in the structure of `expected` (`rounding_error`).
        """
        tol = self.function.tolerance_for(self.dtype)
        atol = (tol.atol + tol.ulps * self.input_scale) * scale
        assert_close(actual, expected, tol.rtol * scale, atol, what, ulps=tol.ulps * scale, slack=slack)

    @cached_property
    def input_scale(self) -> float:
        """eps * max|X|: one machine epsilon of the largest finite |value| in the call's floating-point tensors.

        Each tensor counts in its own dtype's epsilon. Non-finite values are left out (a -inf
        in a mask says "forbidden", not "large"), and so are the check's `extra` data, which
        the function never sees.
        """
        if self.memo is not None and "input_scale" in self.memo:  # the same for every submission
            return self.memo["input_scale"]
        floating = [t for t in self.call.tensors() if t.dtype.is_floating_point and t.device.type != "meta"]
        scale = max((eps_of_largest(t.detach()) for t in floating), default=0.0)
        if self.memo is not None:
            self.memo["input_scale"] = scale
        return scale


def all_finite(tensor: torch.Tensor) -> bool:
    """Whether a floating-point tensor holds no nan or inf: its sum is finite then (one op, not two), unless it overflowed."""
    array = _array(tensor)
    if array is not None:
        return _finite(array)
    return math.isfinite(float(tensor.sum())) or bool(torch.isfinite(tensor).all())


def _finite(array: np.ndarray) -> bool:
    """`all_finite` for a float32 or float64 array (float32 summed in float64, where none of its values overflow)."""
    if array.dtype == np.float32:
        return math.isfinite(np.add.reduce(array, axis=None, dtype=np.float64)) or bool(np.isfinite(array).all())
    with np.errstate(all="ignore"):  # an overflowing sum is what the exact test is for
        return math.isfinite(np.add.reduce(array, axis=None)) or bool(np.isfinite(array).all())


def _array(tensor: torch.Tensor) -> np.ndarray | None:
    """The tensor's own values as a NumPy array, for a float32 or float64 tensor on the CPU, else None.

    The comparisons a check makes are on tensors of a few dozen values, where each torch op costs 2-4 us
    of dispatch and NumPy's the same IEEE operation in a third of that: a grader makes thousands a submission.
    """
    if tensor.is_cpu and tensor.dtype in _NUMPY_FLOATS:
        try:
            return tensor.numpy()
        except RuntimeError:  # it requires grad, or carries a conjugate or negative bit: torch's path
            return None
    return None


_NUMPY_FLOATS = (torch.float32, torch.float64)


def _any_non_finite(value: Any) -> bool:
    if type(value) is torch.Tensor:
        return value.dtype.is_floating_point and value.device.type != "meta" and not all_finite(value)
    if type(value) is float:
        return not math.isfinite(value)
    if isinstance(value, (tuple, list)):
        return any(_any_non_finite(v) for v in value)
    if isinstance(value, dict):
        return any(_any_non_finite(v) for v in value.values())
    return False


def _non_finite_where_finite(actual: Any, expected: Any) -> int:
    """How many values are nan/inf in `actual` where `expected` is finite (0 where the two are not comparable)."""
    if isinstance(expected, torch.Tensor) and type(actual) is torch.Tensor:
        if not actual.dtype.is_floating_point or "meta" in (actual.device.type, expected.device.type):
            return 0
        if actual.shape == expected.shape:
            return int((~torch.isfinite(actual) & torch.isfinite(expected)).sum())
        return int((~torch.isfinite(actual)).sum()) if bool(torch.isfinite(expected).all()) else 0
    if isinstance(expected, (float, int)) and type(actual) is float:
        return int(not math.isfinite(actual) and math.isfinite(expected))
    if isinstance(expected, (tuple, list)) and isinstance(actual, (tuple, list)) and len(actual) == len(expected):
        return sum(_non_finite_where_finite(a, e) for a, e in zip(actual, expected, strict=True))
    if isinstance(expected, dict) and isinstance(actual, dict):
        return sum(_non_finite_where_finite(actual[k], expected[k]) for k in expected if k in actual)
    return 0


def eps_of_largest(tensor: torch.Tensor) -> float:
    """One machine epsilon (of the tensor's dtype) of its largest finite |value|; 0 for none."""
    return torch.finfo(tensor.dtype).eps * _largest_finite(tensor)


def _largest_finite(tensor: torch.Tensor) -> float:
    if not tensor.numel():
        return 0.0
    largest = float(tensor.abs().max())  # nan or inf where the tensor holds one: then only the finite values count
    if not math.isfinite(largest):
        finite = tensor[torch.isfinite(tensor)]
        largest = float(finite.abs().max()) if finite.numel() else 0.0
    return largest


def assert_close(actual: Any, expected: Any, rtol: float, atol: float, what: str = "output", ulps: float = 0.0, slack: Any = None) -> None:
    """Exact structure, type, shape and dtype; values within tolerance; NaN only where expected.

    `ulps`: each floating-point tensor of `expected` widens atol by `ulps` epsilons of its own
    largest finite |value| (a normwise term: an entry small by cancellation errs at the scale of
    the largest ones). `slack`: None, or `expected`'s structure with a float in place of each
    tensor, which widens that tensor's atol.
    """
    if isinstance(expected, torch.Tensor):
        if type(actual) is not torch.Tensor:
            raise AssertionError(f"{what}: expected a tensor, got {type(actual).__name__}")
        if actual.shape != expected.shape:
            raise AssertionError(f"{what}: expected shape {tuple(expected.shape)}, got {tuple(actual.shape)}")
        if actual.dtype != expected.dtype:
            raise AssertionError(f"{what}: expected dtype {expected.dtype}, got {actual.dtype}")
        if expected.device.type == "meta":  # asked for structure only (kit.checks: a run on meta or CUDA against the CPU's)
            return
        if actual.device.type == "meta":  # never compared with values: a meta tensor holds none
            raise AssertionError(f"{what}: expected a tensor with values, got one on the meta device (it holds no data)")
        if expected.dtype.is_floating_point:
            if torch.equal(actual, expected):  # bit for bit (NaN is never equal): the reference's own formula
                return
            if _close_in_numpy(actual, expected, rtol, atol, what, ulps, slack):
                return
            if not all_finite(actual):  # the common case, all finite, in one test
                bad = ~torch.isfinite(actual) & torch.isfinite(expected)
                if bad.any():
                    raise AssertionError(f"{what}: {int(bad.sum())} non-finite value(s) (nan/inf) where a finite value is expected")
            peak = float(expected.abs().max()) if expected.numel() else 0.0  # nan or inf where `expected` holds one
            if ulps:
                atol += ulps * torch.finfo(expected.dtype).eps * (peak if math.isfinite(peak) else _largest_finite(expected))
            if slack is not None:
                atol += slack
            if math.isfinite(peak) and bool(((actual - expected).abs() <= (expected * rtol).abs() + atol).all()):
                return  # torch.isclose's own test for finite values, |actual - expected| <= atol + |rtol * expected|, in half its ops
        _assert_values_close(actual, expected, rtol, atol, what)
        return
    if isinstance(expected, (tuple, list)):
        if type(actual) is not type(expected) and not (isinstance(actual, (tuple, list))):
            raise AssertionError(f"{what}: expected a {type(expected).__name__}, got {type(actual).__name__}")
        if len(actual) != len(expected):
            raise AssertionError(f"{what}: expected {len(expected)} items, got {len(actual)}")
        for i, (a, e) in enumerate(zip(actual, expected, strict=False)):
            assert_close(a, e, rtol, atol, f"{what}[{i}]", ulps, None if slack is None else slack[i])
        return
    if isinstance(expected, dict):
        if not isinstance(actual, dict) or set(actual) != set(expected):
            got = sorted(actual) if isinstance(actual, dict) else type(actual).__name__
            raise AssertionError(f"{what}: expected a dict with keys {sorted(expected)}, got {got}")
        for key in expected:
            assert_close(actual[key], expected[key], rtol, atol, f"{what}[{key!r}]", ulps, None if slack is None else slack[key])
        return
    if isinstance(expected, float):
        if type(actual) not in (float, int) or isinstance(actual, bool):
            raise AssertionError(f"{what}: expected a Python float, got {type(actual).__name__} (use .item())")
        if not (math.isclose(actual, expected, rel_tol=rtol, abs_tol=atol) or (math.isnan(actual) and math.isnan(expected))):
            raise AssertionError(f"{what}: expected {expected!r}, got {actual!r}")
        return
    if actual != expected or type(actual) is not type(expected):
        raise AssertionError(f"{what}: expected {expected!r}, got {actual!r}")


def _close_in_numpy(actual: torch.Tensor, expected: torch.Tensor, rtol: float, atol: float, what: str, ulps: float, slack: Any) -> bool:
    """`assert_close`'s test for two float32 or float64 CPU tensors of one dtype and shape, op for op in NumPy:
    True where they are close, AssertionError for a nan/inf where a finite value is expected, False to
    leave the verdict (a value off, a nan or inf expected, another dtype or device) to torch's path."""
    x, y = _array(actual), _array(expected)
    if x is None or y is None:
        return False
    if not _finite(x):
        bad = ~np.isfinite(x) & np.isfinite(y)
        if bad.any():
            raise AssertionError(f"{what}: {int(bad.sum())} non-finite value(s) (nan/inf) where a finite value is expected")
    with np.errstate(all="ignore"):
        peak = float(np.abs(y).max()) if y.size else 0.0
        if not math.isfinite(peak):
            return False
        if ulps:
            atol += ulps * torch.finfo(expected.dtype).eps * peak
        if slack is not None:
            atol += slack
        return bool((np.abs(x - y) <= np.abs(y * rtol) + atol).all())


def _assert_values_close(actual: torch.Tensor, expected: torch.Tensor, rtol: float, atol: float, what: str) -> None:
    """torch.testing.assert_close's rule, |a - e| <= atol + rtol * |e|, without its 1.5 s first-call import."""
    if expected.dtype.is_floating_point or expected.dtype.is_complex:
        close = torch.isclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True)
    else:
        close = actual == expected
    if bool(close.all()):
        return
    bad = int((~close).sum())
    difference = (actual.double() - expected.double()).abs().nan_to_num(nan=float("inf"))
    worst = int(difference.argmax())
    index = tuple(int(i) for i in torch.unravel_index(torch.tensor(worst), expected.shape)) if expected.dim() else ()
    raise AssertionError(
        f"{what}: values differ at {bad} of {expected.numel()} positions; "
        f"worst at index {index}: got {actual.reshape(-1)[worst].item():.6g}, expected {expected.reshape(-1)[worst].item():.6g} "
        f"(rtol={rtol:g}, atol={atol:g})"
    )


INSTRUCTOR_ELEMENTS = 64  # a hidden input shown to the instructor (CheckFailed.instructor_example) holds values up to this many


def run_check(
    check: Check,
    function: Function,
    runner: Runner,
    dtype: torch.dtype,
    *,
    examples: int,
    seed: int | None = None,
    shrink: bool = True,
) -> None:
    """Run `check` on up to `examples` drawn inputs; raise `CheckFailed` on the first failure.

    With `seed` the draw is reproducible from it (grading); without, it is derandomised
    (students see the same examples on every run).
    """
    strategy = (check.inputs or function.inputs)(dtype)
    phases = [Phase.explicit, Phase.generate] + ([Phase.shrink] if shrink and not check.hidden else [])
    failing: dict[str, Call] = {}

    def body(call: Call) -> None:
        failing["call"] = call
        Trial(function, call, dtype, runner, check.device).judge(check)

    test = settings(
        max_examples=check.examples or examples,
        deadline=None,
        database=None,
        derandomize=seed is None,
        phases=phases,
        report_multiple_bugs=False,
        print_blob=False,
        verbosity=Verbosity.quiet,
        suppress_health_check=list(HealthCheck),
    )(given(body_call=strategy)(lambda body_call: body(body_call)))
    if seed is not None:
        test = hypothesis_seed(seed)(test)
    try:
        with seed_alone():
            test()
    except Abort as stop:
        raise CheckFailed(function.name, check, str(stop), None, not_started=isinstance(stop, NotStarted)) from None
    except Exception as error:  # the failing example, after hypothesis shrank it
        message = str(error) if isinstance(error, AssertionError) else describe_error(error)
        rendered = failing["call"].render(function.name, INSTRUCTOR_ELEMENTS if check.hidden else 12) if "call" in failing else None
        example, hidden_example = (None, rendered) if check.hidden else (rendered, None)
        raise CheckFailed(
            function.name, check, message or type(error).__name__, example, isinstance(error, RanForbidden), instructor_example=hidden_example,
        ) from None


def draw_examples(check: Check, function: Function, dtype: torch.dtype, count: int, seed: int) -> list[Call]:
    """`count` inputs for `check`, drawn by hypothesis from `seed`: the same for every submission."""
    drawn: list[Call] = []
    strategy = (check.inputs or function.inputs)(dtype)

    @settings(max_examples=count, deadline=None, database=None, phases=[Phase.generate], verbosity=Verbosity.quiet, suppress_health_check=list(HealthCheck))
    @given(call=strategy)
    def collect(call: Call) -> None:
        drawn.append(call)

    with seed_alone():
        hypothesis_seed(seed)(collect)()
    return drawn[:count]


def run_examples(
    check: Check, function: Function, runner: Runner, dtype: torch.dtype, examples: list[Call], memos: list[dict],
    shared: dict | None = None, count: int | None = None,
) -> None:
    """Run `check` on `count` (default: all) of fixed examples, spread evenly over them, or with
    `check.varied` on the few that `varied` picks; raise `CheckFailed` on the first failing one
    (in the examples' order).

    Spread, not the first few: hypothesis draws its simplest examples first (1x1 tensors, every
    flag False), and a check on 5 of a set of 20 would see those alone (05's meta check saw
    batch_norm in eval mode only, where a mutant's training branch never ran).

    `shared`: the calls run so far in the runner's process, kept for the next check that asks
    for the same ones (one per process: a fresh process starts with an empty one).
    """
    chosen = None
    if check.varied:
        chosen = varied(examples)
    elif count is not None and count < len(examples):
        chosen = [i * len(examples) // count for i in range(count)]
    if chosen is not None:
        examples, memos = [examples[i] for i in chosen], [memos[i] for i in chosen]
    together = getattr(runner, "run_batch", None) is not None and not check.metered
    try:
        failure = (_judged_together if together else _judged_in_turn)(check, function, runner, dtype, examples, memos, shared)
    except Abort as stop:
        raise CheckFailed(function.name, check, str(stop), None, not_started=isinstance(stop, NotStarted)) from None
    if failure is not None:
        i, error = failure
        message = str(error) if isinstance(error, AssertionError) else describe_error(error)
        example = None if check.hidden else examples[i].render(function.name)
        hidden_example = examples[i].render(function.name, INSTRUCTOR_ELEMENTS) if check.hidden else None
        raise CheckFailed(
            function.name, check, message or type(error).__name__, example, isinstance(error, RanForbidden), instructor_example=hidden_example,
        )


def varied(examples: list[Call]) -> list[int]:
    """The indices of the first and the largest example of each kind (kit.calls.Call.kind), in the set's order.

    The first of a kind is the simplest hypothesis drew (1x1 tensors), which takes the degenerate
    branches; the largest (most tensor elements), the general ones.
    """
    first: dict[Any, int] = {}
    largest: dict[Any, tuple[int, int]] = {}  # kind: (elements, index)
    for i, call in enumerate(examples):
        first.setdefault(call.kind, i)
        size = sum(t.numel() for t in call.tensors())
        if size > largest.get(call.kind, (-1, 0))[0]:
            largest[call.kind] = size, i
    return sorted({*first.values(), *(i for _, i in largest.values())})


def _judged_in_turn(
    check: Check, function: Function, runner: Runner, dtype: torch.dtype, examples: list[Call], memos: list[dict], shared: dict | None,
) -> tuple[int, Exception] | None:
    """The first failing example and what it raised, judging one example after the other, each call on
    its own: the efficiency check times its calls one by one, and a runner that does not batch."""
    for i, (call, memo) in enumerate(zip(examples, memos, strict=True)):
        try:
            Trial(function, call, dtype, runner, check.device, memo).judge(check)
        except Exception as error:
            return i, error
    return None


@dataclass(frozen=True)
class _Ask:
    """What a trial asks the planner for: the `occurrence`-th call of `key` (a repeated request is another call)."""

    call: Call
    device: str
    options: tuple
    key: tuple
    occurrence: int


def _judged_together(
    check: Check, function: Function, runner: Runner, dtype: torch.dtype, examples: list[Call], memos: list[dict], shared: dict | None,
) -> tuple[int, Exception] | None:
    """`_judged_in_turn`'s verdict, with every example's calls run in batches.

    Each example is judged in a greenlet of its own, from start to end, once. When it asks for
    a call that has not run, it hands the request to this planner and waits; once every
    example waits or is done, the planner runs the requests, one batch per device and
    options, and hands each its outcome. A check of k calls costs k round trips, however
    many examples. Calls are kept in `shared`: an example's n-th request of a call (the same
    arguments, seed, device and options) is served by the n-th run of that call in this
    process, whichever check made it; two requests within one trial are two calls. The
    examples after the first failure are dropped unjudged, as judging in turn would.
    """
    cache = shared if shared is not None else {}
    handed = (lambda outcome: outcome) if check.reads_only else _copied  # what a trial is given of a shared outcome
    planner = getcurrent()
    _, _, check_options, check_ran = _options_entry(function, check)  # what the trials' calls ask, made once

    def serve_one_trial() -> Callable[[Call, str, dict], Outcome]:
        asked: dict[tuple, int] = {}

        def serve(call: Call, device: str, options: dict) -> Outcome:
            ran = check_ran if options is check_options else _ran(options)
            key = (function.name, call.frame, call.seed, call.read_back, device, ran)
            occurrence = asked[key] = asked.get(key, -1) + 1
            done = cache.get(key, ())
            if occurrence < len(done):
                return handed(done[occurrence])
            return planner.switch(_Ask(call, device, ran, key, occurrence))

        return serve

    def judged(trial: Trial) -> Exception | None:
        try:
            trial.judge(check)
        except Exception as error:
            return error
        return None

    trials = {i: greenlet(judged) for i in range(len(examples))}
    answers: dict[int, Any] = {i: Trial(function, call, dtype, runner, check.device, memo, serve=serve_one_trial()) for i, (call, memo) in enumerate(zip(examples, memos, strict=True))}
    first_failure: tuple[int, Exception] | None = None
    try:
        while trials:
            asks: dict[int, _Ask] = {}
            for i in sorted(trials):
                step = trials[i].switch(answers.pop(i))  # the trial itself first, then the outcome it waits for
                if isinstance(step, _Ask):
                    asks[i] = step
                    continue
                del trials[i]
                if step is not None:  # it failed: the examples after it no longer matter
                    first_failure = (i, step)
                    for later in [j for j in trials if j > i]:
                        trials.pop(later).throw()
                        asks.pop(later, None)
                    break
            needed: dict[tuple, _Ask] = {}  # per key, the request of the highest occurrence: that many runs of it
            for ask in asks.values():
                if ask.occurrence >= len(cache.get(ask.key, ())) and ask.occurrence >= getattr(needed.get(ask.key), "occurrence", -1):
                    needed[ask.key] = ask
            batches: dict[tuple, list[_Ask]] = {}
            for ask in needed.values():
                runs = ask.occurrence + 1 - len(cache.get(ask.key, ()))
                batches.setdefault((ask.device, ask.options), []).extend([ask] * runs)
            for (device, options), wanted in batches.items():
                outcomes = runner.run_batch(function.name, [ask.call for ask in wanted], device, **dict(options))
                for ask, outcome in zip(wanted, outcomes, strict=True):
                    cache.setdefault(ask.key, []).append(outcome)
            for i, ask in asks.items():
                answers[i] = handed(cache[ask.key][ask.occurrence])
    finally:
        for trial in trials.values():  # an Abort (a stub, a time-out) leaves the others waiting: end them
            trial.throw()
    return first_failure


def _copied(outcome: Outcome) -> Outcome:
    """A copy whose output is its own: a check may change the output it was handed (all but `Check.reads_only` ones).

    `inputs_after` is shared (it is already a copy, never the drawn example itself): checks
    only compare it with the call (kit.checks.leaves_inputs_unchanged).
    """
    output = outcome.output
    served = object.__new__(Outcome)  # copy.copy(outcome) at a fifth of its cost (no __reduce_ex__ round)
    served.__dict__.update(outcome.__dict__)
    served.output = output.clone() if type(output) is torch.Tensor else tree_map(torch.Tensor.clone, output)
    return served

"""Checks that every graded function gets, generated from its `Function` record."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import torch

from kit.calls import Call, tree_map, tree_tensors
from kit.harness import Abort, InProcessRunner, OverCpuLimit, Trial
from kit.spec import Check, Efficiency


def matches(reference: Callable, label: str) -> Check:
    def verify(t: Trial) -> None:
        t.assert_close(t.output, t.expected(reference))

    return Check(f"matches {label}", verify, hint=f"compare your result with {label} on the input shown", reads_only=True)


# How many times the reference's own rounding error an ill-conditioned comparison allows on top
# of the tolerance. Two honest float32 formulations err by about the same amount but not by the
# same rounding: 07's einsum projections err 0.3 tolerances where the solution errs 2.7, and on
# another CPU's matrix kernels (or another alignment of the same data) their shares can swap.
CONDITIONING = 8.0


def agrees_with_solution(solution: Callable, *, conditioned: bool = False) -> Check:
    """The hidden comparison with the solution.

    `conditioned`, for inputs that amplify rounding (a recurrence over many steps): compared
    with the solution computed in float64, within the tolerance plus CONDITIONING times the
    float32 solution's own largest error on that tensor. Without it, the float32 solution's
    rounding is the target, and more accurate code (computed in float64) fails.
    """

    def verify(t: Trial) -> None:
        expected = t.expected(solution)
        if not conditioned or t.dtype == torch.float64:
            t.assert_close(t.output, expected)
            return
        exact = t.expected(solution, in_float64=True)
        t.assert_close(t.output, _cast_like(exact, expected), slack=_scaled_error(expected, exact, CONDITIONING))

    return Check("agrees with the reference solution", verify, hidden=True, reads_only=True)


def _cast_like(exact: Any, like: Any) -> Any:
    """`exact` with each tensor in the dtype of its counterpart in `like`."""
    if isinstance(like, torch.Tensor):
        return exact.to(like.dtype) if isinstance(exact, torch.Tensor) else exact
    if isinstance(like, (tuple, list)) and isinstance(exact, (tuple, list)):
        return type(like)(_cast_like(e, w) for e, w in zip(exact, like, strict=False))
    if isinstance(like, dict) and isinstance(exact, dict):
        return {k: _cast_like(exact.get(k), w) for k, w in like.items()}
    return exact


def _scaled_error(low: Any, exact: Any, factor: float) -> Any:
    """`factor` times the largest finite |low - exact| of each tensor, in `low`'s structure (assert_close's slack)."""
    if isinstance(low, torch.Tensor):
        if not isinstance(exact, torch.Tensor) or not low.dtype.is_floating_point or low.shape != exact.shape:
            return 0.0
        error = (low.double() - exact.double()).abs()
        error = error[torch.isfinite(error)]
        return factor * float(error.max()) if error.numel() else 0.0
    if isinstance(low, (tuple, list)):
        return [_scaled_error(a, b, factor) for a, b in zip(low, exact, strict=False)] if isinstance(exact, (tuple, list)) else [0.0] * len(low)
    if isinstance(low, dict):
        return {k: _scaled_error(v, exact.get(k) if isinstance(exact, dict) else None, factor) for k, v in low.items()}
    return 0.0


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
        reads_only=True,
    )


def first_difference(before: Any, after: Any, path: str = "") -> str | None:
    """Where `after` differs from `before` (exactly, NaN equal to NaN), or None."""
    if after is before:  # inputs that came back unchanged are the call's own (kit.harness.outcome_from_reply)
        return None
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
        # the first and the largest example of each kind in the set (flags, modes, ranks), not the first few of it: a
        # branch those never take (05's batch_norm in training) escaped it, and not all of it: a call on meta costs
        # 0.4-0.6 ms (torch's meta kernels; 10-20 us on the CPU for 02), 60 calls a submission of 02 before, 19 now.
        # Its CPU twin costs nothing more (another check's call already).
        varied=True,
        gated=True,
        reads_only=True,
    )


def same_on_cuda() -> Check:
    def verify(t: Trial) -> None:
        t.assert_close(t.run(device="cuda"), t.run(device="cpu"), "output on CUDA")

    return Check("gives the CPU result on CUDA", verify, device="cuda", hint="avoid device-specific code paths", gated=True, reads_only=True)


def runs_on_cuda() -> Check:
    """For random functions, whose CPU and CUDA draws differ: shapes, dtypes and finiteness."""

    def verify(t: Trial) -> None:
        for tensor in tree_tensors(t.run()):
            if tensor.dtype.is_floating_point and not torch.isfinite(tensor).all():
                raise AssertionError("non-finite values on CUDA")
        t.assert_close(t.run(), on_meta(t.run(device="cpu")), "output on CUDA")

    return Check("runs on CUDA", verify, device="cuda", examples=5, gated=True)


# ---------------------------------------------------------------- efficiency (Function.efficiency)

# The allowance, on top of `factor` times the baseline: what the sandbox's round trip costs the
# child beyond the in-process path the baseline is timed on (reading and decoding the inputs,
# encoding and writing its output and the inputs after the call). Measured as the child's CPU
# time on the 2-core course machine, two graders side by side: up to 2.8 ms over the baseline
# for 0.5 MB of inputs, 4.6 ms for 1 MB; as wall time (a runner without a CPU clock) 0.2-0.7 ms
# for 32-512 KB, plus 4-6 ms whenever another process takes the core. 5 ms + 5 ms per MB of the
# call's input tensors covers both. Granted in-process too, so that the students' pytest and
# the grader judge alike. A loop over the batch of the large inputs costs 50 ms to 2 s.
ROUND_TRIP_SECONDS = 0.005
ROUND_TRIP_SECONDS_PER_MB = 0.005
REPEATS = 5  # at most this many timed runs of each side; the fastest of each counts
TIMED_SECONDS = 1.0  # no third run once the student's runs took this long together (a loop's 0.1-1 s)
CLEAR_PASS = 0.5  # within this share of the budget a pass stands at once (honest code uses 0.02-0.4 of it)
# the best of two runs at this many budgets or more is a fail: a loop over the batch (10-100x) needs no more runs.
# The sandboxed child stops every run there (a run's time is then its limit, a lower bound).
CLEAR_FAIL = 3.0
# and one run that finished over this many (CPU time: no neighbour on the machine inflates it tenfold), where runs
# are not stopped (the students' own pytest): a loop there runs once, not twice
CLEAR_FAIL_AT_ONCE = 10.0
COMPARISON_SCALE = 100.0  # times the function's tolerance, for the output on the large input
# Set to a list to collect every verdict as (function, student's seconds, baseline's seconds, budget, passed,
# the student's runs, "cpu" or "wall"): for benchmarks/efficiency.py, which counts false failures over many regrades.
MEASURED: list[tuple] | None = None


def efficient(record: Efficiency, baseline: Callable, deterministic: bool = True) -> Check:
    """Within `record.factor` times the baseline's time on one large input, plus the round-trip allowance.

    Timed by the trusted side only: the runner reports the call's CPU time as the kernel
    accounted it to the process that ran it (`Outcome.cpu_seconds`: the grader reads the
    sandboxed child's CPU clock around the round trip), or else its wall time
    (`Outcome.seconds`); the baseline (the reference solution in the grader, a public PyTorch
    routine in the students' runs) runs in this process through the same path as an in-process
    call, on its own copy of the input, and is measured alike. CPU time, not wall time: on a
    busy machine a call waits for a core for milliseconds at a time, and that is not its cost.
    Each side's fastest of up to REPEATS runs, interleaved, counts; the first student run
    within CLEAR_PASS of the budget ends the check, one within the budget once both sides
    were timed again; two runs whose best is at CLEAR_FAIL budgets or more fail it, and so does
    one that finished over CLEAR_FAIL_AT_ONCE budgets. The output of the first run that finished
    must also agree with the baseline's (deterministic functions), so that code fast only on
    large inputs gains nothing. Failures stop hypothesis at once (Abort): a timing has nothing to shrink, and
    shrinking would re-run a slow call.
    """

    def verify(t: Trial) -> None:
        name = t.function.name
        reference = InProcessRunner(SimpleNamespace(**{name: baseline}, __name__="baseline"))  # a module for `execute`
        allowance = ROUND_TRIP_SECONDS + ROUND_TRIP_SECONDS_PER_MB * _megabytes(t.call)
        ours: list[tuple[float, float]] = []  # (wall, CPU) seconds of each baseline run

        def time_baseline() -> object:
            # with autograd: a public reference may use it (07's does); under the op recorder, as the student's calls
            outcome = reference.run(name, t.call, "cpu", meter=True)
            if outcome.error is not None:
                raise RuntimeError(f"the baseline failed on the large input: {outcome.error}")  # the kit's fault, never the student's
            ours.append((outcome.seconds, outcome.cpu_seconds))
            return outcome.output

        expected = time_baseline()
        time_baseline()  # the first run may pay one-time costs (allocations of a new size)
        theirs: list[tuple[float, float | None]] = []
        compared = not deterministic
        while True:
            # CLEAR_FAIL budgets: past that a run counts as a fail already, and a loop over the batch would go on
            # for 0.05-2 s (the sandboxed child stops it; two stopped runs, 6 budgets, fail it)
            limit = CLEAR_FAIL * (record.factor * min(c for _, c in ours) + allowance)
            try:
                outcome = t.outcome(cpu_limit=limit)  # the first is the batched first call, the later ones run again
            except OverCpuLimit as over:
                theirs.append((over.seconds, over.seconds))  # a lower bound
            else:
                if outcome.seconds is None:  # a runner that cannot time: nothing to judge
                    return
                if not compared:
                    try:
                        # a check of speed, not of rounding: sums over thousands of rows round differently
                        t.assert_close(outcome.output, expected, "output on the large input", scale=COMPARISON_SCALE)
                    except AssertionError as error:
                        raise Abort(f"{error} ({t.call.render(name)})") from None
                    compared = True
                theirs.append((outcome.seconds, outcome.cpu_seconds))
            cpu = all(c is not None for _, c in theirs)  # CPU time where the runner measured it every time
            took, best = (min(r[1] if cpu else r[0] for r in runs) for runs in (theirs, ours))
            budget = record.factor * best + allowance
            # a pass near the line stands once each side was timed again: on a loaded machine one
            # baseline run slowed by its neighbours let a loop over the batch (10x) pass a 6x budget
            confirmed = took <= CLEAR_PASS * budget or (len(theirs) >= 2 and len(ours) >= 4)
            clear_fail = took >= CLEAR_FAIL * budget if len(theirs) >= 2 else took > CLEAR_FAIL_AT_ONCE * budget
            if (took <= budget and confirmed) or clear_fail or len(theirs) >= REPEATS or (len(theirs) >= 2 and sum(w for w, _ in theirs) >= TIMED_SECONDS):
                break
            time_baseline()
            if took <= budget:  # to confirm: the baseline twice more
                time_baseline()
        if MEASURED is not None:
            MEASURED.append((name, took, best, budget, took <= budget, len(theirs), "cpu" if cpu else "wall"))
        if took <= budget:
            return
        raise Abort(  # "at least": the best run may have been stopped at its limit (whether it was depends on timing)
            f"at least {took / best:.0f}x slower than a vectorised version: {_ms(took)} against {_ms(best)} of "
            f"{'CPU' if cpu else 'wall-clock'} time (best of {len(theirs)} and {len(ours)} runs) on {t.call.render(name)}; "
            f"at most {record.factor:g}x plus {_ms(allowance)} is allowed: {record.hint}"
        )

    return Check(
        "is about as fast as a vectorised version on a large input",
        verify,
        inputs=record.inputs,
        dtypes=(torch.float32,),
        examples=1,
        gated=True,  # a function that does nothing is fast
        recorded=True,  # else F.conv2d on large inputs alone would buy this check
        metered=True,
    )


def _megabytes(call: Call) -> float:
    return sum(t.numel() * t.element_size() for t in call.tensors() if t.device.type != "meta") / 1e6


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3g} ms"

"""Honest rewrites keep full marks; the tolerance scales with the inputs; hints fit their failure.

tests/honest/ holds correct implementations written differently from the solution (float64
inside, log-sum-exp by hand, einsum, torch.where, helpers, loops over time steps, kernel
offsets or parameters). Each must keep full marks, as the autograder grades the session's
class (tests/classes.py), and call nothing its assignment forbids.
"""

from __future__ import annotations

import ast
from types import SimpleNamespace

import pytest
import torch
from classes import HONEST_REWRITE, graded_functions
from honest import HONEST
from mutants import MUTANTS

from autograder.static import forbidden_uses
from kit.calls import Call
from kit.catalog import assignment_ids, load_assignment
from kit.checks import agrees_with_solution
from kit.harness import InProcessRunner, Trial, assert_close
from kit.spec import NON_FINITE, Check, Function


@pytest.mark.parametrize("rewrite", HONEST, ids=lambda m: m.id)
def test_honest_rewrite_keeps_full_marks(rewrite, graded_classes):
    """Every public and hidden check passes, as the autograder grades it (tests/classes.py): of the function it
    rewrites, or of every function where it rewrites a helper."""
    student = f"honest-{rewrite.name}"
    maximum = {f.name: f.points for f in load_assignment(rewrite.assignment).functions}
    graded = graded_functions(rewrite.assignment, student, HONEST_REWRITE) or tuple(maximum)
    results = graded_classes.results(rewrite.assignment, student)
    scores = results["extra_data"]["function_scores"]
    assert {f: scores[f] for f in graded} == pytest.approx({f: maximum[f] for f in graded}), results["output"]


@pytest.mark.parametrize("rewrite", HONEST, ids=lambda m: m.id)
def test_honest_rewrite_calls_nothing_forbidden(rewrite):
    assignment = load_assignment(rewrite.assignment)
    names = [f.name for f in assignment.functions]
    assert forbidden_uses(rewrite.source(), assignment.forbidden, names, local_modules=(assignment.module,)) == {}


def test_honest_rewrites_change_the_solution_and_have_unique_ids():
    ids = [m.id for m in HONEST]
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
    assert not set(ids) & {m.id for m in MUTANTS}, "an honest rewrite shares its id with a mutant"
    for rewrite in HONEST:
        assert rewrite.old != rewrite.new
        ast.parse(rewrite.source())  # the edit applies (exactly once) and leaves valid Python


def test_every_assignment_has_honest_rewrites():
    counts = {i: sum(m.assignment == i for m in HONEST) for i in assignment_ids()}
    assert {i: n for i, n in counts.items() if n < 2} == {}


# ---------------------------------------------------------------- the tolerance grows with the inputs


def trial(dtype: torch.dtype, *tensors: torch.Tensor) -> Trial:
    function = Function("f", lambda dtype: None, points=1)
    return Trial(function, Call(tensors), dtype, runner=None)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_log_sum_exp_by_hand_is_within_the_tolerance_at_512(dtype):
    """The issue's figure: X - (m + log(sum(exp(X - m)))) at [512, 512] is -0.693176 in float32, -log 2 = -0.693147."""
    X = torch.tensor([512.0, 512.0], dtype=dtype)
    m = X.amax()
    by_hand = X - (m + (X - m).exp().sum().log())
    expected = torch.log_softmax(X, 0)
    if dtype == torch.float32:
        assert abs(float(by_hand[0]) - float(expected[0])) > 2e-5  # outside rtol 1e-5, atol 1e-6 alone
        with pytest.raises(AssertionError):
            assert_close(by_hand, expected, 1e-5, 1e-6)
    trial(dtype, X).assert_close(by_hand, expected)


def test_the_magnitude_term_is_a_few_ulps_of_the_largest_finite_input():
    X = torch.tensor([[3.0, -1e4], [0.5, float("-inf")]])
    t = trial(torch.float32, X, torch.tensor([1e30], dtype=torch.float64), torch.tensor([7]))
    # -inf and the int64 tensor do not count; each tensor counts in its own dtype's epsilon
    assert t.input_scale == pytest.approx(max(torch.finfo(torch.float32).eps * 1e4, torch.finfo(torch.float64).eps * 1e30))
    small = trial(torch.float32, torch.tensor([0.5, -2.0]))
    assert small.input_scale == pytest.approx(torch.finfo(torch.float32).eps * 2.0)
    small.assert_close(torch.tensor([1.0]), torch.tensor([1.0]) + 1e-6 + 4 * small.input_scale * 0.9)
    with pytest.raises(AssertionError):
        small.assert_close(torch.tensor([1.0]), torch.tensor([1.0]) + 2e-5)  # beyond rtol, atol and 4 ulps of 2


def test_scale_zero_still_means_exactly():
    t = trial(torch.float32, torch.tensor([1e4]))
    t.assert_close(torch.tensor([1.0]), torch.tensor([1.0]), scale=0)
    with pytest.raises(AssertionError):
        t.assert_close(torch.tensor([1.0]), torch.tensor([1.0 + 2**-23]), scale=0)



def conditioned_verdicts(student) -> tuple[bool, bool]:
    """(plain, conditioned) verdicts of the hidden comparison for a solution that rounds like an
    ill-conditioned problem: (x + 1e4) - 1e4 is off by up to 4.9e-4 in float32 for |x| <= 1."""
    def solution(x):
        return (x + 1e4) - 1e4

    function = Function("f", lambda dtype: None, points=1)
    call = Call((torch.linspace(-1, 1, 101),))
    verdicts = []
    for conditioned in (False, True):
        t = Trial(function, call, torch.float32, InProcessRunner(SimpleNamespace(f=student, __name__="student")))
        try:
            agrees_with_solution(solution, conditioned=conditioned).verify(t)
            verdicts.append(True)
        except AssertionError:
            verdicts.append(False)
    return tuple(verdicts)


def test_the_conditioned_comparison_passes_more_accurate_code_and_still_fails_wrong_code():
    """07's long sequences: the float32 solution's own rounding was 2.7 tolerances from the truth,
    so code computed in float64 failed. Conditioned, the truth is the target and the solution's
    rounding (times kit.checks.CONDITIONING) is allowed on top."""
    assert conditioned_verdicts(lambda x: (x + 1e4) - 1e4) == (True, True)  # the solution's own rounding
    assert conditioned_verdicts(lambda x: x.clone()) == (False, True)  # exact: failed the plain comparison
    assert conditioned_verdicts(lambda x: x + 0.01) == (False, False)  # wrong by 20 times the solution's rounding
    assert conditioned_verdicts(lambda x: (x.double() + 1e4 - 1e4 + 1e-3).float()) == (False, True)  # wrong by 2x it: within 8x


# ---------------------------------------------------------------- hints name the cause only where the check tells it apart


def message(actual: torch.Tensor, expected: torch.Tensor) -> str:
    with pytest.raises(AssertionError) as failure:
        assert_close(actual, expected, 1e-5, 1e-6)
    return str(failure.value)


def test_hint_when_limits_the_hint_to_its_failure():
    overflow = Check("is finite for logits of +-1e4", lambda t: None, hint="subtract the max", hint_when=NON_FINITE)
    non_finite = message(torch.tensor([float("nan"), 0.5]), torch.tensor([0.5, 0.5]))
    rounding = message(torch.tensor([-0.693176]), torch.tensor([-0.693147]))
    assert overflow.hint_for(non_finite) == "subtract the max"
    assert overflow.hint_for(rounding) == ""
    assert overflow.hint_for("ZeroDivisionError: division by zero") == ""
    always = Check("sums to 1", lambda t: None, hint="normalise")
    assert always.hint_for(rounding) == always.hint_for(non_finite) == "normalise"
    assert Check("no hint", lambda t: None, hint_when=NON_FINITE).hint_for(non_finite) == ""


def test_the_non_finite_rule_of_the_trial_says_non_finite():
    """Trial.judge's own message, for a nan/inf that a check comparing the student with itself let through."""
    function = Function("softmax", lambda dtype: None, points=1, reference=lambda X: torch.softmax(X, -1))
    t = Trial(function, Call((torch.tensor([1.0, 2.0]),)), torch.float32, runner=None)
    assert NON_FINITE in t._non_finite_where_the_reference_is_finite(torch.tensor([float("nan"), 0.5]), None)


@pytest.mark.parametrize("assignment_id", ["02", "08"])
def test_overflow_hints_are_only_for_non_finite_outputs(assignment_id):
    """02's and 08's "is finite for +-1e4" checks: a finite output that is merely off gets no "subtract the max"."""
    checks = [c for f in load_assignment(assignment_id).functions for c in f.checks if c.name.startswith("is finite for")]
    assert checks and all(c.hint_when == NON_FINITE for c in checks)

"""The scoring rule (kit.scoring) and its negative controls: code that does nothing scores nothing.

The controls are generated from the records (tests/degenerate), so every assignment, and
every one added later, gets them; here they are read from the session's class, graded once
by the autograder (tests/classes.py), and in test_assignments.py graded by the students' pytest.
"""

from __future__ import annotations

import pytest
from degenerate import KINDS
from scores import function_scores, runnable, verdicts

from autograder.suite import load
from kit import scoring
from kit.catalog import assignment_ids, load_module
from kit.spec import Check


def check(gated: bool, weight: float = 1.0) -> Check:
    return Check("gated" if gated else "correct", lambda t: None, weight=weight, gated=gated)


def points(total: float, verdicts: list[tuple[Check, bool]]) -> list[float]:
    return [round(s.points, 6) for s in scoring.earned(total, verdicts)]


def test_a_correct_function_earns_every_share():
    assert points(4, [(check(False), True), (check(True), True), (check(False, 2), True)]) == [1, 1, 2]


def test_properties_earn_nothing_while_no_correctness_check_passes():
    assert points(4, [(check(False), False), (check(True), True), (check(True), True), (check(False), False)]) == [0, 0, 0, 0]


def test_properties_pay_in_proportion_to_the_correctness_points_earned():
    # correctness weights 1 and 3: passing the second earns 3/4 of the correctness points
    scored = scoring.earned(6, [(check(False), False), (check(False, 3), True), (check(True), True), (check(True), False)])
    assert [round(s.points, 6) for s in scored] == [0, 3, 0.75, 0]
    assert [s.held_back for s in scored] == [False, False, True, False]
    assert "earns 0.75 of 1 points" in scoring.held_back_note(scored[2])


def test_a_function_of_properties_only_earns_nothing():
    assert points(2, [(check(True), True), (check(True), True)]) == [0, 0]


@pytest.mark.parametrize("assignment_id", assignment_ids())
def test_every_function_has_a_correctness_check(assignment_id):
    """Else its properties could never pay: each function needs a check that code doing nothing fails."""
    assignment, graded = load(assignment_id)
    for function in assignment.functions:
        assert any(not g.check.gated for g in graded if g.function is function), f"{function.name}() has only gated checks"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("assignment_id", assignment_ids())
def test_code_that_does_nothing_scores_zero(assignment_id, kind, graded_classes):
    """As the autograder grades it (tests/classes.py): by the scoring rule alone, no note about forbidden routines."""
    assignment, graded = load(assignment_id)
    results = graded_classes.results(assignment_id, f"control-{kind}")
    checks = runnable(graded)
    assert [t["name"] for t in results["tests"]] == [g.name for g in checks]
    passing = [g.name for g, t in zip(checks, results["tests"], strict=True) if t["status"] == "passed" and not g.check.gated]
    assert passing == [], f"correctness checks that {kind} passes: mark them gated or make them compare with a reference"
    assert results["extra_data"]["function_scores"] == dict.fromkeys((f.name for f in assignment.functions), 0.0), results["output"]
    assert results["score"] == 0
    assert "which this assignment asks you" not in results["output"] and "which hides what it calls" not in results["output"], results["output"]


def test_a_uniform_softmax_of_the_wrong_shape_scores_zero(tmp_path):
    """The issue's case: broadcastable, rows sum to 1 after broadcasting, invariant to shifts; 0.75 of 3 before the rule."""
    assignment, graded = load("02")
    path = tmp_path / "softmax.py"
    path.write_text("import torch\n\n\ndef softmax(X, dim=-1):\n    return torch.full((1,), 1 / X.shape[dim], dtype=X.dtype, device=X.device)\n")
    found = verdicts(load_module(path, "uniform_softmax"), [g for g in graded if g.function.name == "softmax"])
    assert any(ok for _, ok in found["softmax"]) and function_scores(assignment, found)["softmax"] == 0.0

"""In-process grading for the kit's tests: every graded check of a module, scored by kit.scoring.

The checks run as the students' pytest runs them (derandomised draws, `examples` per
check); each stops at its first failing example, unshrunk, since only the verdict counts.
"""

from __future__ import annotations

from types import ModuleType

import torch

from autograder.suite import GradedCheck
from kit import scoring
from kit.harness import CheckFailed, InProcessRunner, run_check
from kit.spec import Assignment

CPU_DEVICES = ("cpu", "meta")


def runnable(graded: list[GradedCheck]) -> list[GradedCheck]:
    return [g for g in graded if g.check.device in CPU_DEVICES or torch.cuda.is_available()]


def verdicts(module: ModuleType, graded: list[GradedCheck], examples: int = 10) -> dict[str, list[tuple[GradedCheck, bool]]]:
    """function -> (check, passed on every dtype) for each runnable check, in order."""
    found: dict[str, list[tuple[GradedCheck, bool]]] = {}
    runner = InProcessRunner(module)
    for g in runnable(graded):
        passed = True
        for dtype in g.check.dtypes or g.function.dtypes:
            try:
                run_check(g.check, g.function, runner, dtype, examples=examples, shrink=False)
            except CheckFailed:
                passed = False
                break
        found.setdefault(g.function.name, []).append((g, passed))
    return found


def function_scores(assignment: Assignment, found: dict[str, list[tuple[GradedCheck, bool]]]) -> dict[str, float]:
    """Points per function under the kit's rule."""
    return {
        f.name: round(sum(s.points for s in scoring.earned(f.points, [(g.check, ok) for g, ok in found.get(f.name, [])])), 4)
        for f in assignment.functions
    }


def ungated_function_scores(assignment: Assignment, found: dict[str, list[tuple[GradedCheck, bool]]]) -> dict[str, float]:
    """Points per function as they were before the rule: every passed check paid its share. For the figures only."""
    scores = {}
    for f in assignment.functions:
        mine = found.get(f.name, [])
        total = sum(g.check.weight for g, _ in mine)
        scores[f.name] = round(sum(f.points * g.check.weight / total for g, ok in mine if ok), 4) if total else 0.0
    return scores

"""Every graded check of an assignment: public records, generic checks, hidden tests."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from kit.catalog import load_assignment
from kit.spec import Assignment, Check, Function


@dataclass(frozen=True)
class GradedCheck:
    function: Function
    check: Check

    @property
    def name(self) -> str:
        return f"{self.function.name}: {self.check.name}"


def graded_checks(assignment: Assignment) -> list[GradedCheck]:
    solution = importlib.import_module(f"solutions.{assignment.module}")
    try:
        hidden = importlib.import_module(f"autograder.hidden.{assignment.module}").HIDDEN
    except ModuleNotFoundError:
        hidden = {}
    unknown = set(hidden) - {f.name for f in assignment.functions}
    if unknown:
        raise ValueError(f"hidden tests of assignment {assignment.id} name unknown functions: {sorted(unknown)}")
    return [
        GradedCheck(function, check)
        for function in assignment.functions
        for check in function.checks_for(getattr(solution, function.name), tuple(hidden.get(function.name, ())))
    ]


def load(assignment_id: str) -> tuple[Assignment, list[GradedCheck]]:
    assignment = load_assignment(assignment_id)
    return assignment, graded_checks(assignment)

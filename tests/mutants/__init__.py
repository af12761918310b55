"""Plausible wrong implementations ("mutants") that the grading tests must catch.

One module per assignment (`a02_softmax.py`, ...) holds a `MUTANTS` list. Each mutant is
the reference solution with one edit: a text replacement inside one graded function. It is
built from the solution at test time, so it stays self-contained (it can be graded in the
sandbox like a real submission) and cannot drift from the solution. Building one fails
loudly when its edit no longer applies.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from dataclasses import dataclass
from pathlib import Path

from kit.catalog import SOLUTIONS


@dataclass(frozen=True)
class Mutant:
    assignment: str
    module: str
    function: str  # the graded function that must lose points
    name: str
    old: str  # text inside `function`'s source in the solution
    new: str

    @property
    def id(self) -> str:
        return f"{self.assignment}-{self.name}"

    def source(self) -> str:
        solution = (SOLUTIONS / f"{self.module}.py").read_text()
        node = next(n for n in ast.parse(solution).body if isinstance(n, ast.FunctionDef) and n.name == self.function)
        lines = solution.splitlines(keepends=True)
        start, end = node.lineno - 1, node.end_lineno
        body = "".join(lines[start:end])
        if body.count(self.old) != 1:
            raise ValueError(f"mutant {self.id}: {self.old!r} occurs {body.count(self.old)} times in {self.function}()")
        return "".join(lines[:start]) + body.replace(self.old, self.new) + "".join(lines[end:])

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.module}.py"
        path.write_text(self.source())
        return path


def _collect() -> list[Mutant]:
    """Every `MUTANTS` list of the modules beside this one (one module per assignment)."""
    found: list[Mutant] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        found += importlib.import_module(f"{__name__}.{info.name}").MUTANTS
    return found


MUTANTS = _collect()

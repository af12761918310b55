"""Plausible wrong implementations ("mutants") that the grading tests must catch.

One module per assignment (`a02_softmax.py`, ...) holds a `MUTANTS` list. Each mutant is
the reference solution with one edit: a text replacement inside one graded function. It is
built from the solution at test time, so it stays self-contained (it can be graded in the
sandbox like a real submission) and cannot drift from the solution. Building one fails
loudly when its edit no longer applies.

Device-bound mutants (a tensor made without `device=`, `.cpu()` or `.cuda()` inside, a CPU
generator drawing for CUDA tensors, a `.numpy()` round trip) say in `caught_by` where they
are caught. "meta": the CPU-only check on PyTorch's meta device ("works on any device")
catches it on any machine (tests/test_device_check.py runs that check alone on each).
"cuda": nothing on a machine without CUDA can, because the meta device lets it through
(a CPU generator, a CPU matrix in a product, a CPU index in gather or index_select all work
there) or because it only misbehaves where CUDA is available. Those go in their module's
`CUDA_ONLY` list, not in `MUTANTS`: the CPU tests skip them (saying why) and check that
they really pass every CPU check; `benchmarks/device_check.py` asserts them caught on a GPU.
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
    caught_by: str = ""  # device-bound mutants only: "meta" (the CPU-only meta check catches it) or "cuda" (only CUDA can)

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


def _collect(name: str = "MUTANTS") -> list[Mutant]:
    """Every `name` list of the modules beside this one (one module per assignment)."""
    found: list[Mutant] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        found += getattr(importlib.import_module(f"{__name__}.{info.name}"), name, [])
    return found


MUTANTS = _collect()
CUDA_ONLY = _collect("CUDA_ONLY")  # caught_by="cuda": only a machine with CUDA catches them (benchmarks/device_check.py)

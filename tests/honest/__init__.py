"""Honest rewrites: correct implementations written differently from the reference solution.

The other direction of tests/mutants/: code that does the work, in another formulation, must
keep full marks. One module per assignment (`a02_softmax.py`, ...) holds a `HONEST` list of
`mutants.Mutant` records, each the solution with one text replacement inside one function (a
graded one or a helper of the module): float64 inside and cast back, log-sum-exp by hand,
einsum instead of a matrix product, torch.where, helper functions, loops over time steps,
kernel offsets, channels or parameters (never over batch elements). Each must pass every
public and hidden check (tests/test_honest.py) and call no routine its assignment forbids.
Their rounding differs from the solution's: that is the point, the tolerances must accept it.
"""

from __future__ import annotations

import importlib
import pkgutil

from mutants import Mutant


def _collect() -> list[Mutant]:
    """Every `HONEST` list of the modules beside this one (one module per assignment)."""
    found: list[Mutant] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        found += importlib.import_module(f"{__name__}.{info.name}").HONEST
    return found


HONEST = _collect()

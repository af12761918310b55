"""Negative controls: whole modules whose graded functions do nothing, generated from the records.

For every assignment and every `KIND` below, `source(assignment, kind)` is a self-contained
submission in which each graded function returns None, zeros, its first argument, a
constant or noise shaped like the reference solution's output, or in which no function is
defined at all and a module-level `__getattr__` answers every name. Under the scoring rule
(kit.scoring) each such function must score exactly 0, in-process and through the
sandboxed grader: a grade rises only with correct behaviour. New assignments get these
controls without any hand-written file. (The curriculum's graded functions are pure, so
"does nothing" for an in-place update is "returns None" here.)
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from kit.catalog import SOLUTIONS
from kit.spec import Assignment

# What every generated module starts with: finds an argument, shapes a constant or noise like a value.
HELPERS = '''
import torch


def _first_tensor(value):
    if isinstance(value, torch.Tensor):
        return value
    items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else ()
    for item in items:
        found = _first_tensor(item)
        if found is not None:
            return found
    return None


def _zeros_like_first_tensor(args, kwargs):
    found = _first_tensor((args, kwargs))
    return torch.zeros(()) if found is None else torch.zeros_like(found)


def _like(value, fill):
    """`value` with every number replaced by fill(tensor), keeping its structure, shapes and dtypes."""
    if isinstance(value, torch.Tensor):
        return fill(value.detach())
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        return float(fill(torch.zeros(())))
    if isinstance(value, int):
        return 0
    if isinstance(value, (bytes, bytearray)):
        return bytes(fill(torch.zeros(len(value), dtype=torch.uint8)).tolist())
    if isinstance(value, dict):
        return {key: _like(item, fill) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_like(item, fill) for item in value)
    if hasattr(value, "__next__"):  # a generator: its items, shaped alike
        return [_like(item, fill) for item in value]
    return value


def _constant(tensor):
    if tensor.dtype.is_floating_point or tensor.dtype.is_complex:
        return torch.full_like(tensor, 0.5)
    return torch.ones_like(tensor)


def _noise(tensor):
    if tensor.dtype.is_floating_point or tensor.dtype.is_complex:
        return torch.rand_like(tensor)
    if tensor.dtype == torch.bool:
        return torch.rand(tensor.shape, device=tensor.device) < 0.5
    return torch.randint_like(tensor, 0, 2 if tensor.dtype == torch.uint8 else 10)
'''

# kind -> the body of every graded function (`args`, `kwargs` are its arguments; `solution` the reference's twin)
BODIES = {
    "returns_none": "return None",
    "returns_zeros_like_first_tensor": "return _zeros_like_first_tensor(args, kwargs)",
    "returns_first_argument": "return args[0] if args else None",
    "returns_a_constant_of_the_right_shape": "return _like(solution(*args, **kwargs), _constant)",
    "returns_noise_of_the_right_shape": "return _like(solution(*args, **kwargs), _noise)",
}
GETATTR_ONLY = "defines_no_function_only_a_module_getattr"
KINDS = (*BODIES, GETATTR_ONLY)


@dataclass(frozen=True)
class Control:
    assignment: Assignment
    kind: str

    @property
    def id(self) -> str:
        return f"{self.assignment.id}-{self.kind}"

    def source(self) -> str:
        names = [f.name for f in self.assignment.functions]
        if self.kind == GETATTR_ONLY:
            return HELPERS + "\n\ndef __getattr__(name):\n    return lambda *args, **kwargs: torch.zeros(1)\n"
        body = BODIES[self.kind]
        parts = [HELPERS]
        if "solution(" in body:  # the reference, renamed so that its own calls reach the reference too
            futures, renamed = _renamed_solution(self.assignment.module, names)
            parts = [futures, HELPERS, renamed]
        for name in names:
            solution = f"    solution = _solution_{name}\n" if "solution(" in body else ""
            parts.append(f"\ndef {name}(*args, **kwargs):\n{solution}    {body}\n")
        return "\n".join(parts)


def _renamed_solution(module: str, names: list[str]) -> tuple[str, str]:
    """The solution's `from __future__` imports, and the rest of its source with each graded
    function `f` renamed `_solution_f`, calls included."""
    tree = ast.parse((SOLUTIONS / f"{module}.py").read_text(encoding="utf-8"))
    futures = [n for n in tree.body if isinstance(n, ast.ImportFrom) and n.module == "__future__"]
    tree.body = [n for n in tree.body if n not in futures]

    class Rename(ast.NodeTransformer):
        def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
            if node.name in names:
                node.name = f"_solution_{node.name}"
            return self.generic_visit(node)

        def visit_Name(self, node: ast.Name) -> ast.Name:
            if node.id in names:
                node.id = f"_solution_{node.id}"
            return node

    return "\n".join(ast.unparse(n) for n in futures), ast.unparse(Rename().visit(tree))


def controls(assignment: Assignment) -> list[Control]:
    return [Control(assignment, kind) for kind in KINDS]

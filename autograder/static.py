"""A static check for calls to the PyTorch routines an assignment re-implements.

The submission's source is parsed (never run) in the trusted grader. Imports and simple
aliases are resolved (`import torch.nn.functional as F`, `sm = torch.softmax`), tensor
methods are matched by name (`X.softmax(...)`), and dynamic look-ups that could hide a
forbidden routine (`getattr(torch, "soft" + "max")`, `eval`, `__import__`, `importlib`)
are flagged as such. A use inside a helper counts for every graded function that calls it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

DYNAMIC = {"eval", "exec", "compile", "__import__", "vars", "globals", "locals", "__builtins__"}


def forbidden_uses(source: str, forbidden: Iterable[str], functions: Iterable[str]) -> dict[str, list[str]]:
    """For each graded function, the forbidden routines (or dynamic look-ups) it reaches."""
    forbidden = tuple(forbidden)
    methods = {name.rsplit(".", 1)[1] for name in forbidden if name.startswith("torch.Tensor.")}
    tree = ast.parse(source)
    aliases = _aliases(tree)
    units: dict[str, ast.AST] = {}
    module_level: list[ast.AST] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            units[node.name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    units[target.id] = node.value
            module_level.append(node)
        else:
            module_level.append(node)

    direct = {name: _uses(node, aliases, forbidden, methods) for name, node in units.items()}
    references = {name: {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} & set(units) for name, node in units.items()}
    everywhere = sorted({use for node in module_level for use in _uses(node, aliases, forbidden, methods) if use.startswith("dynamic")})

    result: dict[str, list[str]] = {}
    for function in functions:
        seen, stack, found = set(), [function], set(everywhere)
        while stack:
            name = stack.pop()
            if name in seen or name not in units:
                continue
            seen.add(name)
            found |= direct[name]
            stack += references[name]
        if function in aliases and _is_forbidden(aliases[function], forbidden):
            found.add(aliases[function])
        if found:
            result[function] = sorted(found)
    return result


def _aliases(tree: ast.Module) -> dict[str, str]:
    """Names bound to dotted module paths: imports anywhere, plain assignments at top level."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    aliases[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            dotted = _dotted(node.value, aliases)
            if dotted:
                aliases[node.targets[0].id] = dotted
    return aliases


def _dotted(node: ast.AST, aliases: dict[str, str]) -> str | None:
    if isinstance(node, ast.Name):
        return aliases.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value, aliases)
        return f"{base}.{node.attr}" if base else None
    return None


def _is_forbidden(dotted: str, forbidden: tuple[str, ...]) -> bool:
    # torch.nn.functional is also reachable as torch.nn.functional via `from torch.nn import functional`
    return any(dotted == f or dotted.startswith(f + ".") for f in forbidden)


def _uses(root: ast.AST, aliases: dict[str, str], forbidden: tuple[str, ...], methods: set[str]) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(root):
        if isinstance(node, (ast.Name, ast.Attribute)):
            dotted = _dotted(node, aliases)
            if dotted and _is_forbidden(dotted, forbidden):
                found.add(dotted)
            elif dotted is None and isinstance(node, ast.Attribute) and node.attr in methods:
                found.add(f"torch.Tensor.{node.attr}")
            if isinstance(node, ast.Attribute) and node.attr in ("__dict__", "__getattribute__"):
                found.add(f"dynamic look-up ({node.attr})")
            if isinstance(node, ast.Name) and node.id in DYNAMIC:
                found.add(f"dynamic look-up ({node.id})")
            if dotted and dotted.split(".")[0] == "importlib":
                found.add("dynamic look-up (importlib)")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr" and node.args:
            target = _dotted(node.args[0], aliases)
            name = node.args[1] if len(node.args) > 1 else None
            if isinstance(name, ast.Constant) and isinstance(name.value, str):
                dotted = f"{target}.{name.value}" if target else None
                if dotted and _is_forbidden(dotted, forbidden):
                    found.add(dotted)
                elif name.value in methods:
                    found.add(f"torch.Tensor.{name.value}")
            elif target is None or target.split(".")[0] == "torch":
                found.add("dynamic look-up (getattr with a computed name)")
    return found

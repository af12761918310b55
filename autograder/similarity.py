"""Identical and near-identical submissions: pairs for the instructor to look at, never a verdict.

Each top-level function (and class) of a submission is parsed, never run, and normalised:
docstrings, comments, formatting and type annotations are dropped, and every name bound
inside it (arguments, locals, loop and comprehension variables, nested functions) is renamed
in order of first appearance, so that renaming `X` to `logits` or re-wording the comments
changes nothing. Names it reads from outside (`torch`, a helper), attribute names (`.exp`,
`.sum`), keyword names (`dim=`) and constants are kept: they are what the code does.

Two submissions are compared on the functions both have started (a function still equal to
the released stub, or one that only raises NotImplementedError, is left out: everyone who did
not start would match), matched by name. Their resemblance is the Jaccard index of the runs
of `SHINGLE` consecutive normalised tokens (Broder's shingles), over those functions together:
one changed token changes at most SHINGLE runs. A pair is listed when it reaches `THRESHOLD`
over at least `MIN_TOKENS` tokens on each side. Every pair is compared, with set operations on
hashed runs: 8.5 s for 1,000 near-copies of one solution (half a million pairs), where
difflib's ratio took 25 s for 400.
Short, canonical code (a one-line `accuracy`) is alike in honest work too: that is why the
report lists pairs to look at and says nothing about who copied whom.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

SHINGLE = 4  # the runs of tokens compared: a one-token edit changes at most this many of them
THRESHOLD = 0.7  # resemblance from which a pair is listed (measured: tests/test_class_report.py)
MIN_TOKENS = 40  # compared code shorter than this on either side is too common to mean anything


@dataclass(frozen=True)
class Unit:
    """One normalised top-level function or class."""

    dump: str  # the normalised tree (pre-order tokens with the sizes of their list fields): equal dumps, the same code
    tokens: tuple[str, ...]
    shingles: frozenset[int]  # hashes of its runs of SHINGLE tokens (ints: a set operation never rehashes them)


@dataclass(frozen=True)
class Pair:
    first: str
    second: str
    ratio: float  # resemblance: the share of the runs of SHINGLE tokens in either that are in both
    identical: tuple[str, ...]  # compared functions whose normalised code is the same
    compared: tuple[str, ...]  # the functions both had started
    tokens: int  # the compared tokens of the shorter side


_SKIPPED = frozenset({"annotation", "returns", "type_comment", "ctx", "type_params"})  # not what the code does
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _without_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    first = body[0] if body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return body[1:]
    return body


def _preorder(definition: ast.AST) -> list[tuple[ast.AST, str]]:
    """The nodes in pre-order, each with the sizes of its list fields (which make the order a tree again);
    annotations, docstrings and expression contexts left out."""
    found, stack = [], [definition]
    while stack:
        node = stack.pop()
        children, shape = [], []
        for name in node._fields:
            if name in _SKIPPED:
                continue
            value = getattr(node, name, None)
            if isinstance(value, list):
                if name == "body" and isinstance(node, _DEFINITIONS):
                    value = _without_docstring(value)
                items = [v for v in value if isinstance(v, ast.AST)]
                shape.append(str(len(items)))
                children += items
            elif isinstance(value, ast.AST):
                children.append(value)
        found.append((node, "/".join(shape)))
        stack.extend(reversed(children))
    return found


def _bound_names(nodes: list[tuple[ast.AST, str]], unit: ast.AST) -> set[str]:
    """Every name the unit binds inside itself; its own name (matched by name) and globals it declares are not."""
    bound, declared = set(), set()
    for node, _ in nodes:
        if isinstance(node, ast.Name):
            if not isinstance(node.ctx, ast.Load):
                bound.add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, _DEFINITIONS) and node is not unit:
            bound.add(node.name)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, ast.alias):
            bound.add(node.asname or node.name.split(".")[0])
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            declared.update(node.names)
    return bound - declared


def normalise(definition: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> Unit:
    """One pass over the tree: each node's type, with the name, attribute, keyword or constant it carries;
    a bound name by its order of first appearance (`_v0`, `_v1`, ...)."""
    nodes = _preorder(definition)
    bound = _bound_names(nodes, definition)
    canonical: dict[str, str] = {}

    def named(name: str) -> str:
        return canonical.setdefault(name, f"_v{len(canonical)}") if name in bound else name

    tokens, shapes = [], []
    for node, shape in nodes:
        label = type(node).__name__
        if isinstance(node, ast.Name):
            label += ":" + named(node.id)
        elif isinstance(node, ast.arg):
            label += ":" + named(node.arg)
        elif isinstance(node, ast.Constant):
            label += ":" + repr(node.value)[:80]
        elif isinstance(node, ast.Attribute):
            label += ":" + node.attr
        elif isinstance(node, ast.keyword):
            label += f":{node.arg}"
        elif isinstance(node, _DEFINITIONS):
            label += ":" + (node.name if node is definition else named(node.name))
        elif isinstance(node, ast.ExceptHandler) and node.name:
            label += ":" + named(node.name)
        elif isinstance(node, ast.alias):
            label += f":{node.name}:{named(node.asname or node.name.split('.')[0])}"
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            label += ":" + ",".join(node.names)
        elif isinstance(node, ast.ImportFrom):
            label += f":{node.module}:{node.level}"
        tokens.append(label)
        shapes.append(shape)
    shingles = frozenset(hash(tuple(tokens[i : i + SHINGLE])) for i in range(max(1, len(tokens) - SHINGLE + 1)))
    return Unit("\n".join(f"{token} {shape}" for token, shape in zip(tokens, shapes, strict=True)), tuple(tokens), shingles)


def _not_started(definition: ast.AST) -> bool:
    """A body that is only `pass`, `...` or `raise NotImplementedError(...)` (its docstring aside)."""
    body = _without_docstring(definition.body)
    if len(body) != 1:
        return not body
    only = body[0]
    if isinstance(only, ast.Pass) or (isinstance(only, ast.Expr) and isinstance(only.value, ast.Constant) and only.value.value is Ellipsis):
        return True
    raised = only.exc if isinstance(only, ast.Raise) else None
    raised = raised.func if isinstance(raised, ast.Call) else raised
    return isinstance(raised, ast.Name) and raised.id == "NotImplementedError"


def units(source: str, stub: dict[str, Unit] | None = None, names: Iterable[str] | None = None) -> dict[str, Unit]:
    """The submission's started top-level functions and classes by name (raises SyntaxError, ValueError).

    `stub`: the released stub's units; a unit equal to the stub's of its name is left out.
    `names`: only these.
    """
    found: dict[str, Unit] = {}
    wanted = None if names is None else set(names)
    for node in ast.parse(source).body:
        if not isinstance(node, _DEFINITIONS) or (wanted is not None and node.name not in wanted):
            continue
        found.pop(node.name, None)  # a later definition replaces an earlier one, as when the module runs
        if isinstance(node, ast.ClassDef) or not _not_started(node):
            unit = normalise(node)
            if stub is None or node.name not in stub or stub[node.name].dump != unit.dump:
                found[node.name] = unit
    return found


def compare(first: str, a: dict[str, Unit], second: str, b: dict[str, Unit], names: Iterable[str] | None = None) -> Pair | None:
    """How alike two submissions' started functions are (`names`: only these); None if they share none."""
    common = sorted((a.keys() & b.keys()) if names is None else (a.keys() & b.keys() & set(names)))
    if not common:
        return None
    shared = sum(len(a[n].shingles & b[n].shingles) for n in common)
    either = sum(len(a[n].shingles) + len(b[n].shingles) for n in common) - shared
    identical = tuple(n for n in common if a[n].dump == b[n].dump)
    shorter = min(sum(len(a[n].tokens) for n in common), sum(len(b[n].tokens) for n in common))
    return Pair(first, second, round(shared / either, 4) if either else 1.0, identical, tuple(common), shorter)


def flagged(pair: Pair | None) -> bool:
    return pair is not None and pair.ratio >= THRESHOLD and pair.tokens >= MIN_TOKENS


def similar_pairs(normalised: dict[str, dict[str, Unit]]) -> list[Pair]:
    """Every listed pair of a class (student -> its units), most alike first: all pairs, set operations only
    (a class of 1,000 is half a million pairs)."""
    students = sorted(normalised)
    sizes = {s: {n: (len(u.shingles), len(u.tokens)) for n, u in normalised[s].items()} for s in students}
    found = []
    for first, second in combinations(students, 2):
        a, b = normalised[first], normalised[second]
        common = a.keys() & b.keys()
        if not common:
            continue
        shared = sum(len(a[n].shingles & b[n].shingles) for n in common)
        either = sum(sizes[first][n][0] + sizes[second][n][0] for n in common) - shared
        if shared < THRESHOLD * either:  # the common case, decided without building a Pair
            continue
        pair = compare(first, a, second, b)
        if flagged(pair):
            found.append(pair)
    return sorted(found, key=lambda p: (-p.ratio, p.first, p.second))

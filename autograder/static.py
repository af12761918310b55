"""A static check for calls to the PyTorch routines an assignment re-implements.

The submission's source is parsed (never run) in the trusted grader. Imports and simple
aliases are resolved (`import torch.nn.functional as F`, `sm = torch.softmax`, `from torch
import *`), tensor methods are matched by name (`X.softmax(...)`), internal entry points of
a forbidden routine are matched by its name (`torch.ops.aten._softmax`,
`torch._C._VariableFunctions.softmax`, `torch.nn.modules.activation.Softmax`, `nn.NLLLoss`
for `nll_loss`), and dynamic look-ups that could hide a forbidden routine (`getattr(torch,
"soft" + "max")`, `eval`, `__import__`, `importlib`, `runpy`, `pydoc`, `operator.attrgetter`,
`inspect.getmembers`, `setattr`, `pickle`) are flagged as such. So is code this check cannot
read: an import of a module that is neither the standard library nor one of the course's
packages (a module the submission wrote at run time, say), a relative import, and any change
to `sys.path` or `sys.meta_path`. A use inside a helper counts for every graded function that
calls it. Code that runs at import and can rebind any name (module-level statements other than
plain expressions, decorators, default values, class bodies) counts for every graded function,
except under `if __name__ == "__main__":`, which never runs when graded; a plain top-level
expression (a notebook cell comparing with `torch.softmax(x, 0)`) counts only for its dynamic
look-ups and the helpers it calls that rebind globals.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable

DYNAMIC = {"eval", "exec", "compile", "__import__", "vars", "globals", "locals", "__builtins__", "setattr", "delattr"}
# modules that look routines up, load code or build it at run time: any use is flagged, by the module's name
DYNAMIC_MODULES = ("importlib", "pickle", "_pickle", "marshal", "runpy", "imp", "pkgutil", "zipimport", "pydoc", "code", "codeop")
# single routines (after alias resolution) that look an attribute up by a computed name or hand out a module's contents
DYNAMIC_ROUTINES = ("operator.attrgetter", "operator.methodcaller", "inspect.getmembers", "inspect.getmembers_static", "inspect.getattr_static")
DYNAMIC_DOTTED = DYNAMIC_MODULES + DYNAMIC_ROUTINES
# where Python looks for modules: changing them makes an import load code this check never read
IMPORT_STATE = ("sys.path", "sys.meta_path", "sys.path_hooks", "sys.path_importer_cache")
# uses of IMPORT_STATE that leave it as it is: list methods that only read, built-ins that only read their argument
READING_METHODS = {"index", "count", "copy", "__contains__", "__len__", "__iter__", "__getitem__"}
READING_CALLS = {"len", "list", "tuple", "set", "frozenset", "sorted", "enumerate", "reversed", "iter", "any", "all", "str", "repr", "print"}
# the packages the course installs and uses (pyproject.toml), and its own: a submission may import these and the
# standard library, and nothing else. Anything else is code this check never reads: a module the submission wrote at
# run time, or one with the routine the assignment forbids under another name (scipy.special.softmax). The course's
# own autograder and solutions are absent from the sandbox, which, not this check, stops their import there.
COURSE_PACKAGES = frozenset({
    "torch", "numpy", "matplotlib", "sklearn", "hypothesis", "pytest", "rich", "torchvision", "IPython",
    "kit", "datasets", "autograder", "solutions",
})
COMPOUND = (ast.If, ast.Try, ast.With, ast.For, ast.While, ast.AsyncWith, ast.AsyncFor) + ((ast.TryStar,) if hasattr(ast, "TryStar") else ())


def forbidden_uses(
    source: str, forbidden: Iterable[str], functions: Iterable[str], local_modules: Iterable[str] = ()
) -> dict[str, list[str]]:
    """For each graded function, the forbidden routines (or dynamic look-ups, or imports of unknown code) it reaches.

    `local_modules`: the names of the submission's own modules, which it may import.
    """
    forbidden = tuple(forbidden)
    methods = {name.rsplit(".", 1)[1] for name in forbidden if name.startswith("torch.Tensor.")}
    tree = ast.parse(source)
    aliases, stars = _aliases(tree)
    context = _Context(aliases, stars, forbidden, methods, frozenset(local_modules))
    units: dict[str, list[ast.AST]] = {}
    import_time: list[ast.AST] = []  # runs at import and may bind any name: counts for every graded function
    expressions: list[ast.AST] = []  # plain top-level expressions (a notebook's `torch.softmax(x, 0)` to compare)
    _collect(tree.body, units, import_time, expressions)

    direct = {name: set().union(*(_uses(node, context) for node in nodes)) for name, nodes in units.items()}
    references = {
        name: {n.id for node in nodes for n in ast.walk(node) if isinstance(n, ast.Name)} & set(units) for name, nodes in units.items()
    }
    everywhere = {use for node in import_time for use in _uses(node, context)}
    everywhere |= {use for node in expressions for use in _uses(node, context) if use.startswith("dynamic")}
    roots = _names(import_time) & set(units)  # whatever import-time code touches may end up bound to a graded name
    rebinding = {name for name, nodes in units.items() if any(isinstance(n, ast.Global) for node in nodes for n in ast.walk(node))}
    roots |= _names(expressions) & {name for name in units if name in rebinding or any(u.startswith("dynamic") for u in direct[name])}
    roots.add("__getattr__")  # a module __getattr__ answers for any graded name the module does not define

    result: dict[str, list[str]] = {}
    for function in functions:
        seen, stack, found = set(), [function, *roots], set(everywhere)
        while stack:
            name = stack.pop()
            if name in seen or name not in units:
                continue
            seen.add(name)
            found |= direct[name]
            stack += references[name]
        if function in aliases and context.is_forbidden(aliases[function]):
            found.add(aliases[function])
        if found:
            result[function] = sorted(found)
    return result


UNREADABLE = ("dynamic look-up", "dynamic import", "import of", "relative import")  # flags for code the check cannot read


def explain(function: str, uses: Iterable[str], verdict: str) -> str:
    """The student's one-line reason: a forbidden routine, or code that hides what it calls."""
    uses = list(uses)
    routines = [u for u in uses if not u.startswith(UNREADABLE)]
    hidden = [u for u in uses if u.startswith(UNREADABLE)]
    reasons = []
    if routines:
        reasons.append(f"{', '.join(routines)}, which this assignment asks you to implement yourself")
    if hidden:
        reasons.append(f"{', '.join(hidden)}, which hides what it calls from the check for forbidden routines")
    return f"{function}() uses {'; and '.join(reasons)}: {verdict}"


def _names(nodes: list[ast.AST]) -> set[str]:
    return {n.id for node in nodes for n in ast.walk(node) if isinstance(n, ast.Name)}


def _is_main_guard(node: ast.AST) -> bool:
    """`if __name__ == "__main__":`, whose body never runs when the module is imported for grading."""
    test = getattr(node, "test", None)
    return (
        isinstance(node, ast.If) and isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__"
        and len(test.comparators) == 1 and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value == "__main__"
    )


def _definition_time(node: ast.AST) -> list[ast.AST]:
    """What a def or class statement evaluates when it runs: decorators, defaults, bases, a class body's statements."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return [*node.decorator_list, *node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]
    found = [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]
    for statement in node.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found += _definition_time(statement)
        else:
            found.append(statement)
    return found


def _collect(body: list[ast.stmt], units: dict[str, list[ast.AST]], import_time: list[ast.AST], expressions: list[ast.AST]) -> None:
    """Sort top-level statements (also inside if/try/with/for/while) into named units and import-time code."""
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            units.setdefault(node.name, []).append(node)
            import_time += _definition_time(node)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [n.id for target in targets for n in ast.walk(target) if isinstance(n, ast.Name)]
            if names and all(isinstance(t, (ast.Name, ast.Tuple, ast.List)) for t in targets):
                for name in names:  # `a, b = x, y` binds both to (the whole of) the right-hand side
                    units.setdefault(name, []).append(node.value)
            else:  # `module.softmax = ...`, `globals()[...] = ...`: could bind anything
                import_time.append(node)
        elif _is_main_guard(node):
            _collect(node.orelse, units, import_time, expressions)
        elif isinstance(node, COMPOUND):
            import_time += [getattr(node, field) for field in ("test", "iter", "target") if getattr(node, field, None) is not None]
            import_time += list(getattr(node, "items", []))
            for field in ("body", "orelse", "finalbody"):
                _collect(getattr(node, field, []), units, import_time, expressions)
            for handler in getattr(node, "handlers", []):
                _collect(handler.body, units, import_time, expressions)
        elif isinstance(node, ast.Expr) and not any(isinstance(n, ast.NamedExpr) for n in ast.walk(node)):
            expressions.append(node)
        else:
            import_time.append(node)


def _aliases(tree: ast.Module) -> tuple[dict[str, str], list[str]]:
    """Names bound to dotted module paths (imports anywhere, plain assignments at top level), and star-imported modules."""
    aliases: dict[str, str] = {}
    stars: list[str] = []
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
                if alias.name == "*":
                    stars.append(node.module)
                else:
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            dotted = _dotted(node.value, aliases)
            if dotted:
                aliases[node.targets[0].id] = dotted
    return aliases, stars


def _dotted(node: ast.AST, aliases: dict[str, str]) -> str | None:
    if isinstance(node, ast.Name):
        return aliases.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value, aliases)
        return f"{base}.{node.attr}" if base else None
    return None


def _normalised(name: str) -> str:
    return name.lstrip("_").replace("_", "").lower()


class _Context:
    def __init__(self, aliases: dict[str, str], stars: list[str], forbidden: tuple[str, ...], methods: set[str], local: frozenset[str]):
        self.aliases, self.stars, self.forbidden, self.methods = aliases, stars, forbidden, methods
        self.importable = sys.stdlib_module_names | COURSE_PACKAGES | local
        # the routines' own names, e.g. "softmax", "nllloss": an internal entry point of torch with that name is the routine
        self.names = {_normalised(f.rsplit(".", 1)[-1]) for f in forbidden if f.startswith("torch.") and "." in f}

    def dotted(self, node: ast.AST) -> str | None:
        dotted = _dotted(node, self.aliases)
        if dotted is None and isinstance(node, ast.Name):  # `from torch import *`, then `logsumexp(...)`
            for module in self.stars:
                if self.is_forbidden(f"{module}.{node.id}"):
                    return f"{module}.{node.id}"
        return dotted

    def is_forbidden(self, dotted: str) -> bool:
        # torch.nn.functional is also reachable as torch.nn.functional via `from torch.nn import functional`
        if any(dotted == f or dotted.startswith(f + ".") for f in self.forbidden):
            return True
        parts = dotted.split(".")
        if parts[0] != "torch" or len(parts) < 2:
            return False
        # torch.ops.<namespace>.<op>[.<overload>]: the op's name decides; elsewhere the last name does
        name = parts[3] if parts[1] == "ops" and len(parts) >= 4 else parts[-1]
        return _normalised(name) in self.names


def _import_uses(node: ast.Import | ast.ImportFrom, context: _Context) -> set[str]:
    """Imports of modules that are neither the standard library nor the course's packages (nor the submission's own)."""
    if isinstance(node, ast.ImportFrom) and node.level:
        return {f"relative import (from {'.' * node.level}{node.module or ''} import ...)"}
    modules = [node.module or ""] if isinstance(node, ast.ImportFrom) else [alias.name for alias in node.names]
    return {
        f"import of {module.split('.')[0]} (neither the standard library nor a course package)"
        for module in modules if module.split(".")[0] not in context.importable
    }


def _changes(node: ast.AST, parents: dict[int, ast.AST]) -> bool:
    """Whether this use of `sys.path` (or another of IMPORT_STATE) may change it: anything but a plain read."""
    parent = parents.get(id(node))
    if isinstance(getattr(node, "ctx", None), (ast.Store, ast.Del)):  # sys.path = [...], sys.path += [...], del sys.path
        return True
    if isinstance(parent, ast.Subscript) and parent.value is node:  # sys.path[0] reads it; sys.path[0] = d changes it
        return not isinstance(parent.ctx, ast.Load)
    if isinstance(parent, ast.Attribute) and parent.value is node:  # sys.path.insert(0, d), .append, .extend, ...
        return parent.attr not in READING_METHODS
    if isinstance(parent, (ast.Compare, ast.Starred)) or (isinstance(parent, (ast.comprehension, ast.For)) and parent.iter is node):
        return False  # d in sys.path, [*sys.path], for d in sys.path
    if isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name) and parent.func.id in READING_CALLS:
        return False  # len(sys.path), list(sys.path)
    return True  # handed on (bound to a name, passed to a function): it may be changed where this check cannot see


def _uses(root: ast.AST, context: _Context) -> set[str]:
    found: set[str] = set()
    called = {id(node.func) for node in ast.walk(root) if isinstance(node, ast.Call)}
    parents = {id(child): node for node in ast.walk(root) for child in ast.iter_child_nodes(node)}
    for node in ast.walk(root):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found |= _import_uses(node, context)
        elif isinstance(node, (ast.Name, ast.Attribute)):
            dotted = context.dotted(node)
            if dotted and context.is_forbidden(dotted):
                found.add(dotted)
            elif dotted is None and isinstance(node, ast.Attribute) and node.attr in context.methods:
                found.add(f"torch.Tensor.{node.attr}")
            if isinstance(node, ast.Attribute) and node.attr in ("__dict__", "__getattribute__", "__setattr__"):
                found.add(f"dynamic look-up ({node.attr})")
            if isinstance(node, ast.Name) and node.id in DYNAMIC:
                found.add(f"dynamic look-up ({node.id})")
            if isinstance(node, ast.Name) and node.id == "getattr" and id(node) not in called:
                found.add("dynamic look-up (getattr passed as a value)")
            if dotted and any(dotted == d or dotted.startswith(d + ".") for d in DYNAMIC_DOTTED):
                found.add(f"dynamic look-up ({dotted.split('.')[0] if dotted.split('.')[0] in DYNAMIC_MODULES else dotted})")
            if dotted in IMPORT_STATE and _changes(node, parents):
                found.add(f"dynamic import (changes {dotted})")
            if dotted and dotted.startswith("builtins.") and dotted.split(".")[1] in DYNAMIC | {"getattr"}:
                found.add(f"dynamic look-up ({dotted})")
        elif isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute)) and node.args:
            func = node.func.id if isinstance(node.func, ast.Name) else context.dotted(node.func)
            if func not in ("getattr", "builtins.getattr"):
                continue
            target = context.dotted(node.args[0])
            name = node.args[1] if len(node.args) > 1 else None
            if isinstance(name, ast.Constant) and isinstance(name.value, str):
                dotted = f"{target}.{name.value}" if target else None
                if dotted and context.is_forbidden(dotted):
                    found.add(dotted)
                elif name.value in context.methods:
                    found.add(f"torch.Tensor.{name.value}")
            elif target is None or target.split(".")[0] == "torch":
                found.add("dynamic look-up (getattr with a computed name)")
    return found

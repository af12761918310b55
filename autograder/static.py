"""A static check for calls to the PyTorch routines an assignment re-implements: a first, advisory wall.

The submission's source is parsed (never run) in the trusted grader. What a graded call
really runs is judged later, by the aten ops it dispatches (kit.dispatch, kit.forbidden);
this check names the routine in the student's own words before anything runs, and refuses
what it cannot follow. It is an allow-list in spirit: the standard library and the course's
packages may be used, except the constructs in REFUSED and REFUSED_ATTRIBUTES below.

What it resolves. Every binding, in its scope (module, function, class): imports, `=`,
annotated and augmented assignments, tuple unpacking, for and comprehension targets,
`with ... as`, `:=`, match captures (a class pattern's `attr=name` is `subject.attr`),
parameters (their defaults, and the arguments of calls to the submission's own functions),
what its own functions return (properties, and the dunders an operation on an instance of its
own classes calls: `__enter__`, `__call__`, `__getitem__`, `__iter__`, `__add__`...), class
attributes and attributes stored on objects (matched by attribute name, whatever the object),
`getattr(x, "name")`, `sys.modules["name"]` and `sys.modules[__name__]`. A name
may hold several values; a use is forbidden when any of them is a forbidden routine, or a
module or class that contains one (`torch.nn.functional`, then `.cross_entropy` on it), and
it counts for every graded function that reaches it. Tensor methods are matched by name
(`X.softmax(...)`), internal entry points of a forbidden routine by its name
(`torch.ops.aten._softmax`, `torch._C._VariableFunctions.softmax`, `nn.NLLLoss` for
`nll_loss`; a private kernel by the routine name it contains, `torch._C._nn.nll_loss_nd`), and
a path through another module's `torch` (`kit.harness.torch.softmax`) is torch's.

What it refuses, as code that hides what it calls: the REFUSED table (modules and routines
that look names up by strings, hand out namespaces, frames or every object, build code, or
reach memory and the interpreter's C API; torch's private attributes and the routes around
the dispatcher), the REFUSED_ATTRIBUTES table (`__dict__`, `__globals__`, `__code__`,
`__subclasses__`, ...), `getattr` with a computed name, any use of `sys.modules` other than a
constant key or reading its names, a match class pattern with positional parts (it reads
attributes named by `__match_args__`), and a module or class that contains a forbidden
routine handed to code this check does not follow (`functools.partial(f, torch.nn.functional)`).
So is code it cannot read: an import of a module that is neither the standard library nor one
of the course's packages, a relative import, and any change to `sys.path` or `sys.meta_path`.
A refused name in an annotation or as the type of isinstance/issubclass runs nothing: allowed.

What it does not follow, and leaves to the runtime record: what the course's other packages
re-export under other names (`kit.something.F`), modules reached through values it does not
track (the result of a library call, a module attribute of a library object), raw memory
written without ctypes (`/proc/self/mem`), and anything the static reading of Python cannot
see at all. It over-approximates the other way: a name that may hold a module is taken to hold it.

Code that runs at import and can rebind any name (module-level statements other than plain
expressions, decorators, default values, class bodies) counts for every graded function,
except under `if __name__ == "__main__":`, which never runs when graded; a plain top-level
expression (a notebook cell comparing with `torch.softmax(x, 0)`) counts only for what hides
its calls and for the helpers it calls that rebind globals.
"""

from __future__ import annotations

import ast
import builtins
import sys
from collections.abc import Iterable

LOOKUP = "dynamic look-up"  # looks a routine up by a string, or hands out namespaces or objects the check cannot follow
BUILT = "code built at run time"  # makes or compiles code the check never read
INTERNAL = "torch internals"  # torch's private attributes and the routes around its dispatcher

# What is refused, and why: a dotted path refuses itself and everything under it, whatever name it is reached by
# (`from operator import attrgetter as g` is operator.attrgetter). The flag reads "<kind> (<path>)".
REFUSED: dict[str, tuple[str, str]] = {
    # import machinery: loads a module named by a string, or code the check never read
    **{module: (LOOKUP, "imports or loads code named by a string") for module in (
        "importlib", "imp", "_imp", "pkgutil", "zipimport", "runpy", "pydoc", "code", "codeop",
        "pickle", "_pickle", "marshal", "shelve", "copyreg")},
    # look-ups by a string
    "operator.attrgetter": (LOOKUP, "looks an attribute up by a string"),
    "operator.methodcaller": (LOOKUP, "calls a method named by a string"),
    "_operator": (LOOKUP, "operator's C half: attrgetter and methodcaller under another module"),
    "string.Formatter": (LOOKUP, "get_field and get_value look attributes up by a string"),
    "typing.get_type_hints": (LOOKUP, "evaluates string annotations: code in a string"),
    "typing.ForwardRef": (LOOKUP, "evaluates a string as code"),
    "inspect.get_annotations": (LOOKUP, "evaluates string annotations (eval_str)"),
    "inspect.getmembers": (LOOKUP, "hands out a module's contents by name"),
    "inspect.getmembers_static": (LOOKUP, "hands out a module's contents by name"),
    "inspect.getattr_static": (LOOKUP, "looks an attribute up by a string"),
    "inspect.getclosurevars": (LOOKUP, "hands out a function's globals and builtins"),
    "inspect.unwrap": (LOOKUP, "hands out the function a wrapper hides"),
    # frames and the garbage collector: every namespace and every object, the routine and the runtime check included
    **{name: (LOOKUP, "hands out frames, whose f_globals and f_locals are namespaces") for name in (
        "sys._getframe", "sys._current_frames", "sys.settrace", "sys.setprofile", "sys.monitoring",
        "threading.settrace", "threading.setprofile", "inspect.currentframe", "inspect.stack", "inspect.trace",
        "inspect.getouterframes", "inspect.getinnerframes", "traceback.walk_stack", "traceback.walk_tb")},
    **{name: (LOOKUP, "hands out every object the interpreter holds") for name in (
        "gc.get_objects", "gc.get_referents", "gc.get_referrers")},
    # memory and the interpreter's C API: ctypes.cast(id(x), ctypes.py_object), pythonapi.PyRun_SimpleString(...)
    "ctypes": (LOOKUP, "reads and writes memory and calls the interpreter's C API"),
    "_ctypes": (LOOKUP, "ctypes' C half"),
    # code objects and functions made at run time
    "types.FunctionType": (BUILT, "makes a function from a code object and any globals"),
    "types.LambdaType": (BUILT, "types.FunctionType under another name"),
    "types.CodeType": (BUILT, "makes a code object"),
    # torch's routes around its own dispatcher or the check (private attributes, torch._*, are refused by rule)
    "torch.ops": (INTERNAL, "the op registry: any kernel by name"),
    "torch.library": (INTERNAL, "registers kernels for any op"),
    "torch.overrides": (INTERNAL, "intercepts torch functions"),
    "torch.classes": (INTERNAL, "the registry of C++ classes"),
    "torch.compile": (BUILT, "compiles code into kernels the dispatcher never sees"),
    "torch.jit": (BUILT, "compiles code, also from strings"),
    "torch.fx": (BUILT, "builds and rewrites code as graphs"),
    "torch.export": (BUILT, "builds and rewrites code as graphs"),
    "torch.package": (BUILT, "loads pickled code"),
    "torch.hub": (BUILT, "loads code from elsewhere"),
    "torch.utils.cpp_extension": (BUILT, "compiles C++ from strings"),
}
# Attributes refused on any object: they hand out namespaces, code, the objects behind a function, or class trees
REFUSED_ATTRIBUTES: dict[str, tuple[str, str]] = {
    **{name: (LOOKUP, "a namespace, or look-ups by a string") for name in (
        "__dict__", "__getattribute__", "__getattr__", "__setattr__", "__delattr__", "__globals__", "__builtins__",
        "__import__", "__loader__", "f_globals", "f_locals", "f_builtins")},
    **{name: (LOOKUP, "the objects behind a function or method") for name in (
        "__closure__", "cell_contents", "__self__", "__wrapped__")},
    **{name: (LOOKUP, "the class tree, where every class can be found (nn.Module.__subclasses__())") for name in (
        "__subclasses__", "__mro__", "__bases__", "__base__")},
    "__code__": (BUILT, "a function's code, which __code__.replace and assignment rewrite"),
}
# built-ins that are looked up by name: any use is flagged
DYNAMIC = {"eval", "exec", "compile", "__import__", "vars", "globals", "locals", "__builtins__", "setattr", "delattr"}
# where Python looks for modules: changing them makes an import load code this check never read
IMPORT_STATE = ("sys.path", "sys.meta_path", "sys.path_hooks", "sys.path_importer_cache")
# uses of IMPORT_STATE (and of sys.modules) that leave it as it is: list methods that only read, built-ins that only read
READING_METHODS = {"index", "count", "copy", "__contains__", "__len__", "__iter__", "__getitem__"}
READING_CALLS = {"len", "list", "tuple", "set", "frozenset", "sorted", "enumerate", "reversed", "iter", "any", "all", "str", "repr", "print"}
NAMES_OF_MODULES = {"keys", "__contains__", "__len__", "__iter__"}  # sys.modules methods that give module names only
# built-ins whose result is (elements of) their arguments, and built-ins that look at an argument without handing it on
PASS_THROUGH = {"next", "iter", "list", "tuple", "set", "frozenset", "sorted", "reversed", "min", "max", "enumerate", "zip", "dict"}
INSPECTING = {"isinstance", "issubclass", "type", "id", "print", "repr", "str", "hasattr", "callable", "hash", "len", "bool", "format"}
BUILTIN_TYPES = {"bool", "bytearray", "bytes", "dict", "float", "frozenset", "int", "list", "set", "str", "tuple"}  # match themselves
BUILTINS = frozenset(dir(builtins))
# the packages the course installs and uses (pyproject.toml), and its own: a submission may import these and the
# standard library, and nothing else. Anything else is code this check never reads: a module the submission wrote at
# run time, or one with the routine the assignment forbids under another name (scipy.special.softmax). The course's
# own autograder and solutions are absent from the sandbox, which, not this check, stops their import there.
COURSE_PACKAGES = frozenset({
    "torch", "numpy", "matplotlib", "sklearn", "hypothesis", "pytest", "rich", "torchvision", "IPython",
    "kit", "datasets", "autograder", "solutions",
})
COMPOUND = (ast.If, ast.Try, ast.With, ast.For, ast.While, ast.AsyncWith, ast.AsyncFor) + ((ast.TryStar,) if hasattr(ast, "TryStar") else ())
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
MAX_DEPTH = 12  # dotted paths longer than this are dropped (`x = x.next` in a loop would grow them forever)
MAX_VALUES = 64  # values kept per name
MAX_ROUNDS = 40  # rounds of the fixpoint over the bindings
MAX_NESTING = 150  # levels of one expression followed (honest code nests a few)


def forbidden_uses(
    source: str, forbidden: Iterable[str], functions: Iterable[str], local_modules: Iterable[str] = ()
) -> dict[str, list[str]]:
    """For each graded function, the forbidden routines (or code that hides what it calls, or imports of unknown code) it reaches.

    `local_modules`: the names of the submission's own modules, which it may import.
    """
    forbidden, functions = tuple(forbidden), list(functions)
    tree = ast.parse(source)
    try:
        return _forbidden_uses(tree, forbidden, functions, frozenset(local_modules))
    except RecursionError:  # deeper than this check follows (the parser itself allows a few thousand levels)
        return {function: [TOO_DEEP] for function in functions}


TOO_DEEP = f"{LOOKUP} (code nested too deeply to follow)"


def _forbidden_uses(tree: ast.Module, forbidden: tuple[str, ...], functions: list[str], local: frozenset[str]) -> dict[str, list[str]]:
    context = _Context(tree, forbidden, local)
    units: dict[str, list[ast.AST]] = {}
    import_time: list[ast.AST] = []  # runs at import and may bind any name: counts for every graded function
    expressions: list[ast.AST] = []  # plain top-level expressions (a notebook's `torch.softmax(x, 0)` to compare)
    _collect(tree.body, units, import_time, expressions)

    direct = {name: set().union(*(context.uses(node) for node in nodes)) for name, nodes in units.items()}
    references = {
        name: {n.id for node in nodes for n in ast.walk(node) if isinstance(n, ast.Name)} & set(units) for name, nodes in units.items()
    }
    everywhere = {use for node in import_time for use in context.uses(node)}
    everywhere |= {use for node in expressions for use in context.uses(node) if use.startswith(HIDING)}
    roots = _names(import_time) & set(units)  # whatever import-time code touches may end up bound to a graded name
    rebinding = {name for name, nodes in units.items() if any(isinstance(n, ast.Global) for node in nodes for n in ast.walk(node))}
    roots |= _names(expressions) & {name for name in units if name in rebinding or any(u.startswith(HIDING) for u in direct[name])}
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
        found |= {v for v in context.module.values.get(function, ()) if context.is_forbidden(v)}  # from torch import softmax
        if context.too_deep:
            found.add(TOO_DEEP)
        if found:
            result[function] = sorted(found)
    return result


UNREADABLE = ("dynamic look-up", "dynamic import", "import of", "relative import", BUILT, INTERNAL)  # code the check cannot read
HIDING = (LOOKUP, "dynamic import", BUILT, INTERNAL)  # what a plain top-level expression may do that counts for every function


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


# ---------------------------------------------------------------- what each name may hold


def _join(base: str, attr: str) -> str | None:
    """`base.attr`, where a path through another module's `torch` is torch's own (`kit.harness.torch.softmax`)."""
    if base.count(".") >= MAX_DEPTH:
        return None
    return "torch" if attr == "torch" else f"{base}.{attr}"


def _elements(values: set[str]) -> set[str]:
    """What an element of (a container holding) `values` may be: the values themselves, as literal containers are
    their elements here, but not what is inside sys.path, sys.modules...: strings, or a module only a key names."""
    return {v for v in values if v.split(".")[0] != "sys"}


OWN = "@module"  # the submission's own module, as sys.modules[__name__]


def _module_key(node: ast.AST) -> str | None:
    """The module a constant key of sys.modules names: "torch.nn.functional", or __name__ (the submission's own)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return OWN if isinstance(node, ast.Name) and node.id == "__name__" else None


def _is_private(name: str) -> bool:
    """`_C`, `_fused_adam_`: a private attribute; `__version__` (a dunder) is not."""
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _is_local(value: str) -> bool:
    """A value that is one of the submission's own functions, lambdas or classes ("@<id>"), not a dotted path."""
    return value.startswith("@")


class _Scope:
    """A module, function (or lambda) or class body: the names bound in it and what each may hold."""

    def __init__(self, kind: str, parent: _Scope | None, node: ast.AST | None = None):
        self.kind, self.parent, self.node = kind, parent, node
        self.bound: set[str] = set()
        self.global_names: set[str] = set()
        self.nonlocal_names: set[str] = set()
        self.values: dict[str, set[str]] = {}


class _Context:
    """The bindings of one submission, resolved to a fixpoint, and the judgement of each name and attribute in it."""

    def __init__(self, tree: ast.Module, forbidden: tuple[str, ...], local: frozenset[str]):
        self.forbidden, self.local = forbidden, local
        self.methods = {name.rsplit(".", 1)[1] for name in forbidden if name.startswith("torch.Tensor.")}
        self.importable = sys.stdlib_module_names | COURSE_PACKAGES | local
        # the routines' own names, e.g. "softmax", "nllloss": an entry point of torch with that name is the routine
        # (nn.NLLLoss for nll_loss). A forbidden class names only itself, and internal entry points: nn.Conv2d forbidden
        # leaves F.conv2d allowed (assignment 14), while torch.ops.aten.conv2d is refused anyway.
        named = [f.rsplit(".", 1)[-1] for f in forbidden if f.startswith("torch.") and "." in f]
        self.names = {_normalised(n) for n in named if not n.lstrip("_")[:1].isupper()}
        self.internal_names = self.names | {_normalised(n) for n in named}
        self.module = _Scope("module", None, tree)
        self.scope_of: dict[int, _Scope] = {}
        self.defs: dict[str, ast.AST] = {}  # "@<id>" -> the def, lambda or class
        self.def_scopes: dict[str, _Scope] = {}  # "@<id>" of a def or lambda -> its own scope
        self.in_class: set[str] = set()  # defs directly in a class body (methods)
        self.fields: dict[str, set[str]] = {}  # attribute name -> what was stored under it on any object or class
        self.returns: dict[str, set[str]] = {}
        self.synthetic: dict[int, list[ast.Attribute]] = {}  # getattr(x, "a") and match's C(a=...) as the attribute x.a
        self.refused_patterns: set[int] = set()  # match class patterns with positional parts
        self.annotations: set[int] = set()  # nodes inside annotations: naming a type there runs nothing
        self.stars: list[str] = []
        self.too_deep = False  # an expression nested deeper than MAX_NESTING: not followed, so every function is flagged
        self.sites: list[tuple] = []  # what the fixpoint evaluates: (kind, ...)
        # each node's parent, for how a use is used (`for p in sys.path` reads it): once for the module, not per unit
        self.parents = {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        self._visit(tree, self.module)
        self._solve()

    # -------------------------------------------------------- the pre-pass: scopes and binding sites

    def _visit(self, node: ast.AST, scope: _Scope) -> None:
        self.scope_of[id(node)] = scope
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            self._definition(node, scope)
            return
        if isinstance(node, ast.Global):
            scope.global_names |= set(node.names)
        elif isinstance(node, ast.Nonlocal):
            scope.nonlocal_names |= set(node.names)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            self._import(node, scope)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                self._target(target, node.value, scope)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and node.value is not None:
            self._target(node.target, node.value, scope)
        if isinstance(node, ast.AnnAssign):
            self.annotations |= {id(n) for n in ast.walk(node.annotation)}
        elif isinstance(node, ast.NamedExpr):
            self._target(node.target, node.value, scope)
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            self._target(node.target, node.iter, scope, element=True)
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:  # what __enter__ returns, too
            self._target(node.optional_vars, node.context_expr, scope, element=True)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            scope.bound.add(node.name)
        elif isinstance(node, ast.Match):
            for case in node.cases:
                self._pattern(case.pattern, node.subject, scope)
        elif isinstance(node, (ast.Return, ast.Yield, ast.YieldFrom)) and node.value is not None and scope.node is not None:
            if scope.kind == "function":
                self.sites.append(("return", self._key(scope.node), node.value, scope))
        elif isinstance(node, ast.Call):
            self.sites.append(("call", node, scope))
            if self._is_getattr(node, scope) and len(node.args) > 1 and isinstance(node.args[1], ast.Constant) \
                    and isinstance(node.args[1].value, str):
                self._synthesise(node, node.args[0], node.args[1].value, scope)
        for child in ast.iter_child_nodes(node):
            self._visit(child, scope)

    def _definition(self, node: ast.AST, scope: _Scope) -> None:
        key = self._key(node)
        self.defs[key] = node
        for part in [*getattr(node, "decorator_list", []), *getattr(node, "bases", []), *(k.value for k in getattr(node, "keywords", []))]:
            self._visit(part, scope)
        if isinstance(node, ast.ClassDef):
            body = _Scope("class", scope, node)
            self._bind_name(node.name, {key}, scope)
            for statement in node.body:
                if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    self.in_class.add(self._key(statement))
                self._visit(statement, body)
            return
        arguments = node.args
        for default in [*arguments.defaults, *(d for d in arguments.kw_defaults if d is not None)]:
            self._visit(default, scope)
        own = _Scope("function", scope, node)
        self.def_scopes[key] = own
        if not isinstance(node, ast.Lambda):
            self._bind_name(node.name, {key}, scope)
            annotations = [a.annotation for a in [arguments.vararg, arguments.kwarg, *arguments.posonlyargs, *arguments.args,
                                                  *arguments.kwonlyargs] if a is not None and a.annotation is not None]
            for annotation in [*annotations, *([node.returns] if node.returns is not None else [])]:
                self.annotations |= {id(n) for n in ast.walk(annotation)}
                self._visit(annotation, scope)
        parameters = [*arguments.posonlyargs, *arguments.args]
        for parameter, default in zip(parameters[len(parameters) - len(arguments.defaults):], arguments.defaults, strict=True):
            self.sites.append(("bind", own, parameter.arg, default, scope))
        for parameter, default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True):
            if default is not None:
                self.sites.append(("bind", own, parameter.arg, default, scope))
        for parameter in [*parameters, *arguments.kwonlyargs, arguments.vararg, arguments.kwarg]:
            if parameter is not None:
                own.bound.add(parameter.arg)
                self.scope_of[id(parameter)] = own
        if isinstance(node, ast.Lambda):
            self.sites.append(("return", key, node.body, own))
            self._visit(node.body, own)
        else:
            for statement in node.body:
                self._visit(statement, own)

    def _import(self, node: ast.Import | ast.ImportFrom, scope: _Scope) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    self._bind_name(alias.asname, {alias.name}, scope)
                else:
                    top = alias.name.split(".")[0]
                    self._bind_name(top, {top}, scope)
        elif node.module and node.level == 0:
            for alias in node.names:
                if alias.name == "*":
                    self.stars.append(node.module)
                else:
                    self._bind_name(alias.asname or alias.name, {f"{node.module}.{alias.name}"}, scope)

    def _target(self, target: ast.AST, value: ast.AST, scope: _Scope, element: bool = False) -> None:
        """Record that `target` is bound to `value` (an element of it: a for target); a literal tuple unpacks one by one."""
        if not element and isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List)) \
                and len(target.elts) == len(value.elts) and not any(isinstance(e, ast.Starred) for e in [*target.elts, *value.elts]):
            for t, v in zip(target.elts, value.elts, strict=True):
                self._target(t, v, scope)
            return
        for name in _bound_names(target):
            self._declare(name, scope)
        self.sites.append(("assign", target, value, scope, element))

    def _declare(self, name: str, scope: _Scope) -> None:
        self._store_scope(name, scope).bound.add(name)

    def _bind_name(self, name: str, values: set[str], scope: _Scope) -> None:
        self._declare(name, scope)
        self.sites.append(("constant", name, frozenset(values), scope))

    def _pattern(self, pattern: ast.AST, subject: ast.AST, scope: _Scope) -> None:
        """Match captures: `case C(a=x)` binds x to subject.a; sequences and mappings bind (elements of) the subject."""
        if isinstance(pattern, (ast.MatchAs, ast.MatchStar)) and pattern.name:
            self._declare(pattern.name, scope)
            self.sites.append(("assign", ast.Name(pattern.name, ast.Store()), subject, scope, False))
        if isinstance(pattern, ast.MatchMapping) and pattern.rest:
            self._declare(pattern.rest, scope)
            self.sites.append(("assign", ast.Name(pattern.rest, ast.Store()), subject, scope, False))
        if isinstance(pattern, ast.MatchClass):
            for attr, sub in zip(pattern.kwd_attrs, pattern.kwd_patterns, strict=True):
                self._pattern(sub, self._synthesise(pattern, subject, attr, scope), scope)
            if pattern.patterns and not (isinstance(pattern.cls, ast.Name) and pattern.cls.id in BUILTIN_TYPES):
                self.refused_patterns.add(id(pattern))  # unless cls is one of the submission's classes (checked in uses)
            for sub in pattern.patterns:
                self._pattern(sub, subject, scope)
            return
        for sub in [getattr(pattern, "pattern", None), *getattr(pattern, "patterns", []), *getattr(pattern, "values", [])]:
            if sub is not None:
                self._pattern(sub, subject, scope)

    def _synthesise(self, owner: ast.AST, value: ast.AST, attr: str, scope: _Scope) -> ast.Attribute:
        """`value.attr` as an attribute node of its own, judged with `owner` (a getattr call, a class pattern)."""
        node = ast.copy_location(ast.Attribute(value=value, attr=attr, ctx=ast.Load()), owner)
        self.scope_of[id(node)] = scope
        self.synthetic.setdefault(id(owner), []).append(node)
        return node

    def _is_getattr(self, node: ast.Call, scope: _Scope) -> bool:
        func = node.func
        if isinstance(func, ast.Name) and func.id == "getattr" and not self._is_bound(func.id, scope):
            return bool(node.args)
        return isinstance(func, ast.Attribute) and func.attr == "getattr" and isinstance(func.value, ast.Name) \
            and func.value.id == "builtins" and bool(node.args)

    @staticmethod
    def _key(node: ast.AST) -> str:
        return f"@{id(node)}"

    # -------------------------------------------------------- scopes

    def _store_scope(self, name: str, scope: _Scope) -> _Scope:
        if name in scope.global_names:
            return self.module
        if name in scope.nonlocal_names:
            outer = scope.parent
            while outer is not None and (outer.kind != "function" or name not in outer.bound):
                outer = outer.parent
            return outer or self.module
        return scope

    def _lookup_scope(self, name: str, scope: _Scope) -> _Scope | None:
        """The scope whose binding of `name` a use in `scope` sees (class bodies are skipped from nested functions)."""
        if name in scope.global_names:
            return self.module
        current, first = scope, True
        while current is not None:
            if (first or current.kind != "class") and (name in current.bound or name in current.nonlocal_names):
                return self._store_scope(name, current)
            current, first = current.parent, False
        return None

    def _is_bound(self, name: str, scope: _Scope) -> bool:
        return self._lookup_scope(name, scope) is not None

    # -------------------------------------------------------- the fixpoint

    def _solve(self) -> None:
        for _ in range(MAX_ROUNDS):
            changed = False
            for site in self.sites:
                changed |= self._apply(site)
            if not changed:
                return

    def _apply(self, site: tuple) -> bool:
        kind = site[0]
        if kind == "constant":
            _, name, values, scope = site
            return self._store(name, values, scope)
        if kind == "assign":
            _, target, value, scope, element = site
            values = self.resolve(value, scope)
            return self._assign(target, self._element(values) if element else values, scope)
        if kind == "bind":
            _, own, name, value, scope = site
            return self._add(own.values, name, self.resolve(value, scope))
        if kind == "return":
            _, key, value, scope = site
            return self._add(self.returns, key, self.resolve(value, scope))
        _, call, scope = site  # arguments of a call to the submission's own function bind its parameters
        changed = False
        for callee in self.resolve(call.func, scope):
            node = self.defs.get(callee)
            if isinstance(node, ast.ClassDef):
                init = next((s for s in node.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == "__init__"), None)
                node, callee, skip = init, self._key(init) if init else None, 1
            else:
                skip = 1 if callee in self.in_class and isinstance(call.func, ast.Attribute) and not _decorated(node, "staticmethod") else 0
            if node is None or callee not in self.def_scopes:
                continue
            changed |= self._bind_arguments(node.args, self.def_scopes[callee], call, scope, skip)
        return changed

    def _bind_arguments(self, arguments: ast.arguments, own: _Scope, call: ast.Call, scope: _Scope, skip: int) -> bool:
        changed = False
        positional = [*arguments.posonlyargs, *arguments.args][skip:]
        by_name = {p.arg: p for p in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]}
        for i, argument in enumerate(call.args):
            values = self.resolve(argument, scope)
            if isinstance(argument, ast.Starred):  # *xs: any parameter from here on
                targets = [p.arg for p in positional[i:]] + ([arguments.vararg.arg] if arguments.vararg else [])
            elif i < len(positional):
                targets = [positional[i].arg]
            else:
                targets = [arguments.vararg.arg] if arguments.vararg else []
            for name in targets:
                changed |= self._add(own.values, name, values)
        for keyword in call.keywords:
            values = self.resolve(keyword.value, scope)
            if keyword.arg is None:  # **kw: any parameter
                targets = list(by_name) + ([arguments.kwarg.arg] if arguments.kwarg else [])
            elif keyword.arg in by_name:
                targets = [keyword.arg]
            else:
                targets = [arguments.kwarg.arg] if arguments.kwarg else []
            for name in targets:
                changed |= self._add(own.values, name, values)
        return changed

    def _store(self, name: str, values: Iterable[str], scope: _Scope) -> bool:
        store = self._store_scope(name, scope)
        changed = self._add(store.values, name, values)
        if store.kind == "class":  # a class attribute or method: reachable as C.name and self.name
            changed |= self._add(self.fields, name, values)
        return changed

    def _assign(self, target: ast.AST, values: set[str], scope: _Scope) -> bool:
        if isinstance(target, ast.Name):
            return self._store(target.id, values, scope)
        if isinstance(target, (ast.Tuple, ast.List)):
            return any([self._assign(e, self._element(values), scope) for e in target.elts])
        if isinstance(target, ast.Starred):
            return self._assign(target.value, values, scope)
        if isinstance(target, ast.Attribute):  # obj.name = value: reachable as anything.name
            changed = self._add(self.fields, target.attr, values)
            if any(v == OWN or v in self.local for v in self.resolve(target.value, scope)):  # sys.modules[__name__].f = ...
                changed |= self._add(self.module.values, target.attr, values)
            return changed
        if isinstance(target, ast.Subscript):  # d[k] = value: d holds it
            return self._assign(target.value, values, scope) if isinstance(target.value, (ast.Name, ast.Attribute)) else False
        return False

    @staticmethod
    def _add(table: dict[str, set[str]], key: str, values: Iterable[str]) -> bool:
        held = table.setdefault(key, set())
        new = {v for v in values if v not in held}
        if not new or len(held) >= MAX_VALUES:
            return False
        held |= set(sorted(new)[: MAX_VALUES - len(held)])
        return True

    # -------------------------------------------------------- what an expression may be

    def resolve(self, node: ast.AST, scope: _Scope | None = None, depth: int = 0) -> set[str]:
        """The values `node` may hold: dotted paths ("torch.nn.functional") and the submission's own definitions ("@<id>")."""
        scope = scope or self.scope_of.get(id(node), self.module)
        if depth > MAX_NESTING:
            self.too_deep = True
            return set()
        again = lambda child: self.resolve(child, self.scope_of.get(id(child), scope), depth + 1)  # noqa: E731
        if isinstance(node, ast.Name):
            return self._name(node.id, scope)
        if isinstance(node, ast.Attribute):
            found: set[str] = set()
            base = again(node.value)
            for value in base:
                if value in self.local or value == OWN:  # the submission's own module: its globals
                    found |= self.module.values.get(node.attr, set())
                elif not _is_local(value) and (joined := _join(value, node.attr)):
                    found.add(joined)
            if not base or any(_is_local(v) for v in base):  # an object or class of the submission's: what was stored on any
                stored = self.fields.get(node.attr, set())
                found |= stored | self._returns(stored) | self._protocol(base)  # a property returns; __getattr__, __get__
            return found
        if isinstance(node, ast.Call):
            if id(node) in self.synthetic:  # getattr(x, "a")
                return again(self.synthetic[id(node)][0])
            found = set()
            callees = again(node.func)
            found |= self._returns(callees) | self._protocol(callees)  # a function's result; an instance's __call__
            found |= {c for c in callees if isinstance(self.defs.get(c), ast.ClassDef)}  # an instance: its attributes are the class's
            if "sys.modules.get" in callees and node.args and (key := _module_key(node.args[0])):
                found.add(key)
            if isinstance(node.func, ast.Name) and node.func.id in PASS_THROUGH and not self._is_bound(node.func.id, scope):
                for argument in [*node.args, *(k.value for k in node.keywords)]:
                    found |= self._element(again(argument))
            return found
        if isinstance(node, ast.Subscript):
            base = again(node.value)
            found = self._element(base)  # an element of a container: (any of) what it holds; __getitem__
            if "sys.modules" in base and (key := _module_key(node.slice)):
                found.add(key)
            return found
        if isinstance(node, ast.Lambda):
            return {self._key(node)}
        children: list[ast.AST] = []
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            children = node.elts
        elif isinstance(node, ast.Dict):
            children = node.values
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
            children = [node.elt]
        elif isinstance(node, ast.DictComp):
            children = [node.value]
        elif isinstance(node, ast.IfExp):
            children = [node.body, node.orelse]
        elif isinstance(node, ast.BoolOp):
            children = node.values
        elif isinstance(node, (ast.NamedExpr, ast.Starred)):
            children = [node.value]
        elif isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Compare, ast.Await)):  # an operator on an instance: its dunders
            operands = [getattr(node, f) for f in ("left", "right", "operand", "value") if hasattr(node, f)]
            return self._protocol(set().union(*(again(o) for o in [*operands, *getattr(node, "comparators", [])])))
        return set().union(*(again(child) for child in children))

    def _returns(self, values: Iterable[str]) -> set[str]:
        """What the submission's functions among `values` return."""
        return set().union(*(self.returns.get(v, set()) for v in values if v in self.def_scopes))

    def _protocol(self, values: set[str]) -> set[str]:
        """What an operation on an instance of the submission's own classes may give: what any of its dunder methods
        (__enter__, __call__, __getitem__, __iter__, __add__, __get__, __getattr__, ...) returns."""
        if not any(isinstance(self.defs.get(v), ast.ClassDef) for v in values):
            return set()
        return self._returns(d for name, held in self.fields.items() if name.startswith("__") and name.endswith("__") for d in held)

    def _element(self, values: set[str]) -> set[str]:
        """An element of `values` (a for target, an unpacked name, a subscript, a with target), __iter__ and kin included."""
        return _elements(values) | self._protocol(values)

    def _name(self, name: str, scope: _Scope) -> set[str]:
        owner = self._lookup_scope(name, scope)
        if owner is not None:
            return set(owner.values.get(name, set()))
        if name in BUILTINS:
            return set()
        return {f"{module}.{name}" for module in self.stars}  # `from torch import *`, then `logsumexp` or `nn`

    # -------------------------------------------------------- judgement

    def is_forbidden(self, dotted: str) -> bool:
        if _is_local(dotted):
            return False
        # torch.nn.functional is also reachable as torch.nn.functional via `from torch.nn import functional`
        if any(dotted == f or dotted.startswith(f + ".") for f in self.forbidden):
            return True
        parts = dotted.split(".")
        if parts[0] != "torch" or len(parts) < 2:
            return False
        # torch.ops.<namespace>.<op>[.<overload>]: the op's name decides; elsewhere the last name does
        name = _normalised(parts[3] if parts[1] == "ops" and len(parts) >= 4 else parts[-1])
        if name in self.names:
            return True
        # a private kernel (refused anyway) is named for the routine whose name it contains: torch._C._nn.nll_loss_nd
        internal = parts[1] == "ops" or any(_is_private(p) for p in parts[1:])
        return internal and any(len(routine) >= 4 and routine in name for routine in self.internal_names)

    def is_container(self, dotted: str) -> bool:
        """A module or class with a forbidden routine inside (torch, torch.nn.functional), torch.Tensor aside (its methods
        are matched by name wherever they are used)."""
        return not _is_local(dotted) and dotted != "torch.Tensor" and not self.is_forbidden(dotted) \
            and any(f.startswith(dotted + ".") for f in self.forbidden)

    def refusal(self, dotted: str) -> str | None:
        """The flag for a refused path (REFUSED, or a private attribute of torch), or None."""
        parts = dotted.split(".")
        for i in range(len(parts), 0, -1):
            prefix = ".".join(parts[:i])
            if prefix in REFUSED:
                return f"{REFUSED[prefix][0]} ({prefix})"
        if parts[0] == "torch":
            for i, part in enumerate(parts[1:], 1):
                if _is_private(part):
                    return f"{INTERNAL} ({'.'.join(parts[: i + 1])})"
        return None

    def uses(self, root: ast.AST) -> set[str]:
        """The forbidden routines `root` uses, and the flags for what it does that hides what it calls."""
        found: set[str] = set()
        parents = self.parents
        values: dict[int, set[str]] = {}

        def resolved(node: ast.AST) -> set[str]:
            if id(node) not in values:
                values[id(node)] = {v for v in self.resolve(node) if not _is_local(v)}
            return values[id(node)]

        def in_forbidden_chain(node: ast.AST) -> bool:  # torch._C in torch._C._VariableFunctions.softmax is that routine
            while isinstance(parent := parents.get(id(node)), ast.Attribute) and parent.value is node:
                if any(self.is_forbidden(v) for v in resolved(parent)):
                    return True
                node = parent
            return False

        for node in ast.walk(root):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                found |= _import_uses(node, self)
            if isinstance(node, ast.MatchClass) and id(node) in self.refused_patterns \
                    and not any(isinstance(self.defs.get(v), ast.ClassDef) for v in self.resolve(node.cls)):
                found.add(f"{LOOKUP} (a match class pattern with positional parts)")
            if isinstance(node, ast.Call):
                found |= self._call_uses(node)
            for item in (node, *self.synthetic.get(id(node), ())):
                if isinstance(item, (ast.Name, ast.Attribute)):
                    found |= self._name_uses(item, resolved(item), parents, in_forbidden_chain)
        return found

    def _name_uses(self, node: ast.Name | ast.Attribute, values: set[str], parents: dict, in_forbidden_chain) -> set[str]:
        found = {v for v in values if self.is_forbidden(v)}
        if isinstance(node, ast.Attribute):
            if node.attr in self.methods and not {v for v in self.resolve(node.value) if not _is_local(v)}:
                found.add(f"torch.Tensor.{node.attr}")  # X.softmax on whatever X is, unless X is a module or class
            if node.attr in REFUSED_ATTRIBUTES:
                found.add(f"{REFUSED_ATTRIBUTES[node.attr][0]} ({node.attr})")
        if isinstance(node, ast.Name):
            if node.id in DYNAMIC:
                found.add(f"{LOOKUP} ({node.id})")
            if node.id == "getattr" and not (isinstance(parents.get(id(node)), ast.Call) and parents[id(node)].func is node):
                found.add(f"{LOOKUP} (getattr passed as a value)")
        for value in values - found:
            if value in IMPORT_STATE and _changes(node, parents):
                found.add(f"dynamic import (changes {value})")
            if value == "sys.modules" and _hands_out_modules(node, parents):
                found.add(f"{LOOKUP} (sys.modules)")
            if value.startswith("builtins.") and value.split(".")[1] in DYNAMIC | {"getattr"}:
                found.add(f"{LOOKUP} ({value})")
            if (refusal := self.refusal(value)) and not in_forbidden_chain(node) and not self._names_a_type(node, parents):
                found.add(refusal)
        return found

    def _names_a_type(self, node: ast.AST, parents: dict[int, ast.AST]) -> bool:
        """An annotation, or a type isinstance or issubclass compares with (`isinstance(f, types.FunctionType)`): runs nothing."""
        if id(node) in self.annotations:
            return True
        parent = parents.get(id(node))
        if isinstance(parent, ast.Tuple):
            node, parent = parent, parents.get(id(parent))
        return isinstance(parent, ast.Call) and node in parent.args[1:] and isinstance(parent.func, ast.Name) \
            and parent.func.id in ("isinstance", "issubclass")

    def _call_uses(self, node: ast.Call) -> set[str]:
        """getattr with a computed name; a module or class with a forbidden routine handed to code the check does not follow."""
        scope = self.scope_of.get(id(node), self.module)
        if self._is_getattr(node, scope) and id(node) not in self.synthetic:
            targets = {v for v in self.resolve(node.args[0], scope) if not _is_local(v)}
            if not targets or any(v.split(".")[0] == "torch" or self.is_container(v) for v in targets):
                return {f"{LOOKUP} (getattr with a computed name)"}
            return set()
        func = node.func
        if isinstance(func, ast.Name) and func.id in PASS_THROUGH | INSPECTING | {"getattr"} and not self._is_bound(func.id, scope):
            return set()
        callees = self.resolve(func, scope)
        if any(_is_local(c) for c in callees) or "sys.modules.get" in callees:
            return set()  # the submission's own function: its parameters hold what it is given
        if any(self.refusal(v) for n in ast.walk(func) if isinstance(n, (ast.Name, ast.Attribute)) for v in self.resolve(n)):
            return set()  # operator.attrgetter(...)(torch): flagged as what it is
        found = set()
        for argument in [*node.args, *(k.value for k in node.keywords)]:
            for value in self.resolve(argument, scope):
                if self.is_container(value):
                    callee = min(callees, default=None) or (ast.unparse(func) if _is_chain(func) else "a call")
                    found.add(f"{LOOKUP} ({value} handed to {callee})")
        return found


def _bound_names(target: ast.AST) -> list[str]:
    """The names an assignment target binds: `a`, `a, *b`, not the `obj` of `obj.x = ...` or `d[k] = ...`."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for element in target.elts for name in _bound_names(element)]
    if isinstance(target, ast.Starred):
        return _bound_names(target.value)
    return []


def _is_chain(node: ast.AST) -> bool:
    """`name` or `name.attr.attr`."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


def _decorated(node: ast.AST, name: str) -> bool:
    return any(isinstance(d, ast.Name) and d.id == name for d in getattr(node, "decorator_list", []))


def _normalised(name: str) -> str:
    return name.lstrip("_").replace("_", "").lower()


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


def _hands_out_modules(node: ast.AST, parents: dict[int, ast.AST]) -> bool:
    """Whether this use of `sys.modules` may hand out a module the check cannot name: anything but a constant key
    (`sys.modules["torch.nn.functional"]`, resolved as that module; `sys.modules[__name__]`, the submission's own) or a read of the names alone (`"x" in sys.modules`)."""
    parent = parents.get(id(node))
    if isinstance(parent, ast.Subscript) and parent.value is node:
        return not (isinstance(parent.ctx, ast.Load) and _module_key(parent.slice))
    if isinstance(parent, ast.Attribute) and parent.value is node:
        if parent.attr in NAMES_OF_MODULES:
            return False
        call = parents.get(id(parent))
        return not (parent.attr == "get" and isinstance(call, ast.Call) and call.func is parent and call.args and _module_key(call.args[0]))
    if isinstance(parent, ast.Compare) or (isinstance(parent, (ast.comprehension, ast.For)) and parent.iter is node):
        return False  # "x" in sys.modules, for name in sys.modules
    if isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name) and parent.func.id in READING_CALLS:
        return False  # len(sys.modules), sorted(sys.modules)
    return True

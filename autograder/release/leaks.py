"""The release leak check: no solution body, hidden test, seed or grader secret gets out.

File names are not enough: a stale stub, a README snippet, a notebook or a helper copied
into a public file can carry a solution without any instructor-only file being shipped.
So the check compares code, not names: every statement sequence of a released .py file,
notebook code cell or Markdown code block is fingerprinted (normalised AST: docstrings,
locations and, for bodies of some size, every name dropped) and looked up among the
fingerprints of the solution bodies (the code between `### BEGIN SOLUTION` and
`### END SOLUTION`) and of every function and statement of `autograder/hidden/*`. Text is
searched for the hidden tests' strings (docstrings included) and for grader.toml's seed
and other secrets. A solution body that a public file shows on purpose is accepted only
when acknowledged, by fingerprint, in `acknowledged.toml` next to this module.
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import re
import textwrap
import tokenize
import tomllib
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kit.catalog import ROOT

MIN_NODES = 12  # smaller bodies must match with their names kept (renaming would match too much)
TRIVIAL_NODES = 4  # bodies this small (`pass`, `return x`) are never compared
BIG_STATEMENT = 25  # one statement of a solution this big is a secret on its own
MIN_STRING = 20  # shorter hidden-test strings are too common to search for
MIN_SEED_DIGITS = 5  # shorter seeds would match ordinary numbers
INSTRUCTOR_ONLY = {"solutions", "autograder", "tests", "hidden", "grader.toml", "nbgrader_config.py", "gradebook.db", ".git"}
INSTRUCTOR_PACKAGES = {"solutions", "autograder"}
SECRET_KEY = re.compile(r"seed|secret|token|password|salt|api_key", re.I)
MAGIC = re.compile(r"^\s*[%!]")
FENCE = re.compile(r"^(```|~~~)[^\n]*\n(.*?)^\1", re.S | re.M)
ACKNOWLEDGED = Path(__file__).with_name("acknowledged.toml")


@dataclass(frozen=True)
class Secret:
    kind: str  # "solution body", "hidden test", "grader secret"
    source: str  # "solutions/softmax.py: softmax()"


@dataclass(frozen=True)
class Leak:
    path: str  # inside the release
    kind: str
    source: str
    where: str = ""  # "line 12", "cell 3"
    fingerprint: str = ""

    def __str__(self) -> str:
        where = f" ({self.where})" if self.where else ""
        return f"{self.path}{where}: {self.kind} from {self.source}"

    def acknowledgement(self) -> str:
        """A ready-to-paste entry of acknowledged.toml for this leak."""
        path = self.path.split("/", 1)[1] if self.path.split("/", 1)[0].startswith("dl-course-kit") else self.path
        return f'[[acknowledged]]\nsource = "{self.source}"\npath = "{path}"\nfingerprint = "{self.fingerprint}"\nreason = "..."\n'


@dataclass
class Secrets:
    """What must not appear in a release, as fingerprints and strings."""

    bodies: dict[tuple[bool, str], Secret] = field(default_factory=dict)  # (renamed, digest) -> secret
    shapes: dict[str, set[tuple[str, ...]]] = field(default_factory=dict)  # first statement's shape -> shapes of the sequences
    shared: list[Secret] = field(default_factory=list)  # hidden-test code that public code also has: not secret
    strings: dict[str, Secret] = field(default_factory=dict)  # whitespace-normalised text -> secret
    tokens: dict[str, Secret] = field(default_factory=dict)  # seeds, matched as whole numbers


class LeakError(Exception):
    """The release holds something it must not; the message lists every leak."""

    def __init__(self, leaks: list[Leak]):
        self.leaks = leaks
        message = "the release leaks instructor material:\n  " + "\n  ".join(map(str, leaks))
        bodies = [leak for leak in leaks if leak.kind == "solution body" and leak.fingerprint]
        if bodies:
            message += (
                f"\nIf a public file shows a solution body on purpose (a one-line formula used as the public reference),"
                f" acknowledge it in {ACKNOWLEDGED.relative_to(ROOT)}:\n" + "\n".join(b.acknowledgement() for b in bodies)
            )
        super().__init__(message)


# ---------------------------------------------------------------- fingerprints

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _serialise(node: object, rename, out: list[str]) -> int:
    """Append a canonical text of `node` to `out`; return its size in AST nodes.

    `rename` maps a bound or free name to what the text shows: the name itself (exact),
    `v0, v1, ...` by first appearance (a renamed copy still matches) or `_` (the shape
    only, used to find candidates fast). Docstrings, locations and contexts are left out.
    """
    if isinstance(node, list):
        out.append("[")
        size = sum(_serialise(item, rename, out) for item in node)
        out.append("]")
        return size
    if not isinstance(node, ast.AST):
        out.append(repr(node))
        return 0
    if isinstance(node, ast.expr_context):
        return 0
    out.append(type(node).__name__ + "(")
    size = 1
    for name, value in ast.iter_fields(node):
        if name in ("ctx", "type_comment", "kind"):
            continue
        if isinstance(node, ast.Name) and name == "id":
            value = rename(value)
        elif isinstance(node, ast.arg) and name == "arg":
            value = rename(value)
        elif isinstance(node, (*_FUNCTIONS, ast.ClassDef)) and name == "name":
            value = rename(value)
        elif isinstance(node, ast.ExceptHandler) and name == "name" and value:
            value = rename(value)
        elif isinstance(node, (ast.Global, ast.Nonlocal)) and name == "names":
            value = [rename(v) for v in value]
        elif name in ("annotation", "returns") and rename is not _exact:
            value = None
        elif name == "body" and isinstance(node, (*_FUNCTIONS, ast.ClassDef)):
            value = _without_docstring(value)
        size += _serialise(value, rename, out)
        out.append(",")
    out.append(")")
    return size


def _exact(name: str) -> str:
    return name


def _blank(name: str) -> str:
    return "_"


def _without_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        return body[1:]
    return body


def fingerprint(statements: list[ast.stmt], renamed: bool) -> tuple[str, int]:
    """(digest, size) of a statement sequence; size counts AST nodes, contexts excluded."""
    names: dict[str, str] = {}
    rename = (lambda n: names.setdefault(n, f"v{len(names)}")) if renamed else _exact
    out: list[str] = []
    size = _serialise(list(statements), rename, out)
    return hashlib.sha256("".join(out).encode()).hexdigest(), size


def shape(statement: ast.stmt) -> str:
    """The statement with every name blanked: equal shapes are necessary for any match."""
    out: list[str] = []
    _serialise(statement, _blank, out)
    return hashlib.sha1("".join(out).encode()).hexdigest()


def _statement_lists(tree: ast.AST) -> Iterator[tuple[ast.AST, list[ast.stmt]]]:
    """(owner, statements) for every block of code in `tree`."""
    for node in ast.walk(tree):
        for name in ("body", "orelse", "finalbody"):
            value = getattr(node, name, None)
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                yield node, value


def _key(statements: list[ast.stmt]) -> tuple[bool, str] | None:
    """How a sequence is looked up: renamed when big enough, exact when small, not at all when trivial."""
    digest, size = fingerprint(statements, renamed=False)
    if size <= TRIVIAL_NODES:
        return None
    return (True, fingerprint(statements, renamed=True)[0]) if size >= MIN_NODES else (False, digest)


def _add(secrets: Secrets, statements: list[ast.stmt], secret: Secret) -> None:
    statements = _without_docstring(statements)
    key = _key(statements) if statements else None
    if key is None:
        return
    secrets.bodies.setdefault(key, secret)
    shapes = tuple(shape(s) for s in statements)
    secrets.shapes.setdefault(shapes[0], set()).add(shapes)


# ---------------------------------------------------------------- what is secret


def _functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def _enclosing(functions: list, line: int) -> str:
    inside = [f for f in functions if f.lineno <= line <= f.end_lineno]
    return f"{max(inside, key=lambda f: f.lineno).name}()" if inside else "module level"


def solution_secrets(source: str, label: str, secrets: Secrets) -> None:
    """The code between the solution markers: each marked block, nested function bodies, big statements."""
    lines = source.splitlines()
    begins = [i + 1 for i, line in enumerate(lines) if line.strip().startswith("### BEGIN SOLUTION")]
    ends = [i + 1 for i, line in enumerate(lines) if line.strip().startswith("### END SOLUTION")]
    ranges = list(zip(begins, ends, strict=False))
    tree = ast.parse(source)
    functions = _functions(tree)

    def marked(node: ast.AST) -> bool:
        return any(b < node.lineno and node.end_lineno < e for b, e in ranges)

    for owner, body in _statement_lists(tree):
        nested_function = isinstance(owner, (ast.FunctionDef, ast.AsyncFunctionDef)) and marked(owner)
        if not isinstance(owner, ast.Module) and marked(owner) and not nested_function:
            continue  # part of a larger marked block
        run: list[ast.stmt] = []
        for statement in [*body, None]:
            if statement is not None and marked(statement):
                run.append(statement)
                continue
            if run:
                secret = Secret("solution body", f"{label}: {_enclosing(functions, run[0].lineno)}")
                _add(secrets, run, secret)
                for single in run:
                    if fingerprint([single], renamed=True)[1] >= BIG_STATEMENT:
                        _add(secrets, [single], secret)
            run = []


def hidden_secrets(source: str, label: str, secrets: Secrets) -> None:
    """Every function body and top-level statement of a hidden-test module, its docstrings and comments.

    Check names are not secret: the grader shows them to students.
    """
    tree = ast.parse(source)
    for function in _functions(tree):
        _add(secrets, function.body, Secret("hidden test", f"{label}: {function.name}()"))
    for statement in _without_docstring(tree.body):
        if not isinstance(statement, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if fingerprint([statement], renamed=True)[1] >= MIN_NODES:
                _add(secrets, [statement], Secret("hidden test", f"{label}: line {statement.lineno}"))
    texts = [ast.get_docstring(n, clean=False) for n in ast.walk(tree) if isinstance(n, (ast.Module, ast.ClassDef, *_FUNCTIONS))]
    try:
        texts += [t.string.lstrip("#") for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type == tokenize.COMMENT]
    except (tokenize.TokenError, SyntaxError):
        pass
    for text in texts:
        text = _squash(text or "")
        if len(text) >= MIN_STRING:
            secrets.strings.setdefault(text, Secret("hidden test", f"{label}: the text {text[:40]!r}"))


def config_secrets(path: Path, secrets: Secrets) -> None:
    """grader.toml's seed and any key that names a secret; the per-assignment seeds derived from the seed."""
    if not path.is_file():
        return
    data = tomllib.loads(path.read_text(encoding="utf-8"))

    def walk(table: dict, where: str) -> None:
        for key, value in table.items():
            name = f"{where}.{key}" if where else key
            if isinstance(value, dict):
                walk(value, name)
            elif SECRET_KEY.search(key):
                secret = Secret("grader secret", f"{path.name}: {name}")
                if isinstance(value, int) and not isinstance(value, bool) and len(str(abs(value))) >= MIN_SEED_DIGITS:
                    secrets.tokens[str(abs(value))] = secret
                    if name == "grader.seed":
                        _derived_seeds(value, secrets)
                elif isinstance(value, str) and len(value) >= 6:
                    secrets.strings[_squash(value)] = secret

    walk(data, "")


def _derived_seeds(seed: int, secrets: Secrets) -> None:
    from autograder.grade import seed_for
    from kit.catalog import assignment_ids

    for assignment_id in assignment_ids():
        value = str(seed_for(seed, assignment_id))
        if len(value) >= MIN_SEED_DIGITS:
            secrets.tokens[value] = Secret("grader secret", f"the seed of assignment {assignment_id} (derived from grader.seed)")


def _drop_shared(hidden: Secrets, root: Path) -> None:
    """Hidden-test code that the public sources also hold (a helper copied from a public test
    file) is not secret: it moves to `hidden.shared`, which the build reports."""
    texts = []
    for folder in ("assignments", "kit", "datasets"):
        for path in sorted((root / folder).rglob("*")):
            if path.suffix not in (".py", ".md") or "__pycache__" in path.parts:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            texts.append(_squash(text))
            try:
                tree = ast.parse(text) if path.suffix == ".py" else None
            except (SyntaxError, ValueError):
                tree = None
            for key, _ in _matches(tree, hidden) if tree is not None else ():
                if key in hidden.bodies:
                    hidden.shared.append(hidden.bodies.pop(key))
    for string in [s for s in hidden.strings if any(s in text for text in texts)]:
        hidden.shared.append(hidden.strings.pop(string))


def collect_secrets(root: Path = ROOT) -> Secrets:
    """Everything secret in the kit at `root`: every solution, every hidden test, grader.toml."""
    secrets = Secrets()
    for path in sorted((root / "solutions").glob("*.py")):
        solution_secrets(path.read_text(encoding="utf-8"), f"solutions/{path.name}", secrets)
    hidden = Secrets()
    for path in sorted((root / "autograder" / "hidden").glob("*.py")):
        if path.name != "__init__.py":
            hidden_secrets(path.read_text(encoding="utf-8"), f"autograder/hidden/{path.name}", hidden)
    _drop_shared(hidden, root)
    for key, secret in hidden.bodies.items():
        secrets.bodies.setdefault(key, secret)
    for first, shapes in hidden.shapes.items():
        secrets.shapes.setdefault(first, set()).update(shapes)
    secrets.strings.update(hidden.strings)
    secrets.shared = hidden.shared
    config_secrets(root / "grader.toml", secrets)
    return secrets


# ---------------------------------------------------------------- scanning a release


def _squash(text: str) -> str:
    return " ".join(text.split())


def _code_units(path: str, data: bytes) -> Iterator[tuple[str, str]]:
    """(where, python source) for every piece of code in a file: a .py file, notebook cells, Markdown code blocks."""
    text = data.decode("utf-8", errors="replace")
    if path.endswith(".py"):
        yield "", text
    elif path.endswith(".ipynb"):
        try:
            cells = json.loads(text).get("cells", [])
        except (ValueError, AttributeError):
            return
        for number, cell in enumerate(cells, 1):
            source = cell.get("source", "") if isinstance(cell, dict) else ""
            source = "".join(source) if isinstance(source, list) else str(source)
            if cell.get("cell_type") == "code":
                yield f"cell {number}", "\n".join(line for line in source.splitlines() if not MAGIC.match(line))
            else:
                for block in FENCE.finditer(source):
                    yield f"cell {number}, code block", block[2]
    elif path.endswith((".md", ".rst", ".txt")):
        for block in FENCE.finditer(text):
            yield f"line {text.count(chr(10), 0, block.start()) + 1}", block[2]


def _plain_text(path: str, data: bytes) -> str:
    """The text a reader sees: notebook JSON unescaped (sources and outputs), anything else as is."""
    text = data.decode("utf-8", errors="replace")
    if path.endswith(".ipynb"):
        try:
            notebook = json.loads(text)
        except ValueError:
            return text
        parts = []
        for cell in notebook.get("cells", []):
            parts.append(json.dumps(cell, ensure_ascii=False))
            source = cell.get("source", "")
            parts.append("".join(source) if isinstance(source, list) else str(source))
            for output in cell.get("outputs", []):
                for value in (output.get("text"), *(output.get("data", {}) or {}).values()):
                    if value:
                        parts.append("".join(value) if isinstance(value, list) else str(value))
        return "\n".join(parts)
    return text


def scan_code(path: str, where: str, source: str, secrets: Secrets) -> list[Leak]:
    try:
        tree = ast.parse(textwrap.dedent(source))
    except (SyntaxError, ValueError):
        return []
    found: list[Leak] = []
    for node in ast.walk(tree):
        modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
        for module in modules:
            if module.split(".")[0] in INSTRUCTOR_PACKAGES:
                found.append(Leak(path, "import of an instructor-only package", module, _at(where, node.lineno)))
    for key, line in _matches(tree, secrets):
        secret = secrets.bodies[key]
        found.append(Leak(path, secret.kind, secret.source, _at(where, line), key[1][:12]))
    return found


def _matches(tree: ast.AST, secrets: Secrets) -> Iterator[tuple[tuple[bool, str], int]]:
    """(key, line) of every statement sequence in `tree` that is one of the secrets."""
    for _, body in _statement_lists(tree):
        shapes = [shape(statement) for statement in body]
        for start, first in enumerate(shapes):
            for candidate in secrets.shapes.get(first, ()):
                if tuple(shapes[start : start + len(candidate)]) == candidate:
                    key = _key(body[start : start + len(candidate)])
                    if key in secrets.bodies:
                        yield key, body[start].lineno


def _at(where: str, line: int) -> str:
    return f"{where}, line {line}" if where else f"line {line}"


def scan_files(files: Mapping[str, bytes], secrets: Secrets | None = None) -> list[Leak]:
    """Every leak in a release given as {relative path: content}."""
    secrets = secrets if secrets is not None else collect_secrets()
    tokens = re.compile(r"(?<![0-9])(" + "|".join(map(re.escape, secrets.tokens)) + r")(?![0-9])") if secrets.tokens else None
    found: list[Leak] = []
    for path in sorted(files):
        data = files[path]
        parts = Path(path).parts
        hit = next((p for p in parts if p in INSTRUCTOR_ONLY), None)
        if hit is not None:
            found.append(Leak(path, "instructor-only file", hit))
        for where, source in _code_units(path, data):
            found += scan_code(path, where, source, secrets)
        text = _plain_text(path, data)
        squashed = _squash(text)
        for string, secret in secrets.strings.items():
            if string in squashed:
                found.append(Leak(path, secret.kind, secret.source))
        if tokens is not None:
            for match in tokens.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(Leak(path, "grader secret", secrets.tokens[match[1]].source, f"line {line}"))
    return _unique(found)


def _unique(leaks: list[Leak]) -> list[Leak]:
    seen, kept = set(), []
    for leak in leaks:
        if leak not in seen:
            seen.add(leak)
            kept.append(leak)
    return kept


def read_folder(folder: Path) -> dict[str, bytes]:
    """{relative path: bytes} of every file under `folder`; a symbolic link is kept as its target's path."""
    files: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.is_symlink():
            files[relative] = f"symbolic link to {path.readlink()}".encode()
        elif path.is_file():
            files[relative] = path.read_bytes()
    return files


def read_zip(path: Path | bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(path) if isinstance(path, bytes) else path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()}


def scan_folder(folder: Path, secrets: Secrets | None = None) -> list[Leak]:
    return scan_files(read_folder(folder), secrets)


def scan_zip(path: Path, secrets: Secrets | None = None) -> list[Leak]:
    return scan_files(read_zip(path), secrets)


# ---------------------------------------------------------------- acknowledged exceptions


@dataclass(frozen=True)
class Acknowledgement:
    source: str  # the leak's source, e.g. "solutions/softmax.py: accuracy()"
    path: str  # where it may appear, relative to the release (any prefix folder is ignored)
    fingerprint: str  # the first 12 hex digits the leak reports
    reason: str


def acknowledgements(path: Path = ACKNOWLEDGED) -> list[Acknowledgement]:
    if not path.is_file():
        return []
    entries = tomllib.loads(path.read_text(encoding="utf-8")).get("acknowledged", [])
    return [Acknowledgement(e["source"], e["path"], e["fingerprint"], e.get("reason", "")) for e in entries]


def partition(leaks: list[Leak], acknowledged: list[Acknowledgement] | None = None) -> tuple[list[Leak], list[tuple[Leak, str]]]:
    """(leaks that fail the build, [(leak, reason)] acknowledged as shown on purpose)."""
    acknowledged = acknowledgements() if acknowledged is None else acknowledged
    failing, accepted = [], []
    for leak in leaks:
        match = next(
            (a for a in acknowledged if leak.fingerprint and a.fingerprint == leak.fingerprint and a.source == leak.source and (leak.path == a.path or leak.path.endswith("/" + a.path))),
            None,
        )
        if match is None:
            failing.append(leak)
        else:
            accepted.append((leak, match.reason))
    return failing, accepted


def check(files: Mapping[str, bytes], secrets: Secrets | None = None) -> list[tuple[Leak, str]]:
    """Raise LeakError unless `files` are clean; return the acknowledged exceptions, to report them."""
    failing, accepted = partition(scan_files(files, secrets))
    if failing:
        raise LeakError(failing)
    return accepted

"""The students' pytest plugin: tests generated from an assignment's records, and a summary.

`pytest assignments/02` ends with points per graded function (public tests only) and, for
each failed check, the smallest failing input hypothesis found and a hint. Failures are
reported in a few lines, never as a traceback wall.
"""

from __future__ import annotations

import gc
import importlib
import re
import sys
import types
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path


def _import_heavy(*names: str) -> None:
    """Import `names` (torch, hypothesis, the kit: most of a run's start-up) the cheap way.

    Without the garbage collector, and what they made is then frozen (gc.freeze()): it lives
    as long as the process, and every full collection, during the import and after it,
    walked all of it (about 0.5 s per run). And without pytest's assertion rewriting: pytest
    rewrites every module of a package that ships a pytest plugin (hypothesis, this kit), and
    where no bytecode is written (PYTHONDONTWRITEBYTECODE) it parses and compiles those ~90
    modules afresh on every run (about 0.6 s); none has an assert that rewriting would
    explain. Test files are rewritten as before.
    """
    rewriters = [(i, f) for i, f in enumerate(sys.meta_path) if type(f).__module__ == "_pytest.assertion.rewrite"]
    for _, finder in rewriters:
        sys.meta_path.remove(finder)
    collecting = gc.isenabled()
    gc.disable()
    try:
        for name in names:
            importlib.import_module(name)
        gc.freeze()
    finally:
        if collecting:
            gc.enable()
        for i, finder in rewriters:
            sys.meta_path.insert(i, finder)


_import_heavy("torch", "kit.catalog", "kit.checks", "kit.harness")

import pytest  # noqa: E402
import torch  # noqa: E402

from kit import scoring  # noqa: E402
from kit.catalog import LoadError, load_module  # noqa: E402
from kit.feedback import PUBLIC_ONLY, dtype_name, failure_block  # noqa: E402
from kit.forbidden import judged  # noqa: E402
from kit.harness import CheckFailed, InProcessRunner, run_check  # noqa: E402
from kit.spec import Assignment, Check, Function  # noqa: E402

# Examples per check in a student's run (a check's own `examples` still wins). 10 catch
# every mutant in tests/mutants/ that 20 catch, on the derandomised draw and on three other
# seeds; the grader draws grader.toml's count (20) from its secret seed.
DEFAULT_EXAMPLES = 10


def public_tests(assignment: Assignment):
    """One pytest test, parametrised over every (function, check, dtype) of `assignment`."""
    assignment = judged(assignment)  # what each call runs is judged too: a forbidden routine under any name fails
    params = []
    for function in assignment.functions:
        for check in function.checks_for():
            for dtype in check.dtypes or function.dtypes:
                marks = []
                if check.device == "cuda":
                    marks.append(pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"))
                slug = re.sub(r"\W+", "_", check.name).strip("_")
                params.append(pytest.param(function, check, dtype, id=f"{function.name}-{slug}-{dtype_name(dtype)}", marks=marks))

    @pytest.mark.parametrize(("function", "check", "dtype"), params)
    def test_public(function: Function, check: Check, dtype: torch.dtype, student_module, kit_examples: int) -> None:
        run_check(check, function, InProcessRunner(student_module), dtype, examples=kit_examples)

    test_public.__doc__ = f"Public tests of assignment {assignment.id} ({assignment.title})."
    return test_public


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kit", "course kit")
    group.addoption("--impl-dir", default=None, help="load the graded modules from DIR instead of the assignment folders")
    group.addoption("--examples", type=int, default=DEFAULT_EXAMPLES, help="examples hypothesis draws per check")
    group.addoption(
        "--kit-details", action="store_true",
        help="with the points table, also pytest's own failure report and short summary of every public test (as -v does)",
    )


class _UntilDynamoLoads:
    """What `torch._disable_dynamo(fn)` calls in place of `torch._dynamo.disable(fn)`, until dynamo is imported.

    PyTorch wraps its Python meta kernels (every elementwise op on the `meta` device), the
    optimizers' `add_param_group` and a few hundred more functions in `torch._disable_dynamo`,
    which imports `torch._dynamo` (sympy, the tracer: about 1.2 s, more than most test files
    take) on the first call, only to run the function with TorchDynamo switched off. While
    `torch._dynamo` is not imported nothing can be compiling (`torch.compile` imports it), so
    switching it off changes nothing: call the function itself. Once it is imported, do exactly
    what PyTorch does. (`Optimizer.step` imports it regardless, for a graph break: assignment
    09's torch.optim references still pay it.)
    """

    __slots__ = ("fn", "recursive")

    def __init__(self, fn, recursive: bool):
        self.fn, self.recursive = fn, recursive

    def __call__(self, *args, **kwargs):
        if "torch._dynamo" not in sys.modules:
            return self.fn(*args, **kwargs)
        import torch._dynamo

        disabled = torch._dynamo.disable(self.fn, self.recursive, wrapping=False)
        self.fn.__dynamo_disable = disabled  # PyTorch's own cache: later calls go straight there
        return disabled(*args, **kwargs)


def defer_dynamo_import() -> int:
    """Pre-fill PyTorch's per-function `__dynamo_disable` cache with `_UntilDynamoLoads`; returns how many.

    Only for functions already wrapped (those of modules imported with torch); a PyTorch
    whose `_disable_dynamo` looks different is left alone.
    """
    if "torch._dynamo" in sys.modules:
        return 0
    wrapper = getattr(getattr(torch, "_compile", None), "_disable_dynamo", None)
    consts = getattr(getattr(wrapper, "__code__", None), "co_consts", ())
    codes = [c for c in consts if isinstance(c, types.CodeType) and c.co_name == "inner"]
    if len(codes) != 1 or codes[0].co_freevars != ("fn", "recursive") or "__dynamo_disable" not in codes[0].co_consts:
        return 0
    frozen = gc.get_freeze_count() > 0
    if frozen:
        gc.unfreeze()  # gc.get_objects() leaves frozen objects out
    try:
        objects = gc.get_objects()
    finally:
        if frozen:
            gc.freeze()
    count = 0
    for obj in objects:
        if type(obj) is types.FunctionType and obj.__code__ is codes[0]:
            fn, recursive = (cell.cell_contents for cell in obj.__closure__)
            if getattr(fn, "__dynamo_disable", None) is None:
                try:
                    fn.__dynamo_disable = _UntilDynamoLoads(fn, recursive)
                except (AttributeError, TypeError):  # no attributes: PyTorch's first call would fail alike
                    continue
                count += 1
    return count


def pytest_configure(config: pytest.Config) -> None:
    defer_dynamo_import()  # the first op on the meta device: about 0.2 s instead of 1.4 s
    torch.set_num_threads(1)  # the tests' tensors are tiny: thread hand-offs cost more than they save (as in the sandbox)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    config.pluginmanager.register(Scoreboard(), "kit-scoreboard")


def _is_public_test(item: pytest.Item) -> bool:
    return hasattr(getattr(item, "module", None), "ASSIGNMENT")


def pytest_collection_finish(session: pytest.Session) -> None:
    """In a run of public tests, exempt what exists now (torch, hypothesis, ~200k objects) from the garbage collector.

    They live as long as the process anyway, and every full collection walked all of them:
    hypothesis's drawing triggers many, and pytest collects twice at exit (about 0.8 s of
    CPU per run in all). Garbage made by the tests is collected as before.
    """
    if any(_is_public_test(item) for item in session.items):
        gc.freeze()
    if session.items and all(_is_public_test(item) for item in session.items):
        _report_only_the_summary(session.config)


def _report_only_the_summary(config: pytest.Config) -> None:
    """A run of public tests only reports through the Scoreboard: no traceback per test, no short summary.

    Every check fails once per dtype on a stub, and each failure said the same thing three
    times (its traceback, the short summary, the table). `-v`, `--kit-details`, or an explicit
    `--tb` or `-r` keeps pytest's own report; the exit status is pytest's either way.
    """
    if config.option.verbose > 0 or config.getoption("--kit-details"):
        return
    if config.option.tbstyle == "auto":
        config.option.tbstyle = "no"
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and config.option.reportchars == DEFAULT_REPORTCHARS:
        reporter.reportchars = ""


DEFAULT_REPORTCHARS = "fE"  # pytest's default of -r


def pytest_runtest_teardown(item: pytest.Item) -> None:
    """After each public test, freeze again: what tests import on first use (sympy for the meta
    device, torch._dynamo for torch.optim, matplotlib) is walked by no later collection.

    About 0.2 s less per run, for 5 to 12 MB more memory (cyclic garbage left at the end of a
    test is kept, not collected: a student's run has fewer than 100 tests).
    """
    if _is_public_test(item):
        gc.freeze()


@pytest.fixture(scope="session")
def kit_examples(request: pytest.FixtureRequest) -> int:
    return request.config.getoption("--examples")


_modules: dict[Path, object] = {}


@pytest.fixture
def student_module(request: pytest.FixtureRequest):
    assignment: Assignment = request.module.ASSIGNMENT
    impl_dir = request.config.getoption("--impl-dir")
    folder = Path(impl_dir) if impl_dir else Path(request.module.__file__).parent
    path = (folder / f"{assignment.module}.py").resolve()
    if path not in _modules:
        try:
            _modules[path] = load_module(path)
        except LoadError as error:
            _modules[path] = error
    loaded = _modules[path]
    if isinstance(loaded, LoadError):
        raise loaded
    return loaded


@dataclass
class Scoreboard:
    """Collects check outcomes and prints the per-function summary at the end."""

    passed: dict = field(default_factory=lambda: defaultdict(lambda: True))
    failures: list = field(default_factory=list)
    load_errors: set = field(default_factory=set)
    assignments: dict = field(default_factory=dict)
    checks: dict = field(default_factory=dict)  # (assignment, function, check name) -> Check

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        report = (yield).get_result()
        params = getattr(getattr(item, "callspec", None), "params", {})
        if "check" not in params or report.when not in ("setup", "call") or report.skipped:
            return
        assignment: Assignment = item.module.ASSIGNMENT
        function, check, dtype = params["function"], params["check"], params["dtype"]
        self.assignments[assignment.id] = assignment
        key = (assignment.id, function.name, check.name)
        self.checks[key] = check
        self.passed[key] &= report.passed
        if report.when == "setup" and report.passed:
            self.passed[key] &= True
            return
        error = call.excinfo.value if call.excinfo else None
        if isinstance(error, LoadError):
            self.load_errors.add(str(error))
            report.longrepr = str(error)
        elif isinstance(error, CheckFailed):
            self.failures.append((assignment.id, function.name, dtype, error))
            report.longrepr = _failure_text(error, dtype)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session):
        """The table comes last, after pytest's own summary line: it is what a student looks for."""
        try:
            return (yield)
        finally:
            reporter = session.config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None and self.assignments:
                self.print_summary(reporter)

    def print_summary(self, reporter) -> None:
        from rich.console import Console
        from rich.table import Table

        writer = reporter._tw
        # as wide as the terminal (titles never wrap), 100 columns in a file or pipe; colours
        # only where pytest uses them (a terminal, no NO_COLOR)
        width = writer.fullwidth if reporter.isatty else 100
        console = Console(file=writer._file, force_terminal=writer.hasmarkup, no_color=not writer.hasmarkup, width=width, highlight=False)
        blocks: list[str] = []
        for assignment in self.assignments.values():
            console.print(f"Assignment {assignment.id}: {assignment.title} (public tests)", style="bold", markup=False)
            table = Table()
            table.add_column("function")
            table.add_column("checks passed", justify="right")
            table.add_column("points", justify="right")
            total = maximum = 0.0
            for function in assignment.functions:
                keys = [k for k in self.passed if k[:2] == (assignment.id, function.name)]
                if not keys:  # deselected (-k): not in the table
                    continue
                failures = [(d, e) for a, f, d, e in self.failures if (a, f) == (assignment.id, function.name)]
                forbidden = any(e.forbidden for _, e in failures)
                scored = scoring.earned(function.points, [(self.checks[k], self.passed[k]) for k in keys], forbidden)
                points = sum(item.points for item in scored)
                total, maximum = total + points, maximum + function.points
                not_started = bool(failures) and all(e.not_started for _, e in failures)
                passed = "not started" if not_started else f"{sum(item.passed for item in scored)}/{len(keys)}"
                table.add_row(function.name, passed, f"{points:.1f}/{function.points:g}")
                if not not_started:  # the table's row says it all
                    blocks += failure_block(function.name, failures, rest="pytest -v lists them all")
                if waiting := sum(item.held_back for item in scored):
                    blocks.append(f"{function.name}: {waiting} passing check(s) earned less than their points; {scoring.GATED_NOTE}")
            table.add_row("total", "", f"{total:.1f}/{maximum:g}", style="bold")
            console.print(table)
        blocks += [f"Could not load your module: {message}" for message in sorted(self.load_errors)]
        for line in blocks:
            console.print(line, markup=False, soft_wrap=True)
        if blocks:
            console.print(PUBLIC_ONLY, markup=False)


def _failure_text(error: CheckFailed, dtype: torch.dtype) -> str:
    lines = [f"{error.function}: {error.check.name} [{dtype_name(dtype)}]", f"  {error.message}"]
    if error.example:
        lines.append(f"  smallest failing input: {error.example}")
    if hint := error.check.hint_for(error.message):
        lines.append(f"  hint: {hint}")
    return "\n".join(lines)

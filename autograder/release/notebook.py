"""What the hidden parts of an nbgrader notebook's test cells run at `nbgrader autograde`.

The visible part of a test cell runs the public checks students see (`kit.notebook.check`).
At autograde time nbgrader puts back the hidden parts: `grade_with_the_grader` makes that
visible call score instead, and the hidden cells call `check_as_graded`: the checks
`python -m autograder grade` runs, with its seeds, example counts, tolerances and points
from grader.toml, its forbidden-API rule and its scoring rule (kit.scoring). Each cell's
value is its points, which nbgrader takes as partial credit. They run in the notebook's kernel
(nbgrader executes the notebook; the kit's bubblewrap sandbox is not involved), so this
module is importable only where the instructor's kit (solutions, hidden tests) is.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

from autograder import config as grader_config
from autograder.grade import Job, configured, graded_examples, runnable, seed_for
from autograder.static import explain, forbidden_uses
from autograder.submissions import notebook_to_source
from autograder.suite import GradedCheck, graded_checks
from kit import scoring
from kit.catalog import ROOT, assignment_ids, load_assignment
from kit.harness import CheckFailed, InProcessRunner, run_examples
from kit.notebook import as_module

TEST_CELL = re.compile(r"^\s*(from kit\.notebook import check|from autograder\.release\.notebook import|check_as_graded\()", re.M)


@cache
def grader_settings() -> grader_config.Config:
    known = {i: [f.name for f in load_assignment(i).functions] for i in assignment_ids()}
    return grader_config.load(ROOT / "grader.toml", known)


def graded_source(module: str, fn: Callable) -> str:
    """The code the kit's grader would grade: the notebook's solution cells, read from disk.

    nbgrader runs the notebook in its own folder, so `<module>.ipynb` is there; the same
    `notebook_to_source` as `python -m autograder grade` picks the cells. Elsewhere: the
    cells this kernel has run, test cells left out (module-level calls of every function
    would make each one reach everything), else the function's own module.
    """
    notebook = Path.cwd() / f"{module}.ipynb"
    if notebook.is_file():
        try:
            return notebook_to_source(notebook.read_bytes())
        except (ValueError, KeyError, TypeError, AttributeError):
            pass
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:
        shell = None
    if shell is not None:
        cells = []
        for cell in shell.user_ns.get("In", []):
            if not isinstance(cell, str) or TEST_CELL.search(cell):
                continue
            try:
                ast.parse(cell)
            except SyntaxError:
                continue
            cells.append(cell)
        return "\n".join(cells)
    owner = inspect.getmodule(fn)
    try:
        return inspect.getsource(owner) if owner is not None else inspect.getsource(fn)
    except (OSError, TypeError):
        return ""


def check_forbidden(assignment_id: str, function_name: str, fn: Callable) -> None:
    """Fail when `function_name` reaches a routine the assignment forbids, as the grader's 'zero' rule does."""
    settings = grader_settings()
    assignment = load_assignment(assignment_id)
    if settings.grader.forbidden_api != "zero" or not assignment.forbidden:
        return
    source = graded_source(assignment.module, fn)
    try:
        uses = forbidden_uses(source, assignment.forbidden, [function_name]).get(function_name)
    except SyntaxError:
        uses = None
    if uses:
        raise AssertionError(explain(function_name, uses, "0 points"))


_verdicts: dict[tuple[str, str, int], list[tuple[GradedCheck, bool, str]]] = {}


def graded_verdicts(assignment_id: str, function_name: str, fn: Callable) -> list[tuple[GradedCheck, bool, str]]:
    """(check, passed, what to print) for every graded check of one function, public and hidden.

    Run once per function and kept: the public cell and the hidden cell both score from it,
    since under the kit's rule (kit.scoring) what a property earns depends on all the
    function's correctness checks.
    """
    key = (assignment_id, function_name, id(fn))
    if key in _verdicts:
        return _verdicts[key]
    settings = grader_settings()
    assignment = configured(load_assignment(assignment_id), settings)
    seed = seed_for(settings.grader.seed, assignment.id)
    runner = InProcessRunner(as_module(assignment.module, **{function_name: fn}))
    job, shared = Job(assignment.id, settings), {}
    verdicts = []
    for g in runnable(graded_checks(assignment)):
        if g.function.name != function_name:
            continue
        passed, said = True, g.check.name
        for dtype, calls, memos, count in graded_examples(g, job, seed):  # the grader's own example sets
            try:
                run_examples(g.check, g.function, runner, dtype, calls, memos, shared=shared, count=count)
            except CheckFailed as failure:
                if failure.forbidden:  # what a call ran decides the whole function, as in the grader
                    raise AssertionError(f"{failure.message}: 0 points") from None
                passed = False
                if not g.check.hidden:
                    said = f"{g.check.name} [{str(dtype).removeprefix('torch.')}]: {failure.message}"
                break
        verdicts.append((g, passed, said))
    _verdicts[key] = verdicts
    return verdicts


def check_as_graded(assignment_id: str, function_name: str, fn: Callable, *, hidden: bool) -> float:
    """The points the public (hidden=False) or hidden test cell of one function earns, by the grader's checks and rule.

    The value is the cell's last expression, so nbgrader takes it as partial credit (out of
    the cell's points, `split_points`). Hidden checks report pass or fail only, never their
    inputs. A forbidden routine fails the cell (AssertionError), as the grader's 'zero' rule.
    """
    from autograder.release.nbgrader_course import split_points

    check_forbidden(assignment_id, function_name, fn)
    assignment = configured(load_assignment(assignment_id), grader_settings())
    verdicts = graded_verdicts(assignment_id, function_name, fn)
    scored = scoring.earned(assignment.function(function_name).points, [(g.check, passed) for g, passed, _ in verdicts])
    mine = [(said, passed, item) for (g, passed, said), item in zip(verdicts, scored, strict=True) if g.check.hidden == hidden]
    kind = "hidden" if hidden else "graded public"
    print(f"{function_name}: {sum(passed for _, passed, _ in mine)}/{len(mine)} {kind} checks passed")
    for said, passed, item in mine:
        if not passed:
            print(f"  failed: {said}")
        elif item.held_back:
            print(f"  {item.check.name}: {scoring.held_back_note(item)}")
    maximum = sum(item.maximum for _, _, item in mine)
    cell_points = split_points(assignment, function_name)[1 if hidden else 0]
    earned = sum(item.points for _, _, item in mine)
    if not maximum:
        return 0.0
    return cell_points if earned >= maximum - 1e-9 else round(cell_points * earned / maximum, 4)  # never above the cell's points


def grade_with_the_grader() -> None:
    """At `nbgrader autograde`: make the visible `kit.notebook.check` of test cells score as the grader does."""
    import kit.notebook

    kit.notebook.graded = check_as_graded

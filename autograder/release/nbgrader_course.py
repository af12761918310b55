"""The nbgrader course: one source notebook per assignment, made from the same sources.

`source/<module>/<module>.ipynb` (named after the assignment's module, e.g. softmax, so
that the kit's own autograder finds a submitted notebook where it looks for `softmax.py`):

- the assignment's README as Markdown;
- one solution cell per graded function: the solution file's code up to and including
  that function (imports and helpers go with the first), its body between
  `### BEGIN SOLUTION` / `### END SOLUTION`, which `nbgrader generate_assignment` replaces
  by the same `raise NotImplementedError(...)` line as the .py stub;
- after each, a visible test cell (`kit.notebook.check`: the public checks students run
  with pytest) whose hidden part makes that call, at autograde, return the cell's points
  under the grader's own draws, forbidden-API rule and scoring rule (nbgrader's partial
  credit), and a hidden test cell with the hidden checks, scored alike, all between
  `### BEGIN HIDDEN TESTS` / `### END HIDDEN TESTS`;
- points in each test cell's nbgrader metadata: the function's points split between the two
  cells in proportion to the weights of their checks, as the grader splits them.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder import config as grader_config
from autograder.grade import configured
from autograder.release.common import selected, write_text
from autograder.suite import graded_checks
from kit.catalog import ASSIGNMENTS, ROOT, SOLUTIONS, assignment_ids, load_assignment
from kit.spec import Assignment

SCHEMA_VERSION = 3
CODE_STUB = 'raise NotImplementedError("TODO: implement this function")'  # kit.stubs' line, so notebook and .py stubs agree
CONFIG_MARK = "# Written by `python -m autograder.release nbgrader`"
NBGRADER_CONFIG = f'''{CONFIG_MARK}; edit freely (it is rewritten only
# while this first line is unchanged).
c = get_config()  # noqa: F821

c.CourseDirectory.course_id = "dl-course-kit"
# The released stub line is the kit's own, so a released notebook equals the .py stub.
c.ClearSolutions.code_stub = {{"python": {CODE_STUB!r}}}
# Each test cell runs a few hundred drawn examples: allow more than nbgrader's 30 s.
c.Execute.timeout = 600
'''


@dataclass
class Course:
    root: Path
    notebooks: dict[str, Path] = field(default_factory=dict)  # assignment id -> source notebook
    points: dict[str, float] = field(default_factory=dict)


def metadata(grade_id: str, *, solution: bool = False, grade: bool = False, locked: bool = False, points: float | None = None) -> dict:
    """nbgrader's cell metadata (schema version 3)."""
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": SCHEMA_VERSION, "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def split_points(assignment: Assignment, function_name: str) -> tuple[float, float]:
    """(visible, hidden) points of one function, split by check weights as the grader does on a CPU."""
    function = assignment.function(function_name)
    checks = [g.check for g in graded_checks(assignment) if g.function.name == function_name and g.check.device != "cuda"]
    total = sum(c.weight for c in checks)
    hidden = sum(c.weight for c in checks if c.hidden)
    visible = round(function.points * (total - hidden) / total, 2) if total else function.points
    return visible, round(function.points - visible, 2)


def solution_chunks(source: str, functions: list[str]) -> list[tuple[str, str]]:
    """(function, code) per graded function, in file order.

    A chunk runs from the end of the previous one to just before the next graded function
    (its decorators and the comment lines right above it), so imports and helpers go with
    the first function that may use them, and the `### END SOLUTION` line after a body
    stays in its cell.
    """
    tree = ast.parse(source)
    lines = source.splitlines()
    starts = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in functions:
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1  # 0-based
            while first > 0 and lines[first - 1].lstrip().startswith("#") and "END SOLUTION" not in lines[first - 1]:
                first -= 1
            starts[node.name] = first
    missing = [f for f in functions if f not in starts]
    if missing:
        raise ValueError(f"the solution defines no top-level function {', '.join(missing)}")
    ordered = sorted(starts, key=starts.get)
    bounds = [0, *(starts[name] for name in ordered[1:]), len(lines)]
    return [(name, "\n".join(lines[bounds[i] : bounds[i + 1]]).strip("\n")) for i, name in enumerate(ordered)]


def notebook(assignment: Assignment) -> nbformat.NotebookNode:
    """The source notebook of one assignment, with solutions and hidden tests."""
    source = (SOLUTIONS / f"{assignment.module}.py").read_text(encoding="utf-8")
    readme = ASSIGNMENTS / assignment.id / "README.md"
    cells = [
        new_markdown_cell(
            f"# Assignment {assignment.id}: {assignment.title}\n\n"
            f"Write each function in the cell that holds it (replace the `raise NotImplementedError` line), then run the "
            f"test cell below it: it runs the public checks and ends with the smallest failing input and a hint when one "
            f"fails. The grade also includes hidden checks, and {assignment.points:g} points in all.",
            metadata=metadata("intro", locked=True),
        )
    ]
    if readme.is_file():
        cells.append(new_markdown_cell(readme.read_text(encoding="utf-8").strip(), metadata=metadata("readme", locked=True)))
    call = f'"{assignment.id}", "{{name}}", {{name}}'
    for name, code in solution_chunks(source, [f.name for f in assignment.functions]):
        visible, hidden = split_points(assignment, name)
        cells.append(new_code_cell(code, metadata=metadata(name, solution=True)))
        cells.append(
            new_code_cell(
                f"# Public checks of {name} (run this cell after editing the one above)\n"
                "### BEGIN HIDDEN TESTS\n"
                "from autograder.release.notebook import grade_with_the_grader\n\n"
                "grade_with_the_grader()  # at autograde: check() returns this cell's points by the grader's checks and rule\n"
                "### END HIDDEN TESTS\n"
                "from kit.notebook import check\n\n"
                f"check({call.format(name=name)})",
                metadata=metadata(f"test_{name}", grade=True, locked=True, points=visible),
            )
        )
        if hidden > 0:
            cells.append(
                new_code_cell(
                    f"# Hidden checks of {name}: the grader runs them\n"
                    "### BEGIN HIDDEN TESTS\n"
                    "from autograder.release.notebook import check_as_graded\n\n"
                    f"check_as_graded({call.format(name=name)}, hidden=True)\n"
                    "### END HIDDEN TESTS",
                    metadata=metadata(f"hidden_{name}", grade=True, locked=True, points=hidden),
                )
            )
    book = new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
    )
    nbformat.validate(book)
    return book


def build(out: Path, assignment_ids_: list[str] | None = None) -> Course:
    """Write (or refresh) the course folder `out`: nbgrader_config.py and source/<module>/<module>.ipynb.

    Only those files are written: release/, submitted/, autograded/ and gradebook.db, the
    instructor's nbgrader state, are left alone.
    """
    ids = selected(assignment_ids_)
    known = {i: [f.name for f in load_assignment(i).functions] for i in assignment_ids()}
    settings = grader_config.load(ROOT / "grader.toml", known)
    course = Course(out)
    out.mkdir(parents=True, exist_ok=True)
    config = out / "nbgrader_config.py"
    if not config.exists() or config.read_text(encoding="utf-8").startswith(CONFIG_MARK):
        write_text(config, NBGRADER_CONFIG)
    for assignment_id in ids:
        assignment = configured(load_assignment(assignment_id), settings)
        path = out / "source" / assignment.module / f"{assignment.module}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook(assignment), str(path))
        course.notebooks[assignment_id] = path
        course.points[assignment_id] = assignment.points
    return course

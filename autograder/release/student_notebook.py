"""The student release's notebook per assignment: `assignments/NN/NN-<module>.ipynb`.

Generated at build time from the assignment's own sources, so it cannot drift from them:
the README (its sections as Markdown cells), the graded functions with their signatures,
first docstring lines and points (from the stub and the exercise record), how to work
(edit `NN/<module>.py` in JupyterLab's editor, save, run the check cell), and a code cell
that runs `pytest assignments/NN` in a fresh process, so every run checks the file as last
saved with the same summary as in a terminal (the kernel never imports the student's
module, so there is nothing stale to reload).

Named `NN-<module>.ipynb`, not `<module>.ipynb`: the grader accepts an nbgrader notebook
named after the module in place of the `.py` file, and this one holds no code of the
student's. It carries no outputs and no solution code; the release's leak check scans it
like every other file.
"""

from __future__ import annotations

import ast
import copy
import re
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from kit.catalog import ASSIGNMENTS
from kit.spec import Assignment

FENCE = re.compile(r"^\s*(```|~~~)")
CHECK_MARK = "# Self-check: runs `pytest assignments/{id}`"  # how tests find the check cell


def notebook_name(assignment: Assignment) -> str:
    return f"{assignment.id}-{assignment.module}.ipynb"


def relative_path(assignment: Assignment) -> str:
    """Where the notebook lies in the student release."""
    return f"assignments/{assignment.id}/{notebook_name(assignment)}"


def signatures(stub: Path, names: list[str]) -> dict[str, tuple[str, str]]:
    """name -> (signature, first docstring line) of each graded function in the stub."""
    found: dict[str, tuple[str, str]] = {}
    if not stub.is_file():
        return found
    for node in ast.parse(stub.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in names:
            doc = (ast.get_docstring(node) or "").strip().splitlines()
            header = copy.copy(node)
            header.body, header.decorator_list = [ast.Pass()], []
            signature = ast.unparse(header).splitlines()[0].removeprefix("async ").removeprefix("def ").removesuffix(":")
            found[node.name] = (signature, doc[0] if doc else "")
    return found


def readme_sections(text: str) -> list[str]:
    """The README split at its level-2 headings (outside code blocks), one Markdown cell each."""
    sections: list[list[str]] = [[]]
    fenced = False
    for line in text.strip().splitlines():
        if FENCE.match(line):
            fenced = not fenced
        if not fenced and line.startswith("## ") and any(s.strip() for s in sections[-1]):
            sections.append([])
        sections[-1].append(line)
    return ["\n".join(s).strip() for s in sections if any(x.strip() for x in s)]


def check_code(assignment: Assignment) -> str:
    """The self-check cell: `pytest assignments/NN` from the release folder, in a fresh process, output printed as it comes."""
    aid, module = assignment.id, assignment.module
    return f"""{CHECK_MARK.format(id=aid)} on your saved {module}.py, in a fresh process each run
import os
import subprocess
import sys
from pathlib import Path

# the release folder: the one that holds assignments/{aid}/, where this notebook lies
here = Path.cwd()
root = next((p for p in [here, *here.parents] if (p / "assignments/{aid}/{module}.py").is_file()), None)
if root is None:
    raise FileNotFoundError(f"no assignments/{aid}/{module}.py in {{here}} or above it")
command = [sys.executable, "-m", "pytest", "assignments/{aid}"]
utf8 = {{**os.environ, "PYTHONUTF8": "1"}}  # the summary's table is drawn with box characters
with subprocess.Popen(command, cwd=root, env=utf8, encoding="utf-8",
                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as run:
    for line in run.stdout:  # as pytest prints it
        print(line, end="", flush=True)"""


def try_code(assignment: Assignment) -> str:
    return f"""# Try your functions by hand: this cell loads your saved {assignment.module}.py afresh each time it runs.
import torch
from kit.catalog import load_module

mine = load_module(root / "assignments" / "{assignment.id}" / "{assignment.module}.py")
# e.g. mine.{assignment.functions[0].name}(...)"""


def notebook(assignment: Assignment, folder: Path | None = None) -> nbformat.NotebookNode:
    """The notebook of one assignment, made from the files in `folder` (default: the kit's assignments/NN/)."""
    folder = folder or ASSIGNMENTS / assignment.id
    aid, module = assignment.id, assignment.module
    readme = folder / "README.md"
    sections = readme_sections(readme.read_text(encoding="utf-8")) if readme.is_file() else []
    title, intro = f"# Assignment {aid}: {assignment.title}", ""
    if sections and sections[0].startswith("# "):  # the README's title and opening paragraphs head the notebook
        title, _, intro = sections.pop(0).partition("\n")
    found = signatures(folder / f"{module}.py", [f.name for f in assignment.functions])
    functions = []
    for function in assignment.functions:
        signature, summary = found.get(function.name, (function.name, ""))
        functions.append(f"- `{signature}` ({function.points:g} point{'s' if function.points != 1 else ''}){': ' + summary if summary else ''}")
    cells = [
        new_markdown_cell(f"{title}\n\n{intro.strip()}".strip()),
        new_markdown_cell(
            f"## How to work\n\n"
            f"You write your code in [`{module}.py`]({module}.py), next to this notebook (`assignments/{aid}/{module}.py` in the "
            f"release folder): click the link, or double-click the file in JupyterLab's file browser, to open it in the editor. "
            f"Replace each `raise NotImplementedError(...)` line with your code and save (Ctrl+S). Then run the **self-check** "
            f"cell below (*Run > Run All Cells*, or click into it and press Shift+Enter): it runs `pytest assignments/{aid}` "
            f"on your file as last saved and ends with your points per function. Run it again after every change; there is "
            f"no kernel to restart. This notebook is generated from the assignment's files and is not graded: only "
            f"`{module}.py` is."
        ),
        new_markdown_cell(
            f"## What you implement\n\nIn `{module}.py`, for {assignment.points:g} points in all "
            f"(the grade also includes hidden checks):\n\n" + "\n".join(functions)
        ),
        *(new_markdown_cell(section) for section in sections),
        new_markdown_cell(
            "## Self-check\n\n"
            f"The same as `pytest assignments/{aid}` in a terminal: a table of your points per graded function (public "
            "tests only) and, under it, for each function that fails a check, its first failing check, the smallest "
            "failing input and a hint. A function you have not started is one row, *not started*."
        ),
        new_code_cell(check_code(assignment)),
        new_markdown_cell(
            "## Try your functions\n\nRun the self-check cell first (it finds the release folder, `root`). This cell "
            f"loads your saved `{module}.py` as `mine`; call `mine.<function>(...)` on your own tensors."
        ),
        new_code_cell(try_code(assignment)),
    ]
    for number, cell in enumerate(cells):  # fixed ids, not nbformat's random ones: the same sources give the same bytes
        cell.id = f"cell-{number}"
    book = new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
            "language_info": {"name": "python"},
        },
    )
    nbformat.validate(book)
    return book


def write(assignment: Assignment, folder: Path) -> Path:
    """Write the notebook into the staged `folder` (assignments/NN/ of the release), from the files there."""
    path = folder / notebook_name(assignment)
    nbformat.write(notebook(assignment, folder), str(path))
    return path

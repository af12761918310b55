"""The nbgrader course: nbgrader's own generate_assignment and autograde accept it as it is.

Every assignment's notebook goes through nbgrader's generate_assignment; assignment 02 is
also autograded by nbgrader (solution: full marks, released stub: zero) and graded by the
kit's own autograder next to its .py twin. nbgrader autograde takes about 10 s of CPU per
notebook, so only 02 is autograded.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder import sandbox
from autograder.release import leaks, nbgrader_course
from autograder.submissions import notebook_to_source
from kit.catalog import ASSIGNMENTS, ROOT, SOLUTIONS, assignment_ids, load_assignment

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.skipif(not (BIN / "nbgrader").exists(), reason="nbgrader is not installed (pip install -e '.[dev]')")
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}  # nbgrader runs `alembic` from PATH
STUB_LINE = nbgrader_course.CODE_STUB

GENERATE_ALL = """
import json, os, sys
from traitlets.config.loader import PyFileConfigLoader
from nbgrader.apps import NbGraderAPI
config = PyFileConfigLoader("nbgrader_config.py", path=os.getcwd()).load_config()
config.CourseDirectory.root = os.getcwd()
api = NbGraderAPI(config=config)
print(json.dumps({name: api.generate_assignment(name) for name in sys.argv[1:]}))
"""


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> nbgrader_course.Course:
    """Every assignment's source notebook, released by nbgrader's own generate_assignment."""
    built = nbgrader_course.build(tmp_path_factory.mktemp("course"))
    names = [load_assignment(i).module for i in assignment_ids()]
    result = subprocess.run([sys.executable, "-c", GENERATE_ALL, *names], cwd=built.root, env=ENV, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert {name: r["success"] for name, r in outcome.items()} == dict.fromkeys(names, True), {n: r.get("error", "")[-1500:] for n, r in outcome.items()}
    return built


def code_of(path: Path) -> ast.Module:
    return ast.parse(notebook_to_source(path.read_bytes()))


def without_solution(source: str, functions: set[str], replacement: str = STUB_LINE) -> str:
    """`source` with the marked bodies of `functions` replaced (markers kept, as a student would leave them)."""
    lines = source.splitlines()
    for node in sorted((n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name in functions), key=lambda n: -n.lineno):
        span = range(node.lineno - 1, len(lines))
        begin = next(i for i in span if "### BEGIN SOLUTION" in lines[i])
        end = next(i for i in span if "### END SOLUTION" in lines[i])
        indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
        lines[begin + 1 : end] = [indent + replacement]
    return "\n".join(lines) + "\n"


def notebook_without_solution(path: Path, functions: set[str], replacement: str = STUB_LINE) -> str:
    book = nbformat.read(str(path), as_version=4)
    for cell in book.cells:
        if cell.metadata.get("nbgrader", {}).get("solution") and re.search(r"^def (\w+)", cell.source, re.M)[1] in functions:
            cell.source = without_solution(cell.source, functions, replacement).rstrip("\n")
    return nbformat.writes(book)


def test_every_source_notebook_is_valid_and_holds_the_solution(course):
    from nbgrader.nbgraderformat import MetadataValidator

    for assignment_id, path in course.notebooks.items():
        assignment = load_assignment(assignment_id)
        book = nbformat.read(str(path), as_version=4)
        MetadataValidator().validate_nb(book)
        meta = [c.metadata["nbgrader"] for c in book.cells]
        assert len({m["grade_id"] for m in meta}) == len(meta)
        graded = [(c, m) for c, m in zip(book.cells, meta, strict=True) if m["grade"]]
        assert round(sum(m["points"] for _, m in graded), 6) == course.points[assignment_id]
        for function in assignment.functions:
            visible = next(c for c, m in graded if m["grade_id"] == f"test_{function.name}")
            assert f'check("{assignment_id}", "{function.name}", {function.name})' in visible.source
            assert "### BEGIN HIDDEN TESTS" in visible.source and "grade_with_the_grader()" in visible.source
        assert all("### BEGIN HIDDEN TESTS" in c.source for c, m in graded if m["grade_id"].startswith("hidden_"))
        solutions = [c for c, m in zip(book.cells, meta, strict=True) if m["solution"]]
        assert len(solutions) == len(assignment.functions) and all("### BEGIN SOLUTION" in c.source for c in solutions)
        assert ast.dump(code_of(path)) == ast.dump(ast.parse((SOLUTIONS / f"{assignment.module}.py").read_text()))


def test_released_notebooks_equal_the_stubs_and_leak_nothing(course):
    release = course.root / "release"
    for assignment_id in course.notebooks:
        module = load_assignment(assignment_id).module
        released = release / module / f"{module}.ipynb"
        text = released.read_text()
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text and "check_as_graded" not in text
        assert ast.dump(code_of(released)) == ast.dump(ast.parse((ASSIGNMENTS / assignment_id / f"{module}.py").read_text()))
    found, _ = leaks.partition(leaks.scan_folder(release))
    capstone = [f for f in found if f.path.startswith("capstone/") and f.source == "solutions/softmax.py: accuracy()"]
    assert [f for f in found if f not in capstone] == []  # the capstone's evaluate() helper is acknowledged in its .py form


def test_nbgrader_autograde_scores_as_the_kits_grader(course, tmp_path):
    """Full marks for the solution, 0 for the stub and for code that does nothing, and the kit's
    6 of 10 for a half-solved notebook: nbgrader's partial credit carries the kit's scoring rule."""
    root = course.root
    source = root / "source" / "softmax" / "softmax.ipynb"
    (tmp_path / "zeros.ipynb").write_text(notebook_without_solution(source, {"softmax", "log_softmax"}, "return torch.zeros_like(X)"))
    submissions = {
        "solution": source.read_text(),
        "stub": (root / "release" / "softmax" / "softmax.ipynb").read_text(),
        "zeros": notebook_without_solution(tmp_path / "zeros.ipynb", {"cross_entropy", "accuracy"}, "return torch.zeros_like(logits)"),
        "half": notebook_without_solution(source, {"cross_entropy", "accuracy"}),
    }
    for student, text in submissions.items():
        (root / "submitted" / student / "softmax").mkdir(parents=True)
        (root / "submitted" / student / "softmax" / "softmax.ipynb").write_text(text)
    result = subprocess.run([str(BIN / "nbgrader"), "autograde", "softmax"], cwd=root, env=ENV, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        scores = {s: (gradebook.find_submission("softmax", s).score, gradebook.find_submission("softmax", s).max_score) for s in submissions}
    assert scores == {"solution": (10, 10), "stub": (0, 10), "zeros": (0, 10), "half": (6, 10)}
    graded = nbformat.read(str(root / "autograded" / "solution" / "softmax" / "softmax.ipynb"), as_version=4)
    printed = "".join(o.get("text", "") for c in graded.cells if c.cell_type == "code" for o in c.outputs)
    assert re.search(r"softmax: (\d+)/\1 graded public checks passed", printed) and re.search(r"softmax: (\d+)/\1 hidden checks passed", printed)


def test_hidden_parts_apply_the_forbidden_api_rule_to_the_notebooks_solution_cells(course, tmp_path, monkeypatch):
    from autograder.release.notebook import check_as_graded, check_forbidden

    source = course.root / "source" / "softmax" / "softmax.ipynb"
    (tmp_path / "softmax.ipynb").write_text(notebook_without_solution(source, {"softmax"}, "return torch.softmax(X, dim)"))
    monkeypatch.chdir(tmp_path)  # nbgrader runs a notebook in its own folder
    with pytest.raises(AssertionError, match=r"softmax\(\) uses torch.softmax"):
        check_forbidden("02", "softmax", None)
    check_forbidden("02", "log_softmax", None)  # the other functions keep their points, as with the kit's grader
    with pytest.raises(AssertionError, match="torch.softmax"):
        check_as_graded("02", "softmax", lambda X, dim=-1: X.softmax(dim), hidden=True)


def test_kit_autograder_scores_a_notebook_as_its_py_twin(course, tmp_path):
    root = course.root
    half = {"cross_entropy", "accuracy"}  # softmax and log_softmax solved: 6 of 10 points
    twins = {
        "py-half": ("softmax.py", without_solution((SOLUTIONS / "softmax.py").read_text(), half)),
        "nb-half": ("softmax.ipynb", notebook_without_solution(root / "source" / "softmax" / "softmax.ipynb", half)),
        "py-stub": ("softmax.py", (ASSIGNMENTS / "02" / "softmax.py").read_text()),
        "nb-stub": ("softmax.ipynb", (root / "release" / "softmax" / "softmax.ipynb").read_text()),
    }
    for student, (name, text) in twins.items():
        (tmp_path / "subs" / student).mkdir(parents=True)
        (tmp_path / "subs" / student / name).write_text(text)
    command = [sys.executable, "-m", "autograder", "grade", "--assignment", "02", "--submissions", str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--jobs", "2"]
    try:
        sandbox.check_available()
    except sandbox.SandboxUnavailable:
        command.append("--no-sandbox")
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    results = {s: json.loads((tmp_path / "out" / s / "results.json").read_text()) for s in twins}
    for pair in ("half", "stub"):
        py, nb = results[f"py-{pair}"], results[f"nb-{pair}"]
        assert nb["score"] == py["score"], (nb["output"], py["output"])
        assert [(t["name"], t["status"]) for t in nb["tests"]] == [(t["name"], t["status"]) for t in py["tests"]]
    assert results["nb-half"]["score"] == 6 and results["nb-stub"]["score"] == 0


def test_rebuilding_keeps_the_instructors_nbgrader_state(course, tmp_path):
    root = tmp_path / "course"
    shutil.copytree(course.root, root, ignore=shutil.ignore_patterns("autograded", "submitted"))
    (root / "nbgrader_config.py").write_text("c = get_config()  # noqa: F821\nc.CourseDirectory.course_id = 'mine'\n")
    nbgrader_course.build(root, ["02"])
    assert (root / "gradebook.db").exists() and (root / "release" / "softmax" / "softmax.ipynb").exists()
    assert "mine" in (root / "nbgrader_config.py").read_text()  # an instructor's own config is not overwritten

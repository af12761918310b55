"""The student release: only student material, leak-checked, installable with its own README commands."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder.release import leaks, student, student_notebook
from kit.catalog import ASSIGNMENTS, ROOT, SOLUTIONS, assignment_ids, load_assignment

SITE_PACKAGES = Path(sysconfig.get_paths()["purelib"])
SEED = tomllib.loads((ROOT / "grader.toml").read_text())["grader"]["seed"]


@pytest.fixture(scope="module")
def secrets() -> leaks.Secrets:
    return leaks.collect_secrets()


@pytest.fixture(scope="module")
def release(tmp_path_factory, secrets) -> student.StudentRelease:
    return student.build(tmp_path_factory.mktemp("release"), None, secrets)


@pytest.fixture
def files(release) -> dict[str, bytes]:
    return leaks.read_folder(release.folder)


def solution_block(module: str, function: str) -> str:
    """The lines between the solution markers of one solution function."""
    source = (SOLUTIONS / f"{module}.py").read_text()
    node = next(n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == function)
    lines = source.splitlines()[node.lineno - 1 : node.end_lineno + 1]
    begin = next(i for i, line in enumerate(lines) if "### BEGIN SOLUTION" in line)
    end = next(i for i, line in enumerate(lines) if "### END SOLUTION" in line)
    return "\n".join(lines[begin + 1 : end])


def leaked(files: dict[str, bytes], secrets: leaks.Secrets) -> list[leaks.Leak]:
    return leaks.partition(leaks.scan_files(files, secrets))[0]


def test_release_holds_student_material_only(release, files):
    assert {p.split("/")[0] for p in files} == {"README.md", "pyproject.toml", ".gitignore", "kit", "datasets", "assignments"}
    for assignment_id in assignment_ids():
        module = load_assignment(assignment_id).module
        assert f"assignments/{assignment_id}/{module}.py" in files
        assert any(p.startswith(f"assignments/{assignment_id}/test_") for p in files)
    assert "kit/pytest_plugin.py" in files and "kit/notebook.py" in files and "datasets/__init__.py" in files
    assert "kit/stubs.py" not in files  # reads solutions/: an instructor's tool
    assert {p for p in files if p.endswith(".ipynb")} == {student_notebook.relative_path(load_assignment(i)) for i in assignment_ids()}
    assert not [p for p in files if set(Path(p).parts) & {"solutions", "autograder", "tests", "grader.toml", "__pycache__"}]
    with zipfile.ZipFile(release.zip) as archive:
        assert sorted(archive.namelist()) == sorted(f"{student.NAME}/{p}" for p in files)


def test_release_is_clean_and_says_what_it_accepted(release, files, secrets):
    assert leaked(files, secrets) == []
    assert leaks.partition(leaks.scan_zip(release.zip, secrets))[0] == []
    accepted = {leak.source for leak, _ in release.acknowledged}
    assert "solutions/softmax.py: accuracy()" in accepted  # the public reference_accuracy is the formula itself
    text = b"".join(files.values()).decode(errors="replace")
    assert secrets.tokens and not [token for token in secrets.tokens if token in text]


def test_planted_solution_body_is_caught(files, secrets):
    stub = files["assignments/02/softmax.py"].decode()
    raise_line = '    raise NotImplementedError("TODO: implement this function")'
    planted = stub.replace(raise_line, solution_block("softmax", "softmax"), 1)
    assert planted != stub
    found = leaked({**files, "assignments/02/softmax.py": planted.encode()}, secrets)
    assert [(f.path, f.kind, f.source) for f in found] == [("assignments/02/softmax.py", "solution body", "solutions/softmax.py: softmax()")]


def test_planted_solution_is_caught_renamed_elsewhere_and_in_other_formats(files, secrets):
    body = ast.parse(solution_block("softmax", "log_softmax").replace("\n    ", "\n").strip())
    names = {}
    for node in ast.walk(body):  # rename every variable: the check compares structure, not names
        if isinstance(node, ast.Name):
            node.id = names.setdefault(node.id, f"renamed_{len(names)}")
    renamed = "def helper(renamed_0, renamed_1=-1):\n" + "".join(f"    {line}\n" for line in ast.unparse(body).splitlines())
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "source": solution_block("softmax", "cross_entropy").replace("\n    ", "\n").strip()}
    notebook = json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    readme = files["assignments/02/README.md"] + b"\n```python\n" + solution_block("softmax", "softmax").replace("\n    ", "\n").strip().encode() + b"\n```\n"
    planted = {**files, "assignments/02/helpers.py": renamed.encode(), "assignments/02/extra.ipynb": notebook.encode(), "assignments/02/README.md": readme}
    found = {(f.path, f.source) for f in leaked(planted, secrets)}
    assert ("assignments/02/helpers.py", "solutions/softmax.py: log_softmax()") in found
    assert ("assignments/02/README.md", "solutions/softmax.py: softmax()") in found
    assert any(path == "assignments/02/extra.ipynb" and "cross_entropy" in source for path, source in found)


def test_acknowledged_body_is_caught_anywhere_else(files, secrets):
    stub = files["assignments/02/softmax.py"].decode()
    planted = stub.rstrip().rsplit("\n", 1)[0] + "\n" + solution_block("softmax", "accuracy") + "\n"
    found = leaked({**files, "assignments/02/softmax.py": planted.encode()}, secrets)
    assert [(f.path, f.source) for f in found] == [("assignments/02/softmax.py", "solutions/softmax.py: accuracy()")]


def test_planted_hidden_test_seed_and_instructor_files_are_caught(files, secrets):
    hidden_source = (ROOT / "autograder" / "hidden" / "softmax.py").read_text()
    tree = ast.parse(hidden_source)
    strategy = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "tied_and_extreme_logits")
    code = "\n".join(hidden_source.splitlines()[strategy.decorator_list[0].lineno - 1 : strategy.end_lineno])
    docstring = ast.get_docstring(strategy)
    planted = {
        **files,
        "assignments/02/test_softmax.py": files["assignments/02/test_softmax.py"] + b"\n\n" + code.replace("tied_and_extreme_logits", "more_inputs").encode(),
        "datasets/README.md": files["datasets/README.md"] + f"\nInputs mix: {docstring}\n".encode(),
        "kit/strategies.py": files["kit/strategies.py"] + f"\nGRADER_SEED = {SEED}\n".encode(),
        "assignments/02/hint.py": b"from solutions import softmax as reference\n",
        "solutions/softmax.py": (SOLUTIONS / "softmax.py").read_bytes(),
    }
    found = leaked(planted, secrets)
    kinds = {(f.path, f.kind) for f in found}
    assert ("assignments/02/test_softmax.py", "hidden test") in kinds
    assert ("datasets/README.md", "hidden test") in kinds
    assert ("kit/strategies.py", "grader secret") in kinds
    assert ("assignments/02/hint.py", "import of an instructor-only package") in kinds
    assert ("solutions/softmax.py", "instructor-only file") in kinds and ("solutions/softmax.py", "solution body") in kinds
    hidden = next(f for f in found if f.path == "assignments/02/test_softmax.py")
    assert hidden.source == "autograder/hidden/softmax.py: tied_and_extreme_logits()"


def test_check_command_fails_on_a_leaky_release(release, tmp_path):
    leaky = tmp_path / "leaky"
    for relative, data in leaks.read_folder(release.folder).items():
        (leaky / relative).parent.mkdir(parents=True, exist_ok=True)
        (leaky / relative).write_bytes(data)
    stub = leaky / "assignments" / "02" / "softmax.py"
    stub.write_text(stub.read_text().replace('    raise NotImplementedError("TODO: implement this function")', solution_block("softmax", "softmax"), 1))
    result = subprocess.run([sys.executable, "-m", "autograder.release", "check", str(leaky)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "softmax.py (line" in result.stderr and "solutions/softmax.py: softmax()" in result.stderr and "Traceback" not in result.stderr


def readme_block(readme: str, begin: str, end: str) -> str:
    block = readme.split(begin, 1)[1].split(end, 1)[0]
    return "\n".join(line for line in block.splitlines() if line.strip() and not line.startswith("```"))


def seed_venv(venv: Path, shim: Path) -> None:
    """Test speed-up only: make this machine's installed torch & co visible to the fresh venv, so pip
    finds them satisfied instead of unpacking a gigabyte. The kit itself, pip, setuptools and pytest
    (whose `pytest` command the README uses) are left out, so the README's own install provides them."""
    subprocess.run([str(Path(sys.base_prefix) / "bin" / "python3"), "-m", "venv", str(venv)], check=True)
    shim.mkdir()
    left_out = ("dl_course_kit", "__editable__", "pip", "setuptools", "_distutils_hack", "pkg_resources", "_pytest", "pytest", "py.py", "__pycache__")
    for entry in SITE_PACKAGES.iterdir():
        if not entry.name.endswith(".pth") and not entry.name.startswith(left_out):
            (shim / entry.name).symlink_to(entry)
    site = next(venv.glob("lib/python3*/site-packages"))
    (site / "zz_test_shim.pth").write_text(f"{shim}\n")


def test_fresh_copy_installs_with_its_readme_commands_and_runs_the_public_tests(release, tmp_path):
    with zipfile.ZipFile(release.zip) as archive:
        archive.extractall(tmp_path / "unzipped")
    folder = tmp_path / "unzipped" / student.NAME
    readme = (folder / "README.md").read_text()
    setup = readme_block(readme, student.SETUP_BEGIN, student.SETUP_END)
    assert 'pip install -e ".[notebook]"' in setup and "`pytest assignments/02`" in readme
    seed_venv(folder / ".venv", tmp_path / "shim")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PIP_REQUIRE_VIRTUALENV")}
    env["PATH"] = f"{Path(sys.base_prefix) / 'bin'}:/usr/local/bin:/usr/bin:/bin"

    def run(commands: str) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", "-c", commands], cwd=folder, env=env, capture_output=True, text=True, timeout=600)

    installed = run(f"set -e\n{setup}\necho SETUP-OK")
    assert installed.returncode == 0 and "SETUP-OK" in installed.stdout, installed.stdout[-3000:] + installed.stderr[-3000:]
    lab = run("source .venv/bin/activate\npython -m jupyterlab --version")  # the notebook extra (only resolved here: the shim holds it)
    assert lab.returncode == 0 and re.fullmatch(r"4\.\d+\.\d+\s*", lab.stdout), lab.stdout[-3000:] + lab.stderr[-3000:]
    stub = run("source .venv/bin/activate\npytest assignments/02")
    assert stub.returncode == 1, stub.stdout[-3000:] + stub.stderr[-3000:]
    assert str(folder) in stub.stdout and "dl-course-kit-student" in stub.stdout  # its own rootdir and plugin
    assert "Assignment 02: softmax regression" in stub.stdout and "0.0/10" in stub.stdout
    assert stub.stdout.count("not started") == 4 and stub.stdout.rstrip().endswith("┘")  # one row per function, the table last
    (folder / "assignments" / "02" / "softmax.py").write_bytes((SOLUTIONS / "softmax.py").read_bytes())
    solved = run("source .venv/bin/activate\npytest assignments/02 -q --examples 3")
    assert solved.returncode == 0, solved.stdout[-3000:] + solved.stderr[-3000:]
    assert "10.0/10" in solved.stdout


def check_cells(book: nbformat.NotebookNode, assignment_id: str) -> list[nbformat.NotebookNode]:
    mark = student_notebook.CHECK_MARK.format(id=assignment_id)
    return [c for c in book.cells if c.cell_type == "code" and c.source.startswith(mark)]


def test_release_has_a_notebook_per_assignment_that_runs_its_self_check(release, files):
    readme = files["README.md"].decode()
    lab = readme_block(readme, student.LAB_BEGIN, student.LAB_END)
    assert lab == f"jupyter lab {student_notebook.relative_path(load_assignment(assignment_ids()[0]))}"
    project = tomllib.loads(files["pyproject.toml"].decode())["project"]
    assert any(r.startswith("jupyterlab") for r in project["optional-dependencies"]["notebook"])  # what `jupyter lab` needs
    for assignment_id in assignment_ids():
        assignment = load_assignment(assignment_id)
        book = nbformat.reads(files[student_notebook.relative_path(assignment)].decode(), as_version=4)
        nbformat.validate(book)
        assert book.metadata.kernelspec.name == "python3"
        code = [c for c in book.cells if c.cell_type == "code"]
        assert not [c for c in code if c.outputs or c.execution_count], "released with outputs"
        [check] = check_cells(book, assignment_id)
        assert f'[sys.executable, "-m", "pytest", "assignments/{assignment_id}"]' in check.source and "cwd=root" in check.source
        assert len(code) == 2 and "load_module(root" in code[1].source  # the self-check and the scratch cell, nothing else runs
        markdown = "\n".join(c.source for c in book.cells if c.cell_type == "markdown")
        assert f"[`{assignment.module}.py`]({assignment.module}.py)" in markdown  # opens the student's file in the editor
        assert all(f"- `{f.name}(" in markdown for f in assignment.functions)
        headings = re.findall(r"^#+ .*$", (ASSIGNMENTS / assignment_id / "README.md").read_text(), re.M)
        assert headings and all(h in markdown for h in headings), "the README's sections are the notebook's"


def test_notebooks_are_reproducible():
    """The same sources give the same notebook bytes (cell ids included), so the zip stays byte-for-byte reproducible."""
    assignment = load_assignment("02")
    assert nbformat.writes(student_notebook.notebook(assignment)) == nbformat.writes(student_notebook.notebook(assignment))


def test_notebook_runs_its_self_check_headless_on_the_file_as_last_saved(release, tmp_path):
    """nbclient runs the released notebook of 02 as JupyterLab would (kernel in the notebook's folder): the stub's
    summary; then, the file replaced by the solution, the same cell in the same kernel gives full marks."""
    from nbclient import NotebookClient

    copy = tmp_path / "release"
    shutil.copytree(release.folder, copy)
    notebook = copy / student_notebook.relative_path(load_assignment("02"))
    book = nbformat.read(notebook, as_version=4)
    [check] = check_cells(book, "02")
    index = book.cells.index(check)

    def summary() -> str:  # pytest colours its output in a kernel
        return re.sub(r"\x1b\[[0-9;]*m", "", "".join(o.get("text", "") for o in check.outputs))

    client = NotebookClient(book, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(notebook.parent)}})
    with client.setup_kernel():
        client.execute_cell(check, index)
        text = summary()
        assert f"rootdir: {copy}" in text and "Assignment 02: softmax regression" in text
        assert text.count("not started") == 4 and re.search(r"│ total\s*│\s*│\s*0\.0/10 │", text), text[-3000:]
        (notebook.parent / "softmax.py").write_bytes((SOLUTIONS / "softmax.py").read_bytes())
        check.outputs = []
        client.execute_cell(check, index)
        text = summary()
        assert re.search(r"│ total\s*│\s*│\s*10\.0/10 │", text) and "not started" not in text, text[-3000:]

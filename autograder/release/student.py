"""The student release: stubs, public tests, the kit's pytest plugin, data sets and READMEs.

Built from an allow-list (nothing of solutions/, autograder/, grader.toml or tests/ is
ever copied), then checked by `leaks.check` on the folder and again on the zip, so that a
stale stub or a snippet in a README cannot carry a solution out either.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from autograder.release import leaks, student_notebook
from autograder.release.common import copy_files, selected, write_text, write_zip
from kit.catalog import ASSIGNMENTS, ROOT, load_assignment

NAME = "dl-course-kit-student"
KIT_INSTRUCTOR_ONLY = ("stubs.py",)  # writes stubs from solutions/: an instructor's tool
SETUP_BEGIN, SETUP_END = "<!-- setup:begin -->", "<!-- setup:end -->"
CHECK_BEGIN, CHECK_END = "<!-- check:begin -->", "<!-- check:end -->"
LAB_BEGIN, LAB_END = "<!-- lab:begin -->", "<!-- lab:end -->"


@dataclass
class StudentRelease:
    folder: Path
    zip: Path
    assignments: list[str]
    files: int = 0
    acknowledged: list[tuple[leaks.Leak, str]] = field(default_factory=list)
    shared: list[leaks.Secret] = field(default_factory=list)


def build(out: Path, assignment_ids: list[str] | None = None, secrets: leaks.Secrets | None = None) -> StudentRelease:
    """Write `out/dl-course-kit-student/` and `out/dl-course-kit-student.zip`; raise LeakError if either leaks."""
    ids = selected(assignment_ids)
    out.mkdir(parents=True, exist_ok=True)
    secrets = secrets if secrets is not None else leaks.collect_secrets()
    staging = Path(tempfile.mkdtemp(prefix=f".{NAME}.", dir=out))
    try:
        stage = staging / NAME
        stage.mkdir()
        files = _populate(stage, ids)
        acknowledged = leaks.check(leaks.read_folder(stage), secrets)
        folder = out / NAME
        if folder.exists():
            shutil.rmtree(folder)
        stage.rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    zip_path = write_zip(folder, out / f"{NAME}.zip", prefix=NAME)
    try:
        leaks.check(leaks.read_zip(zip_path), secrets)
    except leaks.LeakError:
        zip_path.unlink()
        raise
    return StudentRelease(folder, zip_path, ids, files, acknowledged, secrets.shared)


def _populate(stage: Path, ids: list[str]) -> int:
    copied = copy_files(ROOT / "kit", stage / "kit", skip=KIT_INSTRUCTOR_ONLY)
    copied += copy_files(ROOT / "datasets", stage / "datasets")
    for assignment_id in ids:
        copied += copy_files(ASSIGNMENTS / assignment_id, stage / "assignments" / assignment_id)
        copied.append(student_notebook.write(load_assignment(assignment_id), stage / "assignments" / assignment_id))
    write_text(stage / "README.md", student_readme(ids))
    write_text(stage / "pyproject.toml", student_pyproject())
    write_text(stage / ".gitignore", ".venv/\n__pycache__/\n*.pyc\n.hypothesis/\n.pytest_cache/\n*.egg-info/\n")
    return len(copied) + 3


def student_pyproject(root: Path = ROOT) -> str:
    """The kit's own pyproject cut down to what students install: kit, datasets, the pytest plugin."""
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    notebook = project["optional-dependencies"]["notebook"]  # JupyterLab, for the notebooks

    def strings(values: list[str]) -> str:
        return "[\n" + "".join(f"    {json.dumps(v)},\n" for v in values) + "]"

    return f"""# The student kit: `pip install -e .` installs the exercise framework, its pytest plugin and the data sets;
# `pip install -e ".[notebook]"` adds JupyterLab, for the notebooks.
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "{project["name"]}-student"
version = "{project["version"]}"
description = {json.dumps(project.get("description", ""))}
requires-python = "{project.get("requires-python", ">=3.11")}"
dependencies = {strings(project["dependencies"])}

[project.optional-dependencies]
notebook = {strings(notebook)}

[project.entry-points.pytest11]
kit = "kit.pytest_plugin"

[tool.setuptools.packages.find]
include = ["kit*", "datasets*"]

[tool.pytest.ini_options]
testpaths = ["assignments"]
addopts = "-p no:cacheprovider"
markers = [
    "slow: takes more than a few seconds",
    "gpu: needs a CUDA device",
]
"""


def student_readme(ids: list[str]) -> str:
    rows = []
    for assignment_id in ids:
        assignment = load_assignment(assignment_id)
        functions = ", ".join(f"`{f.name}`" for f in assignment.functions)
        rows.append(
            f"| {assignment_id} | {assignment.title} | `assignments/{assignment_id}/{assignment.module}.py` | {functions} | "
            f"{assignment.points:g} | `pytest assignments/{assignment_id}` |"
        )
    first = ids[0]
    first_notebook_path = student_notebook.relative_path(load_assignment(first))
    notebook_of_first = student_notebook.notebook_name(load_assignment(first))
    table = "\n".join(rows)
    return f"""# Deep learning from scratch: the assignments

You implement the pieces of deep learning (softmax, convolution, normalisation, recurrent
cells, attention, optimizers) from elementary PyTorch tensor operations, in the order of
*Dive into Deep Learning*, and check yourself with the public tests.

| assignment | topic | you edit | graded functions | points | check yourself |
|---|---|---|---|---|---|
{table}

Each `assignments/NN/` folder holds the file you edit (its functions raise
`NotImplementedError` until you write them), its public tests (`test_*.py`), a README with
the maths and a notebook for JupyterLab, `NN-<module>.ipynb` (see "Working in JupyterLab").
Do not edit the test files: they are the same ones your instructor runs.

## Set up (once)

You need Python 3.11 or newer; no GPU. In this folder:

{SETUP_BEGIN}
```
python3 -m venv .venv
source .venv/bin/activate
python -m pip install -e ".[notebook]"
```
{SETUP_END}

This installs PyTorch, the test tools and JupyterLab into `.venv` (`python -m pip install -e .`
leaves JupyterLab out, if you only work in a terminal and your own editor). In every new
terminal, activate the environment again with `source .venv/bin/activate` (on Windows:
`.venv\\Scripts\\activate`, and `py -m venv .venv` to create it).

## Check yourself

After editing `assignments/{first}/{load_assignment(first).module}.py`:

{CHECK_BEGIN}
```
pytest assignments/{first}
```
{CHECK_END}

(`pytest assignments/NN` for assignment NN.) The run ends with your points per graded
function and, under the table, one block per function that fails a check: its first failing
check, the smallest failing input that hypothesis found, a hint, and how many more checks
fail. A function you have not started yet is one row, "not started". `pytest -v` shows
every failure in full; `-k NAME` keeps one function. For example:

```
Assignment 02: softmax regression (public tests)
┏━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┳━━━━━━━━┓
┃ function      ┃ checks passed ┃ points ┃
┡━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━╇━━━━━━━━┩
│ softmax       │           6/7 │  2.0/3 │
│ log_softmax   │           7/7 │  3.0/3 │
│ cross_entropy │   not started │  0.0/3 │
│ accuracy      │   not started │  0.0/1 │
│ total         │               │ 5.0/10 │
└───────────────┴───────────────┴────────┘
softmax: FAILED is finite for logits of +-1e4 [float32]
  output for huge logits: 1 non-finite value(s) (nan/inf) where a finite value is expected
  smallest failing input: softmax(tensor([89.0], dtype=float32))
  hint: exp(1e4) overflows: subtract the max along `dim` before exp
softmax: 4 passing check(s) earned less than their points; property checks earn their points once the function returns correct values
These are the public tests only; the grade also includes hidden tests.
```

It needs no network, runs in seconds and is deterministic: the same code gives the same
result on every run.

## Working in JupyterLab

Each assignment has a notebook beside its file: `assignments/NN/NN-<module>.ipynb`, for
example `assignments/{first}/{notebook_of_first}`. With the environment active, in this folder:

{LAB_BEGIN}
```
jupyter lab {first_notebook_path}
```
{LAB_END}

opens it in your browser (`jupyter lab` alone opens the file browser on this folder). The
notebook has the assignment's maths and the list of functions to write; you write them in
`assignments/NN/<module>.py` itself, in JupyterLab's editor (the notebook links to it). Save,
then run the notebook's self-check cell (*Run > Run All Cells*): it runs
`pytest assignments/NN` on your file as last saved and prints the same summary as above.
Only the `.py` file is graded; the notebook is yours to scribble in.

## How you are graded

These are the public tests only. Your instructor's grader runs them again with other
inputs, plus hidden tests, in a sandbox: your functions must not modify their inputs, must
keep the inputs' dtype and device, and must not call the PyTorch routine they re-implement
(each assignment's file says which ones are off limits). The points in the table above are
the assignment's total; the grade splits them over the checks of each function.

If your course hands out nbgrader notebooks instead (you write the functions in the notebook
itself), each has a test cell after every function that runs these same public checks
(`kit.notebook.check`).

## Data sets

`import datasets` gives small data sets that work offline (the 8x8 digits, synthetic
regression, classification and sequence tasks); see `datasets/README.md`.
"""

"""The instructor's class: 24 students of assignment 02 graded once by the CLI, for the report, `show` and the browser.

The solution, the stub, every mutant of 02, three honest rewrites, a syntax error, a folder
without the module, a notebook, a copy of another student's file with its names and comments
changed, a submission that calls torch.softmax, and one whose folder name and error message
are HTML. Graded with the fast configuration (few examples) and two workers, shrinking on:
what an instructor's run does, only smaller.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
from classes import class_folder
from honest import HONEST

from kit.catalog import ROOT, SOLUTIONS

HONEST_CHOSEN = ("log_sum_exp_by_hand", "where_one_hot", "count_then_divide")
NOTEBOOK_FROM = "exp_of_log_softmax"  # the honest rewrite the notebook student hands in
COPIED_FROM = "honest-where_one_hot"  # whose file the copier takes, renaming and re-commenting
HOSTILE = "<script>alert(1)"  # a folder name that is HTML (a name cannot hold '/')
HOSTILE_MESSAGE = "<img src=x onerror=alert(1)>"
FAST_CONFIG = "[grader]\nexamples = 4\nhidden_examples = 4\n"


@dataclass(frozen=True)
class InstructorClass:
    submissions: Path
    out: Path
    students: tuple[str, ...]
    grade: subprocess.CompletedProcess  # the CLI run: its stdout ends with the class summary


def copied_with_new_names(source: str) -> str:
    """What a copier does to hide it: other local names, other comments, another layout."""
    renamed = (
        source.replace("log_p", "logprobs").replace("losses", "per_row").replace("picked", "one_hot_mask")
        .replace("shifted", "centred").replace("exps", "e").replace('"""Softmax along', '"""My softmax along')
    )
    lines = ["# my own work, honest", *(line + ("  # step" if line.strip().startswith("return") else "") for line in renamed.splitlines())]
    return "\n".join(lines) + "\n"


def build(root: Path) -> tuple[str, ...]:
    students = class_folder(root, "02")  # solution, stub, every mutant of 02
    for rewrite in [h for h in HONEST if h.assignment == "02" and h.name in HONEST_CHOSEN]:
        rewrite.write(root / f"honest-{rewrite.name}")
        students[f"honest-{rewrite.name}"] = rewrite.function
    solution = (SOLUTIONS / "softmax.py").read_text()
    (root / "broken").mkdir()
    (root / "broken" / "softmax.py").write_text(solution.replace("def accuracy(", "def accuracy(logits,, "))
    (root / "no-module").mkdir()
    (root / "no-module" / "notes.txt").write_text("I forgot to upload it\n")
    notebook_source = next(h for h in HONEST if h.assignment == "02" and h.name == NOTEBOOK_FROM).source()
    (root / "notebook").mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(notebook_source)]), str(root / "notebook" / "softmax.ipynb"))
    (root / "copier").mkdir()
    (root / "copier" / "softmax.py").write_text(copied_with_new_names((root / COPIED_FROM / "softmax.py").read_text()))
    (root / "forbidden").mkdir()
    calls_softmax = solution.replace("    shifted = X - X.amax(dim=dim, keepdim=True)\n    exps = shifted.exp()\n    return exps / exps.sum(dim=dim, keepdim=True)",
                                     "    return torch.softmax(X, dim=dim)")
    assert calls_softmax != solution
    (root / "forbidden" / "softmax.py").write_text(calls_softmax)
    (root / HOSTILE).mkdir()
    hostile = solution.replace("    return (logits.argmax(dim=1) == target).double().mean().item()",
                               f"    raise ValueError({HOSTILE_MESSAGE!r})")
    assert hostile != solution
    (root / HOSTILE / "softmax.py").write_text(hostile)
    found = tuple(sorted(p.name for p in root.iterdir()))
    assert len(found) == 24, found
    return found


def grade_instructor_class(root: Path) -> InstructorClass:
    submissions, out = root / "submissions", root / "out"
    students = build(submissions)
    config = root / "fast-grader.toml"
    config.write_text(FAST_CONFIG)
    command = [sys.executable, "-m", "autograder", "grade", "--assignment", "02", "--submissions", str(submissions),
               "--out", str(out), "--jobs", "2", "--config", str(config)]
    if shutil.which("bwrap") is None:
        command.append("--no-sandbox")
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr
    return InstructorClass(submissions, out, students, result)

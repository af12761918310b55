"""Every assignment's class graded once for the whole test session: the tests that read a grade share it.

The class of an assignment is its solution, its stub, every mutant (tests/mutants), every
negative control (tests/degenerate) and every honest rewrite (tests/honest), each as a
student. They are graded by the autograder itself, with the repository's grader.toml, in
the sandbox where bubblewrap is installed (else unsandboxed, as `--no-sandbox` grades), so
what the tests assert is what instructors get; a mutant or an honest rewrite only in the
function it changes (`graded_functions`).
Tests read the results through `Classes`.
"""

from __future__ import annotations

import json
import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from multiprocessing import get_context
from pathlib import Path

import degenerate
import torch
from honest import HONEST
from mutants import MUTANTS

from autograder.config import Config
from autograder.config import load as load_config
from autograder.grade import Job, grade_and_write
from kit.catalog import ASSIGNMENTS, ROOT, SOLUTIONS, assignment_ids, load_assignment

# Every class, costliest first: the sum of its students' execution_time, measured with all 18 (18 and 10 train a network
# per student, 2.2-2.3 s each; 02 costs a seventh of 18). Two workers take the costliest first, so neither is left
# alone with a long class at the end.
COSTLIEST = ("18", "10", "14", "11", "16", "13", "15", "09", "07", "01", "17", "08", "03", "04", "05", "06", "12", "02")
CONTROL, HONEST_REWRITE = "*", "="  # the "function" of a negative control (0 everywhere) and of an honest rewrite (full marks)


def class_folder(root: Path, assignment_id: str, mutants: int | None = None, *, controls: bool = False) -> dict[str, str]:
    """The solution, the stub and the assignment's mutants as students; returns student -> mutated function.

    With `controls`, also every negative control (student "control-<kind>", function CONTROL)
    and every honest rewrite (student "honest-<name>", function HONEST_REWRITE).
    """
    assignment = load_assignment(assignment_id)
    module = assignment.module
    students = {"solution": "", "stub": ""}
    (root / "solution").mkdir(parents=True)
    shutil.copy(SOLUTIONS / f"{module}.py", root / "solution" / f"{module}.py")
    (root / "stub").mkdir()
    shutil.copy(ASSIGNMENTS / assignment_id / f"{module}.py", root / "stub" / f"{module}.py")
    for mutant in [m for m in MUTANTS if m.assignment == assignment_id][:mutants]:
        mutant.write(root / f"mutant-{mutant.name}")
        students[f"mutant-{mutant.name}"] = mutant.function
    if controls:
        for control in degenerate.controls(assignment):
            (root / f"control-{control.kind}").mkdir()
            (root / f"control-{control.kind}" / f"{module}.py").write_text(control.source())
            students[f"control-{control.kind}"] = CONTROL
        for rewrite in [h for h in HONEST if h.assignment == assignment_id]:
            rewrite.write(root / f"honest-{rewrite.name}")
            students[f"honest-{rewrite.name}"] = HONEST_REWRITE
    return students


def shipped_config() -> Config:
    known = {i: [f.name for f in load_assignment(i).functions] for i in assignment_ids()}
    return load_config(ROOT / "grader.toml", known)


def grading_worker() -> None:
    """Initializer of the grading workers: as `grade_all`'s, one torch thread per worker (two workers on two cores)."""
    torch.set_num_threads(1)


def graded_functions(assignment_id: str, student: str, function: str) -> tuple[str, ...] | None:
    """What the class grades of a student (None: everything). A mutant, and an honest rewrite of one
    graded function, only there (`Job.functions`): the rest of either is the solution, graded already.
    A rewrite of a helper may change every function that calls it: all of them."""
    names = {f.name for f in load_assignment(assignment_id).functions}
    if function == HONEST_REWRITE:
        rewrite = next(h for h in HONEST if h.assignment == assignment_id and student == f"honest-{h.name}")
        return (rewrite.function,) if rewrite.function in names else None
    return (function,) if function in names else None


def grade_class(folder: Path, job: Job, students: dict[str, str]) -> None:
    """A grading worker's task: every student of one assignment, so that each example set is
    drawn, and its reference outputs computed, in one worker only."""
    for student, function in sorted(students.items()):
        only = graded_functions(job.assignment_id, student, function)
        grade_and_write(folder / "submissions" / student, replace(job, functions=only), folder / "out")


@dataclass(frozen=True)
class Classes:
    root: Path
    students: dict[str, dict[str, str]]  # assignment -> student -> mutated function (or CONTROL, HONEST_REWRITE, "")
    sandboxed: bool

    def results(self, assignment_id: str, student: str) -> dict:
        return json.loads((self.root / assignment_id / "out" / student / "results.json").read_text())

    def scores(self, assignment_id: str, student: str) -> dict[str, float]:
        return self.results(assignment_id, student)["extra_data"]["function_scores"]


def graded_assignments() -> list[str]:
    """Every assignment, or those named in KIT_ASSIGNMENTS ("11,12"): one assignment's tests without grading
    every class (`KIT_ASSIGNMENTS=11 pytest tests -k 11`), while an assignment is being written."""
    chosen = [a.strip() for a in os.environ.get("KIT_ASSIGNMENTS", "").split(",") if a.strip()]
    return [a for a in assignment_ids() if not chosen or a in chosen]


def grade_every_class(root: Path, sandboxed: bool) -> Classes:
    """One pool of two workers for all assignments: each worker keeps its torch import and sandbox
    zygote for the whole run, as a grading session of several assignments would. A worker grades
    a whole class at a time, the costliest first, so that neither is left alone with a long tail.
    No search for a smaller failing input (`Job.shrink`): it only rewrites the feedback of a check
    that has already failed, and it would double the time. The CLI tests grade with it."""
    config = shipped_config()
    students = {a: class_folder(root / a / "submissions", a, controls=True) for a in graded_assignments()}
    order = sorted(students, key=lambda a: COSTLIEST.index(a) if a in COSTLIEST else len(COSTLIEST))
    with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn"), initializer=grading_worker) as pool:
        jobs = [Job(a, config, isolated=sandboxed, fingerprint="test", shrink=False) for a in order]
        for future in [pool.submit(grade_class, root / job.assignment_id, job, students[job.assignment_id]) for job in jobs]:
            future.result()
    return Classes(root, students, sandboxed)

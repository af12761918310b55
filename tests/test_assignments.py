"""Every assignment's graded checks: the solution passes all, the stub fails all, mutants lose.

The checks run in-process here (the sandbox is tested in test_autograder.py); what they
judge is the same bytes either way, because both go through kit.wire.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from mutants import MUTANTS

from autograder.suite import load
from kit.catalog import ASSIGNMENTS, ROOT, SOLUTIONS, assignment_ids, load_module
from kit.harness import CheckFailed, InProcessRunner, run_check

EXAMPLES = 10
CPU_DEVICES = ("cpu", "meta")


def runnable(graded):
    return [g for g in graded if g.check.device in CPU_DEVICES or torch.cuda.is_available()]


def failures(module, graded) -> list[str]:
    failed = []
    for g in runnable(graded):
        for dtype in g.check.dtypes or g.function.dtypes:
            try:
                run_check(g.check, g.function, InProcessRunner(module), dtype, examples=EXAMPLES)
            except CheckFailed as error:
                failed.append(f"{g.name} [{dtype}]: {error.message}")
                break
    return failed


@pytest.mark.parametrize("assignment_id", assignment_ids())
def test_solution_passes_every_public_and_hidden_check(assignment_id):
    assignment, graded = load(assignment_id)
    solution = load_module(SOLUTIONS / f"{assignment.module}.py")
    assert failures(solution, graded) == []


@pytest.mark.parametrize("assignment_id", assignment_ids())
def test_stub_fails_every_check(assignment_id):
    assignment, graded = load(assignment_id)
    stub = load_module(ASSIGNMENTS / assignment_id / f"{assignment.module}.py")
    failed = failures(stub, graded)
    assert len(failed) == len(runnable(graded)), "some checks pass on the untouched stub"
    assert all("not implemented yet" in f for f in failed)


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.id)
def test_mutant_loses_points_in_its_function(mutant, tmp_path):
    assignment, graded = load(mutant.assignment)
    module = load_module(mutant.write(tmp_path), f"mutant_{mutant.id}")
    target = [g for g in graded if g.function.name == mutant.function]
    assert failures(module, target), f"no check of {mutant.function}() catches {mutant.name}"


def test_mutant_ids_are_unique():
    ids = [m.id for m in MUTANTS]
    assert sorted({i for i in ids if ids.count(i) > 1}) == []


def test_every_assignment_has_mutants():
    covered = {m.assignment for m in MUTANTS}
    assert set(assignment_ids()) <= covered


def test_stubs_are_generated_from_the_solutions():
    result = subprocess.run([sys.executable, "-m", "kit.stubs", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("assignment_id", assignment_ids())
def test_students_pytest_run_fails_on_stub_and_passes_on_solution(assignment_id):
    folder = ASSIGNMENTS / assignment_id
    stub = subprocess.run([sys.executable, "-m", "pytest", str(folder), "-q", "--examples", "5"], cwd=ROOT, capture_output=True, text=True)
    assert stub.returncode == 1
    assert "points" in stub.stdout and "not implemented yet" in stub.stdout
    solved = subprocess.run([sys.executable, "-m", "pytest", str(folder), "-q", "--examples", "5", "--impl-dir", str(SOLUTIONS)], cwd=ROOT, capture_output=True, text=True)
    assert solved.returncode == 0, solved.stdout[-3000:]

"""Every assignment's graded checks: the solution passes all, the stub fails all, mutants lose.

The solution and the stub run in-process here, through the draws of the students' pytest;
mutants are read from the session's class, graded once by the autograder (tests/classes.py).
What the checks judge is the same bytes either way, because both go through kit.wire.
"""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
import torch
from degenerate import Control
from mutants import CUDA_ONLY, MUTANTS

from autograder.suite import load
from kit import scoring
from kit.catalog import ASSIGNMENTS, ROOT, SOLUTIONS, assignment_ids, load_assignment, load_module
from kit.harness import CheckFailed, InProcessRunner, run_check
from kit.notebook import check

EXAMPLES = 10
CPU_DEVICES = ("cpu", "meta")


def runnable(graded):
    return [g for g in graded if g.check.device in CPU_DEVICES or torch.cuda.is_available()]


def failures(module, graded, *, first: bool = False) -> list[str]:
    """'check [dtype]: message' of every failing check (of the first one only with `first`).

    With `first` nothing is shrunk: the caller only needs to know that some check fails,
    not the smallest input on which it does (shrinking a mutant's failure takes seconds).
    """
    failed = []
    for g in runnable(graded):
        for dtype in g.check.dtypes or g.function.dtypes:
            try:
                run_check(g.check, g.function, InProcessRunner(module), dtype, examples=EXAMPLES, shrink=not first)
            except CheckFailed as error:
                failed.append(f"{g.name} [{dtype}]: {error.message}")
                if first:
                    return failed
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
def test_mutant_loses_points_in_its_function(mutant, graded_classes):
    """As the autograder grades it (the session's class, tests/classes.py)."""
    maximum = {f.name: f.points for f in load_assignment(mutant.assignment).functions}
    assert mutant.function in maximum, f"{mutant.function}() is not a graded function of assignment {mutant.assignment}"
    scores = graded_classes.scores(mutant.assignment, f"mutant-{mutant.name}")
    assert scores[mutant.function] < maximum[mutant.function], f"no check of {mutant.function}() catches {mutant.name}"


@pytest.mark.gpu
@pytest.mark.skipif(
    not torch.cuda.is_available(),
    reason="a device-bound mutant only CUDA can catch (caught_by='cuda'): benchmarks/device_check.py asserts it caught on a GPU",
)
@pytest.mark.parametrize("mutant", CUDA_ONLY, ids=lambda m: m.id)
def test_cuda_only_mutant_loses_points_on_cuda(mutant, tmp_path):
    assignment, graded = load(mutant.assignment)
    module = load_module(mutant.write(tmp_path), f"mutant_{mutant.id}")
    target = [g for g in graded if g.function.name == mutant.function]
    assert target and failures(module, target, first=True), f"no check of {mutant.function}() catches {mutant.name}"


@pytest.mark.parametrize("mutant", CUDA_ONLY, ids=lambda m: m.id)
def test_cuda_only_mutant_passes_every_check_without_cuda(mutant, tmp_path):
    """What its record claims: nothing that runs without CUDA catches it (the meta check included). Once something
    does, it belongs in MUTANTS with caught_by="meta"."""
    if torch.cuda.is_available():
        pytest.skip("with CUDA it must be caught: test_cuda_only_mutant_loses_points_on_cuda")
    assignment, graded = load(mutant.assignment)
    module = load_module(mutant.write(tmp_path), f"mutant_{mutant.id}")
    target = [g for g in graded if g.function.name == mutant.function]
    assert target and failures(module, target, first=True) == []


def test_mutant_ids_are_unique():
    ids = [m.id for m in MUTANTS + CUDA_ONLY]
    assert sorted({i for i in ids if ids.count(i) > 1}) == []


def test_every_assignment_has_mutants():
    covered = {m.assignment for m in MUTANTS}
    assert set(assignment_ids()) <= covered


def test_stubs_are_generated_from_the_solutions():
    result = subprocess.run([sys.executable, "-m", "kit.stubs", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


# ---------------------------------------------------------------- the students' pytest


@pytest.fixture(scope="module")
def students_runs(tmp_path_factory) -> dict[str, tuple[subprocess.CompletedProcess, dict[str, list[str]]]]:
    """The students' `pytest` over every assignment folder, on the stubs and on the solutions.

    One pytest process per side (the two side by side) rather than one per assignment and
    side: each start costs seconds (Python, torch, hypothesis, pytest). Returns, per side,
    the process and every test's outcome by assignment folder, from pytest's JUnit XML.
    """
    where = tmp_path_factory.mktemp("students")
    controls = where / "control"  # every graded function returns zeros like its first tensor argument
    controls.mkdir()
    for assignment_id in assignment_ids():
        assignment = load_assignment(assignment_id)
        (controls / f"{assignment.module}.py").write_text(Control(assignment, "returns_zeros_like_first_tensor").source())
    sides = {"stub": [], "solution": ["--impl-dir", str(SOLUTIONS)], "control": ["--impl-dir", str(controls)]}
    command = [sys.executable, "-m", "pytest", *(str(ASSIGNMENTS / i) for i in assignment_ids()), "-q", "--examples", "5"]
    processes = {
        side: subprocess.Popen([*command, *extra, f"--junitxml={where / side}.xml"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for side, extra in sides.items()
    }
    runs = {}
    for side, process in processes.items():
        stdout, _ = process.communicate(timeout=600)
        outcomes: dict[str, list[str]] = {}
        for case in ET.parse(where / f"{side}.xml").getroot().iter("testcase"):
            folder = case.get("classname").split(".")[-2]  # assignments.02.test_softmax
            failure = case.find("failure")
            if failure is not None:
                outcome = f"failed: {failure.get('message')}"
            else:
                outcome = "skipped" if case.find("skipped") is not None else "error" if case.find("error") is not None else "passed"
            outcomes.setdefault(folder, []).append(outcome)
        runs[side] = (subprocess.CompletedProcess(command, process.returncode, stdout), outcomes)
    return runs


def summary_total(stdout: str, assignment_id: str) -> str:
    """The points in the 'total' row of the assignment's summary table."""
    table = stdout.split(f"Assignment {assignment_id}: ", 1)[1]
    return re.search(r"total\W+([\d.]+/[\d.]+)", table)[1]


@pytest.mark.parametrize("assignment_id", assignment_ids())
def test_students_pytest_run_fails_on_stub_and_passes_on_solution(assignment_id, students_runs):
    points = f"{load_assignment(assignment_id).points:g}"
    stub, stub_outcomes = students_runs["stub"]
    assert stub.returncode == 1
    ran = [o for o in stub_outcomes[assignment_id] if o != "skipped"]
    assert ran and all(o.startswith("failed: ") and "not implemented yet" in o for o in ran), ran
    assert summary_total(stub.stdout, assignment_id) == f"0.0/{points}"
    solved, solved_outcomes = students_runs["solution"]
    assert solved.returncode == 0, solved.stdout[-3000:]
    assert "passed" in solved_outcomes[assignment_id] and set(solved_outcomes[assignment_id]) <= {"passed", "skipped"}
    assert summary_total(solved.stdout, assignment_id) == f"{float(points):.1f}/{points}"


@pytest.mark.parametrize("assignment_id", assignment_ids())
def test_students_pytest_summary_gives_code_that_does_nothing_zero(assignment_id, students_runs):
    """Its passing properties (inputs unchanged, any device, ...) pay nothing, and the summary says why."""
    control, outcomes = students_runs["control"]
    assert control.returncode == 1 and "passed" in outcomes[assignment_id]  # some properties do pass
    assert summary_total(control.stdout, assignment_id) == f"0.0/{load_assignment(assignment_id).points:g}"
    assert scoring.GATED_NOTE in control.stdout


# ---------------------------------------------------------------- the layout of the students' run (what they read last)

TABLE_BOTTOM = re.compile(r"^└[─┴]+┘$")


def table_rows(stdout: str, assignment_id: str) -> dict[str, list[str]]:
    """function -> its cells ("checks passed", "points") in the assignment's points table."""
    table = stdout.split(f"Assignment {assignment_id}: ", 1)[1].split("└", 1)[0]
    cells = [[c.strip() for c in line.strip("│").split("│")] for line in table.splitlines() if line.startswith("│")]
    return {row[0]: row[1:] for row in cells}  # the header row is drawn with ┃


def test_the_stub_run_ends_with_the_tables_and_says_not_started_once_per_function(students_runs):
    stub, _ = students_runs["stub"]
    lines = stub.stdout.rstrip().splitlines()
    assert TABLE_BOTTOM.match(lines[-1]), lines[-5:]
    assert not [line for line in lines if line.startswith("FAILED ")], "pytest's short summary is off for the public tests"
    assert "Traceback" not in stub.stdout and "NotImplementedError(" not in stub.stdout
    for assignment_id in assignment_ids():
        rows = table_rows(stub.stdout, assignment_id)
        functions = [f.name for f in load_assignment(assignment_id).functions]
        assert list(rows) == [*functions, "total"], rows
        assert all(rows[f][0] == "not started" for f in functions), rows
    assert "not started (it raises NotImplementedError)" not in stub.stdout  # the table said it: no block per function


def test_the_solution_run_ends_with_the_tables_at_full_marks(students_runs):
    solved, _ = students_runs["solution"]
    lines = solved.stdout.rstrip().splitlines()
    assert TABLE_BOTTOM.match(lines[-1]), lines[-5:]
    for assignment_id in assignment_ids():
        assignment = load_assignment(assignment_id)
        assert table_rows(solved.stdout, assignment_id)["total"][-1] == f"{float(assignment.points):.1f}/{assignment.points:g}"


def students_pytest(tmp_path, *args: str) -> list[str]:
    result = subprocess.run([sys.executable, "-m", "pytest", *args], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 1), result.stdout[-2000:] + result.stderr[-2000:]
    return result.stdout.rstrip().splitlines()


def test_one_stub_is_at_most_30_lines_and_a_half_done_module_one_block_per_failing_function(tmp_path):
    """09 has the most functions (8). Half done: 02 with softmax naive (overflows), log_softmax
    correct, the other two not started; `-k` keeps only the functions it selects."""
    stub = students_pytest(tmp_path, str(ASSIGNMENTS / "09"))
    assert len(stub) <= 30 and TABLE_BOTTOM.match(stub[-1]), "\n".join(stub)
    half = tmp_path / "half"
    half.mkdir()
    module = (ASSIGNMENTS / "02" / "softmax.py").read_text()
    solution = load_module(SOLUTIONS / "softmax.py", "solution_softmax")
    (half / "softmax.py").write_text(
        module + "\n\ndef softmax(X, dim=-1):\n    e = X.exp()\n    return e / e.sum(dim, keepdim=True)\n\n"
        + inspect.getsource(solution.log_softmax)
    )
    lines = students_pytest(tmp_path, str(ASSIGNMENTS / "02"), "--impl-dir", str(half))
    text = "\n".join(lines)
    rows = table_rows(text, "02")
    assert rows["softmax"][-1] != "3.0/3" and rows["log_softmax"][-1] == "3.0/3"
    assert rows["cross_entropy"][0] == rows["accuracy"][0] == "not started"
    below = lines[next(i for i, line in enumerate(lines) if TABLE_BOTTOM.match(line)) + 1:]
    assert below[0] == "softmax: FAILED is finite for logits of +-1e4 [float32]", below
    assert [line for line in below if not line.startswith("  ")] == [below[0], below[-2], below[-1]], below  # one block, the held-back note, the public-only note
    assert below[-1] == "These are the public tests only; the grade also includes hidden tests."
    assert len([line for line in below if line.startswith("softmax: FAILED")]) == 1
    readme = (ROOT / "README.md").read_text()
    example = readme.split("```\nAssignment 02: softmax regression", 1)[1].split("\n```", 1)[0]
    example = f"Assignment 02: softmax regression{example}".splitlines()
    assert lines[-len(example):] == example, "README's example output is not what the kit prints"
    selected = students_pytest(tmp_path, str(ASSIGNMENTS / "02"), "--impl-dir", str(half), "-k", "log_softmax")
    assert list(table_rows("\n".join(selected), "02")) == ["log_softmax", "total"]
    assert TABLE_BOTTOM.match(selected[-1])


def test_the_notebook_self_check_prints_the_same_blocks(tmp_path, capsys):
    """kit.notebook.check, a notebook's test cell: one line for a function not started, else the first failing check."""
    (tmp_path / "cell.py").write_text(
        'def softmax(X, dim=-1):\n    raise NotImplementedError("TODO: softmax")\n\n\n'
        "def naive(X, dim=-1):\n    e = X.exp()\n    return e / e.sum(dim, keepdim=True)\n"
    )
    cell = load_module(tmp_path / "cell.py", "notebook_cell")
    with pytest.raises(AssertionError) as stub:
        check("02", "softmax", cell.softmax, examples=5)
    assert str(stub.value).splitlines() == ["softmax: not started (it raises NotImplementedError)", "These are the public tests only; the grade also includes hidden tests."]
    with pytest.raises(AssertionError) as naive:
        check("02", "softmax", cell.naive, examples=5)
    lines = str(naive.value).splitlines()
    assert lines[0] == "softmax: FAILED is finite for logits of +-1e4 [float32]" and lines[2].startswith("  smallest failing input: softmax(")
    assert len([line for line in lines if "FAILED" in line]) == 1
    assert "softmax: 6/7 public checks passed" in capsys.readouterr().out

"""The autograder end to end: real sandbox, real CLI, the repository's own grader.toml.

Hostile and broken submissions have their own catalogue in tests/redteam/.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest
from classes import class_folder
from mutants import MUTANTS

from autograder.__main__ import main as autograder_cli
from autograder.sandbox import check_available
from kit.catalog import ROOT, SOLUTIONS, assignment_ids, load_assignment

SCHEMA = json.loads((Path(__file__).parent / "gradescope_results.schema.json").read_text())
CONFIG = ROOT / "grader.toml"
MUTANTS_02 = [m for m in MUTANTS if m.assignment == "02"]

needs_sandbox = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")


def grade(submissions: Path, out: Path, *extra: str, assignment: str = "02", env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "autograder", "grade", "--assignment", assignment, "--submissions", str(submissions), "--out", str(out), *extra]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env)


def fast_config(folder: Path) -> str:
    """A grader.toml with few examples, for tests of the grader's mechanics rather than its checks."""
    path = folder / "fast-grader.toml"
    path.write_text("[grader]\nexamples = 4\nhidden_examples = 4\n")
    return str(path)


def read_csv(path: Path) -> list[list[str]]:
    return [line.split(",") for line in path.read_text().splitlines()]


@pytest.mark.parametrize("assignment_id", assignment_ids())
def test_every_result_follows_the_schema_the_solution_full_the_stub_zero(assignment_id, graded_classes):
    """Of the class graded once for the session (tests/classes.py); what each mutant, control and
    honest rewrite scores is asserted beside its record (test_assignments, test_scoring, test_honest)."""
    maximum = {f.name: f.points for f in load_assignment(assignment_id).functions}
    for student in graded_classes.students[assignment_id]:
        jsonschema.validate(graded_classes.results(assignment_id, student), SCHEMA)
    assert graded_classes.scores(assignment_id, "solution") == pytest.approx(maximum), graded_classes.results(assignment_id, "solution")["output"]
    assert graded_classes.results(assignment_id, "stub")["score"] == 0


@needs_sandbox
def test_hidden_tests_reveal_nothing_but_pass_or_fail(graded_classes):
    """In every class: a hidden check says passed or failed, or repeats what its function's public
    checks already say (a forbidden routine, a submission that cannot be graded), nothing else."""
    plain = {"Hidden test passed.", "Hidden test failed."}
    hidden = []
    for a, students in graded_classes.students.items():
        for student in students:
            tests = graded_classes.results(a, student)["tests"]
            public = {(t["name"].split(":")[0], t["output"]) for t in tests if "hidden" not in t.get("tags", [])}
            for test in tests:
                if "hidden" in test.get("tags", []):
                    hidden.append(test)
                    said = (test["name"].split(":")[0], test["output"])
                    assert test["output"] in plain or said in public, (a, student, test)
    assert {t["output"] for t in hidden} >= plain


@pytest.fixture(scope="module")
def straight_run(tmp_path_factory) -> tuple[Path, Path, tuple[str, str]]:
    """02's solution, stub, four mutants and an empty folder graded by the CLI in one uninterrupted run
    (two workers, few examples): (submissions, out, the --config arguments). Tests copy what they change."""
    root = tmp_path_factory.mktemp("straight")
    class_folder(root / "submissions", "02", mutants=4)
    (root / "submissions" / "empty").mkdir()
    fast = ("--config", fast_config(root))
    result = grade(root / "submissions", root / "straight", "--jobs", "2", *fast)
    assert result.returncode == 0, result.stderr
    return root / "submissions", root / "straight", fast


@needs_sandbox
def test_cli_writes_valid_results_and_grades_csv(straight_run):
    submissions, straight, _ = straight_run
    rows = read_csv(straight / "grades.csv")
    functions = [f.name for f in load_assignment("02").functions]
    assert rows[0] == ["student", *functions, "total"]
    by_student = {row[0]: row for row in rows[1:]}
    assert by_student["solution"][-1] == "10" and by_student["stub"][-1] == "0"
    empty = json.loads((straight / "empty" / "results.json").read_text())
    jsonschema.validate(empty, SCHEMA)
    assert empty["score"] == 0 and "softmax.py not found" in empty["output"]
    mutant = json.loads((straight / f"mutant-{MUTANTS_02[0].name}" / "results.json").read_text())
    public_failures = [t["output"] for t in mutant["tests"] if t["status"] == "failed" and "hidden" not in t.get("tags", [])]
    assert any("Failing input: " in output for output in public_failures), public_failures  # a shrunk example is shown


@needs_sandbox
def test_killed_run_resumes_to_the_same_grades(tmp_path, straight_run):
    submissions, straight, fast = straight_run
    command = [sys.executable, "-m", "autograder", "grade", "--assignment", "02", "--submissions", str(submissions), "--out", str(tmp_path / "resumed"), "--jobs", "1", *fast]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 300
    while not list((tmp_path / "resumed").glob("*/results.json")) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # kill -9 the grader and its workers mid-run
    process.wait()
    done = {p.parent.name for p in (tmp_path / "resumed").glob("*/results.json")}
    total = len(list(submissions.iterdir()))
    assert 1 <= len(done) < total, "the kill should land mid-run"
    for path in (tmp_path / "resumed").glob("*/results.json"):
        json.loads(path.read_text())  # nothing half-written
    rerun = grade(submissions, tmp_path / "resumed", *fast)
    assert rerun.returncode == 0, rerun.stderr
    assert f"unchanged {len(done)}" in rerun.stdout
    assert (tmp_path / "resumed" / "grades.csv").read_text() == (straight / "grades.csv").read_text()
    grade(submissions, tmp_path / "again", *fast)  # re-grading from scratch: identical scores
    assert (tmp_path / "again" / "grades.csv").read_text() == (straight / "grades.csv").read_text()


@needs_sandbox
def test_changed_submission_is_regraded(tmp_path, straight_run):
    submissions, straight, fast = straight_run
    shutil.copytree(submissions, tmp_path / "submissions")
    shutil.copytree(straight, tmp_path / "out")
    shutil.copy(SOLUTIONS / "softmax.py", tmp_path / "submissions" / "stub" / "softmax.py")
    rerun = grade(tmp_path / "submissions", tmp_path / "out", *fast)
    assert rerun.returncode == 0, rerun.stderr
    assert f"graded 1, unchanged {len(list(submissions.iterdir())) - 1}" in rerun.stdout
    assert {r[0]: r[-1] for r in read_csv(tmp_path / "out" / "grades.csv")}["stub"] == "10"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[grader]\nsed = 1\n", "grader: unknown key 'sed' (did you mean 'seed'?)"),
        ("[limits]\nmemory_mb = 'lots'\n", "limits.memory_mb must be an integer"),
        ("[assignments.99.points]\nsoftmax = 1\n", "unknown key '99'"),
        ("[assignments.02.points]\nsoftmx = 1\n", "did you mean 'softmax'?"),
        ("[grader\n", "is not valid TOML"),
    ],
)
def test_bad_grader_toml_is_a_clear_error(tmp_path, toml, message, capsys):
    """The CLI's main() in this process (the CLI as a command is run by the tests around it)."""
    (tmp_path / "grader.toml").write_text(toml)
    (tmp_path / "subs").mkdir()
    argv = ["grade", "--assignment", "02", "--submissions", str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--config", str(tmp_path / "grader.toml")]
    assert autograder_cli(argv) == 2  # an unexpected exception would fail this test with its traceback
    assert message in capsys.readouterr().err


def test_missing_assignment_and_folder_are_clear_errors(tmp_path):
    (tmp_path / "subs").mkdir()
    unknown = grade(tmp_path / "subs", tmp_path / "out", assignment="77")
    assert unknown.returncode == 2 and "no assignment '77'" in unknown.stderr and "Traceback" not in unknown.stderr
    missing = grade(tmp_path / "nowhere", tmp_path / "out")
    assert missing.returncode == 2 and "not found" in missing.stderr


def test_without_bubblewrap_grades_in_the_unprivileged_tier_and_without_a_sandbox_only_when_told(tmp_path):
    class_folder(tmp_path / "submissions", "02", mutants=0)
    shutil.rmtree(tmp_path / "submissions" / "stub")
    no_bwrap = {**os.environ, "PATH": str(Path(sys.executable).parent)}
    refused = grade(tmp_path / "submissions", tmp_path / "out", "--sandbox", "bubblewrap", env=no_bwrap)
    assert refused.returncode == 2 and "refusing to grade" in refused.stderr and "--no-sandbox" in refused.stderr
    assert not (tmp_path / "out" / "solution").exists()

    fallback = grade(tmp_path / "submissions", tmp_path / "out", "--config", fast_config(tmp_path), env=no_bwrap)
    if fallback.returncode == 2:  # no Landlock and no user of its own here: refused, as without any sandbox
        assert "the unprivileged sandbox" in fallback.stderr and "--no-sandbox" in fallback.stderr
    else:
        assert fallback.returncode == 0 and "grading in the unprivileged sandbox" in fallback.stderr, fallback.stderr
        results = json.loads((tmp_path / "out" / "solution" / "results.json").read_text())
        assert results["extra_data"]["sandbox"] is True and results["extra_data"]["sandbox_tier"] == "unprivileged"
        assert results["extra_data"]["sandbox_parts"]["seccomp"] is True and results["score"] == 10

    allowed = grade(tmp_path / "submissions", tmp_path / "out2", "--no-sandbox", "--config", fast_config(tmp_path), env=no_bwrap)
    assert allowed.returncode == 0, allowed.stderr
    results = json.loads((tmp_path / "out2" / "solution" / "results.json").read_text())
    assert results["extra_data"]["sandbox"] is False and results["extra_data"]["sandbox_tier"] == "none"
    assert "WITHOUT the sandbox" in results["output"] and results["score"] == 10


@needs_sandbox
def test_sandbox_starts_here():
    check_available()

"""The red-team catalogue (tests/redteam/): hostile and broken submissions of assignment 02.

Every case is graded by the real grader in a real sandbox: the batch cases together in one
`grade_all` run with two workers, honest students mixed in; the sequence cases one after
another in one worker (they attack whoever comes next). Then one assertion per case: the
points each graded function earns, the message the student is told, and what must never
appear. Cases that a known weakness defeats are strict xfails whose reason says what is
wrong and how to fix it (docs/redteam.md has the whole table).
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import socket
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path

import pytest
import torch
from classes import grading_worker
from redteam.catalogue import CASES, FUNCTIONS, HONEST_MARKER, PORT, SECRET_ENV, Case, render_docs

from autograder import report, sandbox
from autograder.config import Config, GraderSettings, LimitSettings
from autograder.grade import Job, grade_all, grade_and_write, student_folders
from kit.calls import Call
from kit.catalog import ROOT, SOLUTIONS, load_assignment
from kit.harness import Abort

CASES_DIR = Path(__file__).parent / "redteam" / "cases"
CONFIG = Config(grader=GraderSettings(examples=5, hidden_examples=5), limits=LimitSettings(test_seconds=3))
MAXIMUM = {a: {f.name: f.points for f in load_assignment(a).functions} for a in FUNCTIONS}



# ---------------------------------------------------------------- making the students' folders


def honest_source() -> str:
    return (SOLUTIONS / "softmax.py").read_text() + f"\n# {HONEST_MARKER}\n"


def honest_notebook() -> str:
    cell = {"cell_type": "code", "id": "solution", "metadata": {"nbgrader": {"solution": True, "grade": False, "grade_id": "softmax"}},
            "execution_count": None, "outputs": [], "source": honest_source()}
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [cell]})


def install(case: Case, folder: Path) -> None:
    folder.mkdir(parents=True)
    target = folder / case.install_as
    if case.file is not None:
        shutil.copyfile(CASES_DIR / case.file, target)
    elif case.make == "honest":
        target.write_text(honest_source())
    elif case.make == "honest_notebook":
        target.write_text(honest_notebook())
    elif case.make == "empty":
        target.write_bytes(b"")
    elif case.make == "whitespace":
        target.write_text("\n   \n\t\n\n")
    elif case.make == "symlink":
        target.symlink_to(SOLUTIONS / "softmax.py")
    elif case.make == "too_large":
        target.write_text(honest_source() + "# padding to make the file too large\n" * 17_000)
    elif case.make == "directory":
        target.mkdir()
    elif case.make == "fifo":
        os.mkfifo(target)
    elif case.make == "readme_only":
        (folder / "README.md").write_text("My softmax is in my other folder, sorry!\n")
    elif case.make and case.make.startswith("copy:"):
        shutil.copyfile(ROOT / case.make.removeprefix("copy:"), target)
    else:
        raise ValueError(f"{case.name}: nothing to install")
    for source, name in case.extra:
        shutil.copyfile(CASES_DIR / source, folder / name)


def snapshot(root: Path) -> dict[str, str]:
    """Every file under `root` (symlinks, pipes and folders by kind) with a digest of its bytes."""
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_symlink():
            found[str(path)] = "symlink:" + os.readlink(path)
        elif path.is_fifo():
            found[str(path)] = "fifo"
        elif path.is_file():
            found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            found[str(path)] = "dir"
    return found


# ---------------------------------------------------------------- what tries to reach the grading machine


class Listener:
    """Accepts connections on 127.0.0.1:PORT and an abstract unix socket, and records them."""

    def __init__(self) -> None:
        self.connections: list[str] = []
        self.sockets: list[socket.socket] = []
        for family, address in ((socket.AF_INET, ("127.0.0.1", PORT)), (socket.AF_UNIX, f"\0kit-redteam-{PORT}")):
            server = socket.socket(family, socket.SOCK_STREAM)
            try:
                server.bind(address)
            except OSError:
                server.close()
                continue
            server.listen(16)
            server.settimeout(0.2)
            self.sockets.append(server)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            for server in self.sockets:
                try:
                    connection, address = server.accept()
                except OSError:
                    continue
                self.connections.append(f"{server.family.name} {address!r}")
                connection.close()
            time.sleep(0.05)

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        for server in self.sockets:
            server.close()


# ---------------------------------------------------------------- the two grading runs


@dataclass
class Graded:
    root: Path
    tier: str  # the sandbox: every case is graded in each (sandbox.TIERS), with the same expectations
    results: dict[str, dict | None] = field(default_factory=dict)
    errors: dict[str, object] = field(default_factory=dict)  # per run: None, the exception, or grade_all's internal errors
    seconds: dict[str, float] = field(default_factory=dict)
    connections: list[str] = field(default_factory=list)
    listening: int = 0
    before: dict[str, str] = field(default_factory=dict)
    after: dict[str, str] = field(default_factory=dict)


def run_of(case: Case) -> str:
    """The grading run a case belongs to: batch or sequence, for another assignment than 02 or with the static
    check only reporting (`forbidden_api="warn"`) a run of its own."""
    run = case.run if case.assignment == "02" else f"{case.run}-{case.assignment}"
    return run if case.forbidden_api == "zero" else f"{run}-{case.forbidden_api}"


def _grade_in_worker(submissions: Path, out: Path, job: Job) -> dict[str, str]:
    """A run graded in a worker that grades other runs too (one torch import, one sandbox zygote for all):
    every student folder in turn, as `grade_all`'s workers do; {student: the grader's own error}."""
    errors = {}
    for folder in student_folders(submissions):
        try:
            grade_and_write(folder, job, out)
        except Exception as error:
            errors[folder.name] = f"{type(error).__name__}: {error}"
    return errors


def _grade(graded: Graded, run: str, cases: list[Case], jobs: int, worker: ProcessPoolExecutor | None = None) -> None:
    """Grade one run's cases in `graded.tier`."""
    submissions, out = graded.root / run / "submissions", graded.root / run / "out"
    folders = {}
    for i, case in enumerate(cases):  # the sequence is graded in name order: number the folders
        folders[case.name] = f"{i:02d}_{case.name}" if run == "sequence" else case.name
        install(case, submissions / folders[case.name])
    graded.before.update(snapshot(submissions))
    started = time.monotonic()
    try:
        config = replace(CONFIG, grader=replace(CONFIG.grader, forbidden_api=cases[0].forbidden_api))
        job = Job(cases[0].assignment, config, tier=graded.tier, fingerprint=f"redteam-{run}")
        if worker is not None:
            internal = [worker.submit(_grade_in_worker, submissions, out, job).result()]
        else:
            _, _, *internal = grade_all(submissions, out, job, jobs=jobs)
        graded.errors[run] = internal[0] if internal and internal[0] else None  # {student: the grader's own error}
    except Exception as error:  # recorded: a crash of the run is itself a finding
        graded.errors[run] = error
    graded.seconds[run] = time.monotonic() - started
    graded.after.update(snapshot(submissions))
    for case in cases:
        path = out / folders[case.name] / "results.json"
        graded.results[case.name] = json.loads(path.read_text()) if path.exists() else None


def _wanted(request) -> set[str] | None:
    """The cases to grade: those of the selected test_case items when nothing else needs the runs (-k h_...), else None (all).

    A selected sequence case brings the whole sequence: its cases attack whoever comes next.
    """
    items = [item for item in request.session.items if "graded" in getattr(item, "fixturenames", ())]
    if not items or any(item.originalname != "test_case" for item in items):
        return None
    names = {item.callspec.params["case"].name for item in items}
    if any(c.name in names for c in CASES if c.run == "sequence"):
        names |= {c.name for c in CASES if c.run == "sequence"}
    return names


def _tier_available(tier: str) -> None:
    try:
        sandbox.check_available() if tier == "bubblewrap" else sandbox.check_unprivileged()
    except sandbox.SandboxUnavailable as error:
        pytest.skip(f"no {tier} sandbox here: {error}")


@pytest.fixture(scope="module", params=["bubblewrap", "unprivileged"])
def graded(tmp_path_factory, request) -> Graded:
    _tier_available(request.param)
    graded = Graded(tmp_path_factory.mktemp(f"redteam-{request.param}"), request.param)
    wanted = _wanted(request)
    listener = Listener()
    graded.listening = len(listener.sockets)
    previous = os.environ.get(SECRET_ENV[0])
    os.environ[SECRET_ENV[0]] = SECRET_ENV[1]  # the grader's environment holds a secret; the sandbox must not
    runs = {run: [c for c in CASES if run_of(c) == run and (wanted is None or c.name in wanted)] for run in dict.fromkeys(run_of(c) for c in CASES)}
    runs = {run: cases for run, cases in runs.items() if cases}

    def sequence() -> None:
        if "sequence" in runs:
            _grade(graded, "sequence", runs["sequence"], jobs=1)

    def small_runs() -> None:  # one or two cases each: one worker for all of them, not a pool per run
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"), initializer=grading_worker) as worker:
            for run in [r for r in runs if r != "sequence"]:
                _grade(graded, run, runs[run], jobs=1, worker=worker)

    try:
        if "batch" in runs:
            _grade(graded, "batch", runs.pop("batch"), jobs=2)  # with two workers, the honest students among the attackers
        # then the sequence in one worker and the small runs (another assignment, "warn") in another, side by side
        with ThreadPoolExecutor(max_workers=2) as pool:
            for future in [pool.submit(sequence), pool.submit(small_runs)]:
                future.result()
    finally:
        listener.close()
        if previous is None:
            os.environ.pop(SECRET_ENV[0], None)
        else:
            os.environ[SECRET_ENV[0]] = previous
    graded.connections = listener.connections
    return graded


# ---------------------------------------------------------------- one assertion per case


def _param(case: Case):
    marks = [pytest.mark.xfail(strict=True, reason=case.hole)] if case.hole else []
    return pytest.param(case, id=case.name, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_case(graded, case):
    results = graded.results[case.name]
    assert results is not None, f"no results.json: the grader failed on it ({graded.errors[run_of(case)]!r})"
    scores = results["extra_data"]["function_scores"]
    maximum = MAXIMUM[case.assignment]
    judged = set(case.zero) | set(case.full) | set(case.loses)
    assert judged == set(FUNCTIONS[case.assignment]) or case.kind == "broken", "the case must judge every function"
    for function in case.zero:
        assert scores[function] == 0, f"{function}() earned {scores[function]}:\n{results['output']}"
    for function in case.full:
        assert scores[function] == pytest.approx(maximum[function]), f"{function}() lost points:\n{_failures(results)}"
    for function in case.loses:
        assert scores[function] < maximum[function], f"{function}() kept full marks"
    status = {t["name"]: t["status"] for t in results["tests"]}
    for check in case.failed:
        assert status[check] == "failed", f"'{check}' passed"
    test_outputs = "\n".join(t["output"] for t in results["tests"])
    for message in case.messages:
        assert message in test_outputs, f"{message!r} is in no test's output:\n{_failures(results)}"
        if case.where == "output":
            assert message in results["output"], f"{message!r} is not in the output:\n{results['output']}"
    everything = json.dumps(results)
    for text in case.absent:
        assert text not in everything, f"{text!r} appears in the result"


def _failures(results: dict) -> str:
    return "\n".join(f"  {t['name']}: {t['output'][:300]}" for t in results["tests"] if t["status"] == "failed") or "  (none)"


# ---------------------------------------------------------------- the runs as a whole


def test_batch_run_finishes_and_grades_everyone(graded):
    for run in {run_of(c) for c in CASES if c.run == "batch"}:
        assert graded.errors[run] is None, (run, graded.errors[run])
    missing = [c.name for c in CASES if c.run == "batch" and graded.results[c.name] is None]
    assert missing == []


def test_honest_students_in_the_batch_keep_full_marks(graded):
    honest = [c for c in CASES if c.kind == "honest" and c.run == "batch"]
    assert len(honest) >= 3
    for case in honest:
        assert graded.results[case.name]["score"] == pytest.approx(sum(MAXIMUM[case.assignment].values())), case.name


def test_sequence_run_finishes_and_grades_everyone(graded):
    assert graded.errors["sequence"] is None, repr(graded.errors["sequence"])


def test_nothing_secret_reaches_any_result(graded):
    secrets = (HONEST_MARKER, SECRET_ENV[1], "BEGIN SOLUTION", "tied_and_extreme_logits")
    for name, results in graded.results.items():
        if results is not None:
            text = json.dumps(results)
            assert not [s for s in secrets if s in text], name


def test_hidden_tests_say_pass_or_fail_only(graded):
    for name, results in graded.results.items():
        for test in (results or {}).get("tests", []):
            if "hidden" in test.get("tags", []):
                assert "Failing input" not in test["output"] and "tensor(" not in test["output"], (name, test["output"])


def test_results_follow_the_gradescope_schema(graded):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((Path(__file__).parent / "gradescope_results.schema.json").read_text())
    for results in graded.results.values():
        if results is not None:
            jsonschema.validate(results, schema)


def test_submissions_untouched_and_nothing_written_outside_results(graded):
    assert graded.after == graded.before, "a submission folder changed while being graded"
    runs = sorted({run_of(c) for c in CASES})
    for run in runs:
        out = graded.root / run / "out"
        instructor = out / report.INSTRUCTOR / "students"  # the failed hidden checks' inputs, for `autograder show` alone
        stray = [p for p in out.rglob("*") if p.is_file() and not (p.name == "results.json" and p.parent.parent == out)
                 and not (p.name == "hidden.json" and p.parent.parent == instructor)]
        assert stray == []
    assert sorted(p.name for p in graded.root.iterdir()) == runs


def test_every_result_records_the_sandbox_it_was_graded_in(graded):
    for name, results in graded.results.items():
        if results is not None:
            assert results["extra_data"]["sandbox_tier"] == graded.tier, name
            assert ("sandbox_parts" in results["extra_data"]) == (graded.tier == "unprivileged"), name


def test_no_connection_reached_the_grading_machine(graded):
    assert graded.listening >= 1, "could not listen on the test port"
    assert graded.connections == []


# ---------------------------------------------------------------- the catalogue itself


def test_catalogue_is_large_enough():
    assert len(CASES) >= 45
    assert sum(c.kind == "hostile" for c in CASES) >= 30
    assert sum(c.kind == "broken" for c in CASES) >= 15
    assert len({c.name for c in CASES}) == len(CASES)


def _description(path: Path) -> str:
    """The case file's one-line docstring (or, for a notebook, its first markdown cell)."""
    text = path.read_bytes().removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="replace")
    if ".ipynb" in path.name:
        start = text.index('"source": "') + len('"source": "')
        return text[start : text.index('"', start)]
    first = next(line for line in text.splitlines() if not line.startswith("# -*- coding"))  # a coding line may come first
    assert first.startswith('"""') and first.endswith('"""') and len(first) > 6, f"{path.name}: no one-line docstring"
    return first[3:-3]


def test_every_case_file_has_its_one_line_docstring():
    files = {c.file: c for c in CASES if c.file}
    extras = {source for c in CASES for source, _ in c.extra}
    assert {p.name for p in CASES_DIR.iterdir() if not p.name.startswith(".")} == set(files) | extras, "case files and catalogue differ"
    for name, case in files.items():
        assert _description(CASES_DIR / name) == case.summary, name
    for source in extras:
        _description(CASES_DIR / source)
    assert all(c.summary for c in CASES)


def _functions(source: str) -> dict[str, str]:
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef):
            if ast.get_docstring(node) is not None:
                node.body = node.body[1:]
            found[node.name] = ast.dump(node)
    return found


def test_hostile_cases_are_the_reference_solution_outside_their_attack():
    references = {a: _functions((SOLUTIONS / f"{load_assignment(a).module}.py").read_text()) for a in FUNCTIONS}
    for case in CASES:
        if case.kind == "hostile" and case.file and case.file.endswith(".py"):
            reference = references[case.assignment]
            mine = _functions((CASES_DIR / case.file).read_text())
            for function in set(case.full) - set(case.spies):
                assert mine.get(function) == reference[function], f"{case.name}: {function}() is not the reference"


def test_docs_are_generated_from_the_catalogue():
    assert (ROOT / "docs" / "redteam.md").read_text() == render_docs(), "run: .venv/bin/python tests/redteam/catalogue.py > docs/redteam.md"


# ---------------------------------------------------------------- below the grader


@pytest.fixture(params=["bubblewrap", "unprivileged"])
def tier(request) -> str:
    _tier_available(request.param)
    return request.param


def test_a_child_cannot_kill_its_zygote(tier):
    """The seccomp filter lets a child signal itself only; behind it, with bubblewrap the zygote is the sandbox's
    PID 1, which ignores its children's signals, and without, each child's own Landlock domain (ABI 6) cannot
    signal any process outside it."""
    source = ("import os\nimport signal\n\ntry:\n    os.kill(os.getppid(), signal.SIGKILL)\nexcept PermissionError:\n    pass\n"
              + (SOLUTIONS / "softmax.py").read_text())
    runner = sandbox.SandboxRunner("softmax", source, sandbox.Limits(call_seconds=10), tier=tier)
    try:
        assert runner.start() is None
        zygote = runner.sandbox.zygote
        starts = zygote.starts
        outcome = runner.run("softmax", Call((torch.zeros(2, 3),), {}, seed=0), "cpu")
        assert outcome.error is None and torch.equal(outcome.output, torch.full((2, 3), 1 / 3))
        assert zygote.alive and zygote.starts == starts
    finally:
        runner.close()


def test_an_assignments_preload_is_imported_by_the_zygote_not_each_child(tier):
    """Assignment.preload (10's matplotlib, 0.4 s an import): the zygote imports it once, and every child it forks
    finds it imported; without it, a child does not."""
    source = "import sys\n\n\ndef loaded(x):\n    return x + int('mailbox' in sys.modules)\n"
    for preload, expected in (((), 0.0), (("mailbox",), 1.0)):
        runner = sandbox.SandboxRunner("probe", source, sandbox.Limits(preload=preload), tier=tier)
        try:
            assert runner.start() is None
            outcome = runner.run("loaded", Call((torch.zeros(1),), {}, seed=0), "cpu")
            assert outcome.error is None and outcome.output.item() == expected, preload
        finally:
            runner.close()


def test_a_hung_child_is_killed_and_the_zygote_kept(tier):
    """A time-out costs the child, not the zygote: the next check forks a new one in milliseconds."""
    source = (SOLUTIONS / "softmax.py").read_text() + "\n\ndef spin(x):\n    while True:\n        pass\n"
    runner = sandbox.SandboxRunner("softmax", source, sandbox.Limits(call_seconds=1), tier=tier)
    try:
        assert runner.start() is None
        zygote, starts = runner.sandbox.zygote, runner.sandbox.zygote.starts
        with pytest.raises(Abort, match="time limit"):
            runner.run("spin", Call((torch.zeros(1),), {}, seed=0), "cpu")
        assert runner.run("softmax", Call((torch.zeros(1, 2),), {}, seed=0), "cpu").error is None
        assert zygote.alive and zygote.starts == starts
    finally:
        runner.close()

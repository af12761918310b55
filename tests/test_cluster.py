"""Grading on a Dask cluster (`grade --scheduler`, autograder/cluster.py): the same grades as `--jobs`.

The reference is the instructor's class of 24 (tests/instructor.py), graded once for the
session by the CLI with `--jobs 2`: its grades.csv. Here the same class is graded with
`--scheduler local:2` (a LocalCluster the CLI starts and closes), and part of it, with two
submissions that crash their sandbox, on a LocalCluster of this module whose worker is
killed mid-run (SIGKILL), through `--scheduler tcp://...`.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from autograder.__main__ import main as autograder_cli
from kit.catalog import ROOT, SOLUTIONS, assignment_ids, load_assignment

distributed = pytest.importorskip("distributed", reason='Dask\'s distributed is not installed: pip install -e ".[cluster]"')
psutil = pytest.importorskip("psutil")  # one of distributed's own requirements
import dask.config  # noqa: E402  (distributed's own requirement, after the skip)

from autograder.cluster import local_cluster  # noqa: E402  (after the skip: it imports distributed)

CASES = Path(__file__).parent / "redteam" / "cases"
CRASHERS = ("h_exit_function_os_exit", "s_crash_deep_json_frame")  # a child that dies mid-call; a reply that has the grader kill the zygote
LOST_WORKER_TIMEOUT = "distributed.deploy.lost-worker-timeout"
SANDBOX = [] if shutil.which("bwrap") else ["--no-sandbox"]  # as tests/instructor.py grades the reference


def grade(submissions: Path, out: Path, config: Path, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "autograder", "grade", "--assignment", "02", "--submissions", str(submissions), "--out", str(out),
               "--config", str(config), "--no-report", *SANDBOX, *extra]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)


def rows(path: Path) -> dict[str, str]:
    """grades.csv's lines by student: the header under "student"."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    return {next(csv.reader([line]))[0]: line for line in lines}


def checks(out: Path, student: str) -> list[dict]:
    return json.loads((out / student / "results.json").read_text())["tests"]


def verdicts(out: Path, student: str) -> list[dict]:
    """Every check's name, points, status and feedback, less what depends on the machine's load: the shrunk input
    a failed public check shows (hypothesis' search for it has a time budget, grade._shrunk) and the numbers of
    the efficiency check's feedback (measured times)."""
    return [{**t, "output": re.sub(r"\d+(\.\d+)?", "#", t["output"].split("Failing input:")[0])} for t in checks(out, student)]


def marked_processes(mark: str) -> list[psutil.Process]:
    """The processes whose environment carries `mark`: the CLI's, its Dask workers and nannies."""
    found = []
    for process in psutil.process_iter():
        try:
            if process.environ().get("KIT_TEST_MARK") == mark:
                found.append(process)
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            pass
    return found


def test_local_cluster_grades_the_class_as_jobs_2_does(instructor_class, tmp_path):
    """`--scheduler local:2` on the class of 24: byte-identical grades.csv, the same checks and feedback in every
    results.json, the same instructor files; the CLI's LocalCluster leaves nothing running."""
    mark = uuid.uuid4().hex
    config = instructor_class.submissions.parent / "fast-grader.toml"
    done = grade(instructor_class.submissions, tmp_path / "out", config, "--scheduler", "local:2", env={**os.environ, "KIT_TEST_MARK": mark})
    assert done.returncode == 0, done.stderr
    assert f"graded {len(instructor_class.students)}, unchanged 0" in done.stdout
    assert "cluster: 2 Dask worker(s) set up for the run in " in done.stdout and "(sandbox start " in done.stdout
    reference = instructor_class.out
    assert (tmp_path / "out" / "grades.csv").read_bytes() == (reference / "grades.csv").read_bytes()
    for student in instructor_class.students:
        assert verdicts(tmp_path / "out", student) == verdicts(reference, student), student
        hidden = Path(".instructor") / "students" / student / "hidden.json"
        assert (tmp_path / "out" / hidden).read_bytes() == (reference / hidden).read_bytes(), student
    deadline = time.monotonic() + 10
    while marked_processes(mark) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert marked_processes(mark) == []


@pytest.fixture(scope="module")
def dask_cluster():
    """Two single-threaded worker processes (each under a nanny that restarts it when killed), with this test
    process as the scheduler's home; closed at the end, and nothing of it left running. Dask is configured to
    close a nanny whose worker has not come back within 0.2 s, as if every restart were slow (a busy CI machine
    took over Dask's default 15 s): local_cluster must wait for restarts all the same."""
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    configured = dask.config.get(LOST_WORKER_TIMEOUT)
    dask.config.set({LOST_WORKER_TIMEOUT: "0.2s"})
    cluster = local_cluster(2, silence_logs=logging.CRITICAL)
    client = distributed.Client(cluster)
    try:
        yield cluster, client
    finally:
        client.close()
        cluster.close()
        dask.config.set({LOST_WORKER_TIMEOUT: configured})
        deadline = time.monotonic() + 30
        while (left := leftovers(before)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert left == [], [p.cmdline()[:4] for p in left]


def leftovers(before: set[int]) -> list:
    """This process's descendants that were not there `before`, less multiprocessing's resource tracker (this
    process's own helper, started when first needed, which lives as long as this process)."""
    found = []
    for process in psutil.Process().children(recursive=True):
        try:
            if process.pid not in before and process.is_running() and "multiprocessing.resource_tracker" not in " ".join(process.cmdline()):
                found.append(process)
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            pass
    return found


def kill_a_busy_worker(client, out: Path | None) -> str:
    """SIGKILL a worker while it grades (once a first result is in OUT, if `out`): its address."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        busy = [worker for worker, keys in client.processing().items() if any(str(k).startswith("grade-") for k in keys)]
        if busy and (out is None or any(out.glob("*/results.json"))):
            pids = client.run(os.getpid, workers=busy[:1])
            os.kill(pids[busy[0]], signal.SIGKILL)
            return busy[0]
        time.sleep(0.02)
    raise AssertionError("no worker was grading")


def test_a_worker_killed_mid_run_loses_nothing(instructor_class, dask_cluster, tmp_path):
    """Half the class and two submissions that crash their sandbox, over `tcp://` on this module's cluster; one
    worker is killed once the first result is in. Its submissions are graded elsewhere: the class's rows are the
    `--jobs 2` run's, byte for byte, and the crashers get what they get graded here in one process. A re-run
    grades nothing again."""
    from autograder import grade as grading
    from autograder import sandbox
    from autograder.config import load

    cluster, client = dask_cluster
    students = instructor_class.students[::2]
    submissions = tmp_path / "submissions"
    for student in students:
        shutil.copytree(instructor_class.submissions / student, submissions / student)
    for case in CRASHERS:
        (submissions / case).mkdir()
        shutil.copyfile(CASES / f"{case}.py", submissions / case / "softmax.py")
    config = instructor_class.submissions.parent / "fast-grader.toml"
    command = [sys.executable, "-m", "autograder", "grade", "--assignment", "02", "--submissions", str(submissions), "--out", str(tmp_path / "out"),
               "--config", str(config), "--no-report", "--scheduler", cluster.scheduler_address, *SANDBOX]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        killed = kill_a_busy_worker(client, tmp_path / "out")
        stdout, stderr = process.communicate(timeout=600)
    finally:
        process.kill()
    assert process.returncode == 0, stderr
    assert killed not in client.scheduler_info()["workers"]
    graded = rows(tmp_path / "out" / "grades.csv")
    reference = rows(instructor_class.out / "grades.csv")
    assert {s: graded[s] for s in ("student", *students)} == {s: reference[s] for s in ("student", *students)}

    job = grading.Job("02", load(config, {i: [f.name for f in load_assignment(i).functions] for i in assignment_ids()}), isolated=not SANDBOX)
    try:
        for case in CRASHERS:
            here = grading.grade_submission(submissions / case, job).to_gradescope()["tests"]
            assert checks(tmp_path / "out", case) == here, case
    finally:
        sandbox.stop_zygotes()

    again = grade(submissions, tmp_path / "out", config, "--scheduler", cluster.scheduler_address)
    assert again.returncode == 0, again.stderr
    assert f"graded 0, unchanged {len(students) + len(CRASHERS)}" in again.stdout
    client.wait_for_workers(2, timeout=120)


def test_a_submission_that_keeps_killing_its_worker_gets_a_result(dask_cluster, tmp_path):
    """With allowed-failures 0, the worker grading a (slow) submission is killed: the task ends in KilledWorker,
    and the submission gets a result that says it could not be graded; the run exits 0."""
    cluster, client = dask_cluster
    (tmp_path / "submissions" / "slow").mkdir(parents=True)
    (tmp_path / "submissions" / "slow" / "softmax.py").write_text("import time\ntime.sleep(3)\n" + (SOLUTIONS / "softmax.py").read_text())
    (tmp_path / "fast.toml").write_text("[grader]\nexamples = 4\nhidden_examples = 4\n")
    command = [sys.executable, "-m", "autograder", "grade", "--assignment", "02", "--submissions", str(tmp_path / "submissions"),
               "--out", str(tmp_path / "out"), "--config", str(tmp_path / "fast.toml"), "--no-report", "--scheduler", cluster.scheduler_address, *SANDBOX]
    cluster.scheduler.allowed_failures = 0
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        kill_a_busy_worker(client, None)
        stdout, stderr = process.communicate(timeout=300)
    finally:
        process.kill()
        cluster.scheduler.allowed_failures = 3
    assert process.returncode == 0, stderr
    results = json.loads((tmp_path / "out" / "slow" / "results.json").read_text())
    assert results["score"] == 0 and "Could not grade the submission: it was tried on 1 grading worker, which stopped" in results["output"]
    assert rows(tmp_path / "out" / "grades.csv")["slow"].endswith(",0\n")
    client.wait_for_workers(2, timeout=120)


@pytest.mark.skipif(not SANDBOX == [], reason="bubblewrap is not installed")
def test_a_worker_without_a_sandbox_refuses_the_run(tmp_path):
    """A worker where bubblewrap cannot start (here: not on its PATH) stops the run before anything is graded,
    with one line that names the worker and the way out."""
    (tmp_path / "submissions" / "solution").mkdir(parents=True)
    shutil.copy(SOLUTIONS / "softmax.py", tmp_path / "submissions" / "solution")
    (tmp_path / "fast.toml").write_text("[grader]\nexamples = 4\nhidden_examples = 4\n")
    no_bwrap = {"PATH": str(Path(sys.executable).parent)}
    with local_cluster(1, silence_logs=logging.CRITICAL, env=no_bwrap) as cluster:
        refused = grade(tmp_path / "submissions", tmp_path / "out", tmp_path / "fast.toml", "--scheduler", cluster.scheduler_address)
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.count("\n") == 1 and "refusing to grade: Dask worker tcp://" in refused.stderr
    assert "bubblewrap (bwrap) is not installed" in refused.stderr and "Pass --no-sandbox" in refused.stderr
    assert not (tmp_path / "out" / "solution").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--scheduler", "local:2"], 'needs Dask\'s distributed, which is not installed: pip install -e ".[cluster]"'),
        (["--scheduler", "local:0"], "local:N needs a number of worker processes N, at least 1"),
        (["--scheduler", "somewhere:8786"], "give a Dask scheduler's address (tcp://HOST:8786) or local:N"),
        (["--scheduler", "local:2", "--jobs", "2"], "--jobs and --scheduler exclude each other"),
    ],
)
def test_scheduler_mistakes_are_one_clear_line(tmp_path, extra, message, capsys, monkeypatch):
    if "local:2" in extra and "--jobs" not in extra:
        monkeypatch.setitem(sys.modules, "distributed", None)  # as if it were not installed: importlib finds no spec
    (tmp_path / "subs").mkdir()
    assert autograder_cli(["grade", "--assignment", "02", "--submissions", str(tmp_path / "subs"), "--out", str(tmp_path / "out"), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err

"""Grading on a Dask cluster: `python -m autograder grade ... --scheduler tcp://HOST:8786` (or `local:N`).

The same work as `--jobs` (grade.grade_all), spread by Dask's `distributed` scheduler
(docs/cluster.md says how to run it on SLURM, Kubernetes or plain SSH):

- The trusted parent, this process, reads each submission as `--jobs` does (`submissions.find`:
  the module's text, capped by grader.toml's submission_kb) and sends it as one task. A worker
  grades it with `grade.grade_found`, student code in its sandbox, and returns the result as
  plain data; the parent writes its results.json and instructor file atomically as each one
  arrives, so resuming by fingerprint works as with `--jobs`. Workers need neither OUT nor the
  submissions folder, only the same checkout of the kit.
- The run's trusted material, the job (grader.toml, its secret seed included) and the drawn
  example sets, reaches each worker once, in a worker plugin (`GraderPlugin`) registered for
  the run; workers that join later get it too. Its setup checks that bubblewrap starts there,
  installs the draws and starts the worker's sandbox zygote, which forks a fresh process for
  every submission as under `--jobs` (sandbox.shared_zygote); teardown stops it. The worker
  itself is trusted, as every machine holding the seed and the solutions' outputs must be:
  they are the instructor's machines. Nothing of it enters a sandbox.
- Faults: a worker that dies loses nothing, the scheduler runs its tasks on another. A task
  whose workers all die (`distributed.scheduler.allowed-failures` + 1 of them, 4 by default)
  ends in KilledWorker; its submission then gets a result saying it could not be graded, as
  any other submission the grader cannot grade, and the run goes on.

This module imports no torch at the top: a scheduler that unpickles a task (it names
`grade_one`) need not import the grader.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import pickle
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import dask.config
from dask.utils import parse_timedelta
from distributed import Client, KilledWorker, LocalCluster, as_completed, get_worker
from distributed.diagnostics.plugin import WorkerPlugin

from autograder import report
from autograder.submissions import Submission, find

PLUGIN = "dl-course-kit-grader"  # the plugin's name, with the run's token after it
IN_FLIGHT = 2000  # tasks submitted at once: the parent and the scheduler hold this many submissions' texts, not the class's


class SchedulerError(ValueError):
    """--scheduler names neither a scheduler's address nor local:N."""


class WorkerUnfit(RuntimeError):
    """A worker cannot grade this run: no sandbox there, its set-up failed, or it runs another kit."""


def parse(scheduler: str) -> str | int:
    """A scheduler's address as given, or N of local:N."""
    if scheduler.startswith("local:"):
        count = scheduler.removeprefix("local:")
        if not count.isdigit() or int(count) < 1:
            raise SchedulerError(f"--scheduler {scheduler!r}: local:N needs a number of worker processes N, at least 1")
        return int(count)
    if "://" not in scheduler:
        raise SchedulerError(f"--scheduler {scheduler!r}: give a Dask scheduler's address (tcp://HOST:8786) or local:N")
    return scheduler


@contextlib.contextmanager
def connect(scheduler: str, **local_options) -> Iterator[Client]:
    """A client of the scheduler at `scheduler`, or of a LocalCluster of N single-threaded worker processes
    (local:N) that is closed, workers and sandboxes with it, when the block ends."""
    target = parse(scheduler)
    with contextlib.ExitStack() as stack:
        if isinstance(target, int):
            target = stack.enter_context(local_cluster(target, **local_options))
        yield stack.enter_context(Client(target))


def local_cluster(workers: int, **options) -> LocalCluster:
    """N single-threaded worker processes on this machine. No dashboard, and the scheduler's HTTP server on a
    free port: Dask's default, 8787, may be taken by another cluster on a shared machine (it warns then)."""
    _wait_for_restarts()
    return LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
        scheduler_kwargs={"dashboard_address": ":0"}, **{"silence_logs": logging.ERROR, **options},
    )


# A local cluster's nanny restarts a worker that dies, but the cluster closes that nanny for good when no
# worker of its name has joined within distributed.deploy.lost-worker-timeout (15 s by default): a grading
# worker imports torch and sets the run up as it joins, which took longer than that on a busy 2-core CI
# machine, and the run then went on with one worker fewer.
RESTART_GRACE = 300.0  # seconds


def _wait_for_restarts() -> None:
    """Give lost workers RESTART_GRACE to come back, unless Dask is configured to wait longer. The cluster reads
    the setting when it loses a worker, not when it starts: it is set for this process."""
    key = "distributed.deploy.lost-worker-timeout"
    if parse_timedelta(dask.config.get(key)) < RESTART_GRACE:
        dask.config.set({key: RESTART_GRACE})


def workers_cuda(client: Client, scheduler: str) -> bool:
    """Whether the workers' grading processes have CUDA (their CUDA checks run only then), as the first worker
    says: it decides the run's fingerprint. Waits for a worker to join (a batch system may take its time)."""
    if isinstance(parse(scheduler), int):
        from autograder.sandbox import _cuda_available

        return _cuda_available()  # this machine's workers
    if not client.scheduler_info(n_workers=1)["workers"]:
        print(f"autograder: waiting for a Dask worker to join {scheduler}", file=sys.stderr)
    return client.submit(_cuda_here, key=f"cuda-{uuid.uuid4().hex}").result()


def _cuda_here() -> bool:
    from autograder.sandbox import _cuda_available

    return _cuda_available()


# ---------------------------------------------------------------- on each worker

# One submission at a time in a worker process: its zygote, example sets and hypothesis are the
# process's own, not made for threads. Run workers with one thread each (`--nthreads 1`, more
# processes); a worker with more threads grades no faster.
_grading = threading.Lock()
# Dask's statistical profiler samples the grading thread's stack every 10 ms, which cost the grading
# about 8% on the development machine: paused while a run is set up on the worker, resumed after.
PROFILER = ("profile", "profile-cycle")  # the worker's periodic callbacks of its profiler
_paused: list = []

# Dask's nanny starts its workers with MALLOC_TRIM_THRESHOLD_=65536 (distributed.nanny.pre-spawn-environ):
# glibc then maps and unmaps every block over 128 KiB afresh, every tensor the grader builds, and
# torch's work in the worker ran 1.9x slower on the development machine. While a run is set up,
# glibc keeps freed memory up to these thresholds instead, as it does by default once warm.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters
RUN_THRESHOLDS = {M_MMAP_THRESHOLD: 32 << 20, M_TRIM_THRESHOLD: 64 << 20}
_mallopt: list = []  # the thresholds to restore, once set


def _set_malloc_thresholds(thresholds: dict[int, int]) -> bool:
    """glibc's mallopt for each (parameter, value); False where there is no glibc (nothing is changed then)."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return all(mallopt(parameter, value) == 1 for parameter, value in thresholds.items())


def _malloc_for_the_run() -> None:
    trim = os.environ.get("MALLOC_TRIM_THRESHOLD_", "")
    if trim.isdigit() and not _mallopt and _set_malloc_thresholds(RUN_THRESHOLDS):
        _mallopt.append({M_TRIM_THRESHOLD: int(trim), M_MMAP_THRESHOLD: 128 << 10})  # what glibc had: the variable's, fixed


def _malloc_restored() -> None:
    while _mallopt:
        _set_malloc_thresholds(_mallopt.pop())


class GraderPlugin(WorkerPlugin):
    """The run's trusted material on a worker, and the worker's sandbox zygote for it."""

    def __init__(self, name: str, job, config_text: str, drawn: bytes):
        self.name = name
        self.job = job  # grade.Job: grader.toml, the seed and the run's fingerprint
        self.config_text = config_text
        self.drawn = drawn  # grade.draw_all's example sets, pickled
        self.problem: str | None = None  # why this worker cannot grade the run
        self.fingerprint: str | None = None  # the run's fingerprint as this worker computes it
        self.setup_seconds: float | None = None
        self.sandbox_seconds: float | None = None  # starting the zygote (None: it was already running)
        self.closed = False

    def setup(self, worker) -> None:
        started = time.monotonic()
        try:
            self._setup()
        except Exception as error:
            self.problem = f"{type(error).__name__}: {error}"
            raise WorkerUnfit(f"Dask worker {worker.address} cannot grade: {error}") from None
        _malloc_for_the_run()
        for name in PROFILER:  # taken out, not only stopped: a worker that joins later starts its callbacks after this
            callback = worker.periodic_callbacks.pop(name, None)
            if callback is not None:
                callback.stop()  # setup and teardown run in the worker's event loop, as its callbacks do
                _paused.append((name, callback))
        self.setup_seconds = time.monotonic() - started

    def _setup(self) -> None:
        import torch

        from autograder import grade, sandbox
        from kit.catalog import load_assignment

        torch.set_num_threads(1)  # as grade._install: the worker processes run side by side
        job = self.job
        if job.sandbox_tier == "bubblewrap":
            sandbox.check_available()
        elif job.sandbox_tier == "unprivileged":
            sandbox.check_unprivileged()
        assignment = grade.configured(load_assignment(job.assignment_id), job.config)
        self.fingerprint = grade.fingerprint(assignment, self.config_text, job.isolated, tier=job.tier)
        grade.install_examples(pickle.loads(self.drawn))
        self.drawn = b""
        if _grading.acquire(blocking=False):  # else another run's submission is being graded here; the first task starts it
            try:
                started = time.monotonic()
                if sandbox.warm_zygote(grade.sandbox_limits(job), job.sandbox_tier):
                    self.sandbox_seconds = time.monotonic() - started
            finally:
                _grading.release()

    def teardown(self, worker) -> None:
        self.closed = True
        if not any(isinstance(p, GraderPlugin) and not p.closed for p in worker.plugins.values()):
            while _paused:
                name, callback = _paused.pop()
                worker.periodic_callbacks[name] = callback
                callback.start()
            _malloc_restored()
        if _grading.acquire(blocking=False):  # else the submission being graded stops it as it ends (grade_one)
            try:
                _stop_if_last(worker)
            finally:
                _grading.release()


def _stop_if_last(worker) -> None:
    """Stop the sandbox zygotes and drop the draws once no run on this worker needs them (the _grading lock held)."""
    if any(isinstance(p, GraderPlugin) and not p.closed for p in worker.plugins.values()):
        return
    from autograder import grade, sandbox

    sandbox.stop_zygotes()
    grade._example_sets.clear()


def grade_one(submission: Submission, plugin_name: str) -> report.SubmissionResult:
    """The task: grade one submission on this worker, with its run's plugin."""
    worker = get_worker()
    plugin = worker.plugins.get(plugin_name)
    if not isinstance(plugin, GraderPlugin):
        raise WorkerUnfit(f"Dask worker {worker.address} has not set this run up")
    if plugin.problem is not None:
        raise WorkerUnfit(f"Dask worker {worker.address} cannot grade: {plugin.problem}")
    if plugin.fingerprint != plugin.job.fingerprint:
        raise WorkerUnfit(f"Dask worker {worker.address} would grade differently (another checkout of the kit or of torch, "
                          f"or CUDA where the first worker had none, or none where it had it): its fingerprint differs")
    from autograder import grade

    with _grading:
        try:
            return grade.grade_found(submission, plugin.job)
        finally:
            if plugin.closed:  # the run ended meanwhile (its parent was interrupted)
                _stop_if_last(worker)


def _worker_times(dask_worker, name: str) -> tuple[float | None, float | None] | None:
    plugin = dask_worker.plugins.get(name)
    return (plugin.setup_seconds, plugin.sandbox_seconds) if isinstance(plugin, GraderPlugin) else None


# ---------------------------------------------------------------- in the parent


def draw_as_jobs_does(job) -> dict:
    """grade.draw_all, drawing exactly what `--jobs` draws.

    Hypothesis mixes into what it generates the literal constants of the "local" modules imported
    at the time (hypothesis.internal.conjecture.providers._get_local_constants: every module of
    this checkout that is in sys.modules, this one included), so the same seed draws other inputs
    in a process that has imported this module. It is out of sys.modules while the parent draws:
    the parent then holds the modules `--jobs` holds when it draws (tests/test_cluster.py compares
    the instructor files, which quote the inputs of failed hidden checks, with a `--jobs` run's).
    """
    from autograder import grade

    module = sys.modules.pop(__name__)
    try:
        return grade.draw_all(job)
    finally:
        sys.modules[__name__] = module


def lost(submission: Submission, job, error: KilledWorker) -> report.SubmissionResult:
    """The result of a submission whose every try killed its worker: not graded, as any submission that cannot be."""
    from autograder import grade

    tries = getattr(error, "allowed_failures", 3) + 1
    each = "which stopped" if tries == 1 else "and each stopped"
    problem = f"it was tried on {tries} grading worker{'s' * (tries > 1)}, {each} while grading it: it could not be graded"
    return grade.grade_found(Submission(submission.student, None, problem, submission.digest), job)


def grade_all(
    client: Client, submissions: Path, out: Path, job, config_text: str, progress=None,
) -> tuple[list[str], list[str], dict[str, str], dict[str, tuple]]:
    """grade.grade_all on the cluster: (graded now, skipped as unchanged, {student: internal error},
    {worker: (set-up seconds, sandbox start seconds)} of the workers set up for the run)."""
    from autograder import grade
    from kit.catalog import load_assignment

    todo, skipped = grade.pending(submissions, out, job)
    graded: list[str] = []
    errors: dict[str, str] = {}
    token = uuid.uuid4().hex[:12]
    name = f"{PLUGIN}-{token}"
    try:
        if todo:  # every worker there now sets itself up before the first task; one that cannot refuses the run (WorkerUnfit)
            client.register_plugin(GraderPlugin(name, job, config_text, pickle.dumps(draw_as_jobs_does(job))), name=name)
        if progress is not None:
            progress.start(total=len(todo) + len(skipped), done=len(skipped))
        if not todo:
            return graded, skipped, errors, {}
        module = load_assignment(job.assignment_id).module
        waiting = list(reversed(todo))
        running: dict = {}
        arrived = as_completed(with_results=True, raise_errors=False)  # results fetched as they complete, several at once

        def submit_more() -> None:
            while waiting and len(running) < IN_FLIGHT:
                folder = waiting.pop()
                submission = find(folder, module, job.config.limits.submission_kb)
                future = client.submit(grade_one, submission, name, key=f"grade-{len(todo) - len(waiting):06d}-{token}")
                running[future] = submission
                arrived.add(future)

        submit_more()
        for future, value in arrived:
            submission = running.pop(future)
            try:
                result = value if future.status == "finished" else future.result()  # raises the task's error
            except KilledWorker as error:
                result = lost(submission, job, error)
            except Exception as error:  # a fault of the grader or of a worker, never of the submission: retried next run
                result = None
                errors[submission.student] = f"{type(error).__name__}: {error}"
            future.release()
            if result is not None:  # as grade.grade_and_write: the instructor's file first, results.json means "done"
                report.write_instructor(out, result)
                report.write_results(out, result)
                graded.append(result.student)
            submit_more()
            if progress is not None:
                progress.advance()
        times = {address: found for address, found in client.run(_worker_times, name=name, on_error="ignore").items() if found is not None}
    finally:
        with contextlib.suppress(Exception):  # teardown on every worker: zygotes stopped, draws dropped
            client.unregister_worker_plugin(name)
    return graded, skipped, errors, times

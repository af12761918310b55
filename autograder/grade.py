"""Grading: one submission at a time in a worker, many at once across workers.

The worker is trusted: it draws the inputs (hypothesis, seeded per submission), computes
the references and judges. Student code runs only in the sandbox behind `SandboxRunner`.
"""

from __future__ import annotations

import gc
import hashlib
import pickle
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import torch

from autograder import report, sandbox, static
from autograder.config import Config
from autograder.submissions import Submission, find
from autograder.suite import GradedCheck, graded_checks
from kit import scoring
from kit.catalog import ROOT, load_assignment
from kit.forbidden import tripwires_for
from kit.harness import CheckFailed, RanForbidden, draw_examples, run_check, run_examples
from kit.spec import Assignment


@dataclass(frozen=True)
class Job:
    assignment_id: str
    config: Config
    isolated: bool = True  # False only with --no-sandbox
    tier: str = "bubblewrap"  # which sandbox, when isolated: sandbox.choose_tier decides it for a run
    fingerprint: str = ""
    shrink: bool = True  # search for a smaller failing input to show: feedback only, scores are decided before it
    # only these functions' checks run, the others fail unrun (the kit's tests: a mutant is graded where it was mutated)
    functions: tuple[str, ...] | None = None

    @property
    def sandbox_tier(self) -> str:
        return self.tier if self.isolated else "none"


def seed_for(*parts: object) -> int:
    return int(hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:8], 16)


def configured(assignment: Assignment, config: Config) -> Assignment:
    """The assignment with grader.toml's points and tolerances applied."""
    if config.grader.forbidden_api == "warn":  # report only: what the calls run is not judged either
        assignment = replace(assignment, functions=tuple(replace(f, forbidden_ops=None) for f in assignment.functions))
    settings = config.assignments.get(assignment.id)
    if settings is None:
        return assignment
    functions = tuple(
        replace(f, points=settings.points.get(f.name, f.points), tolerance={**f.tolerance, **settings.tolerance})
        for f in assignment.functions
    )
    return replace(assignment, functions=functions)


def runnable(checks: list[GradedCheck]) -> list[GradedCheck]:
    cuda = torch.cuda.is_available()
    return [g for g in checks if g.check.device != "cuda" or cuda]


def fingerprint(assignment: Assignment, config_text: str, isolated: bool, cuda: bool | None = None, tier: str = "bubblewrap") -> str:
    """Changes whenever anything that decides a grade changes: the checks, the solution, the kit, the config.

    `cuda`: whether the grading processes have CUDA (their CUDA checks run only then); default:
    this process's. On a Dask cluster it is the workers' (autograder.cluster)."""
    cuda = torch.cuda.is_available() if cuda is None else cuda
    digest = hashlib.sha256(f"{assignment.id}:{tier if isolated else 'none'}:{cuda}:{config_text}".encode())
    sources = [*sorted((ROOT / "kit").glob("*.py")), *sorted((ROOT / "autograder").glob("*.py"))]
    sources += [*sorted((ROOT / "assignments" / assignment.id).glob("test_*.py")), ROOT / "solutions" / f"{assignment.module}.py"]
    sources.append(ROOT / "autograder" / "hidden" / f"{assignment.module}.py")
    for path in sources:
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def grade_submission(student_dir: Path, job: Job, trusted_runner: Callable[[Submission], Any] | None = None) -> report.SubmissionResult:
    """`trusted_runner`: runs the submission in this process instead of the sandbox, for trusted code
    only (benchmarks/grading.py's in-process floor: the solution and the mutants)."""
    started = time.monotonic()
    module = load_assignment(job.assignment_id).module
    return grade_found(find(student_dir, module, job.config.limits.submission_kb), job, trusted_runner, started)


def grade_found(
    submission: Submission, job: Job, trusted_runner: Callable[[Submission], Any] | None = None, started: float | None = None,
) -> report.SubmissionResult:
    """Grade what `submissions.find` read: where the student's folder is not at hand (a Dask worker, autograder.cluster)."""
    started = time.monotonic() if started is None else started
    assignment = configured(load_assignment(job.assignment_id), job.config)
    checks = runnable(graded_checks(assignment))
    seed = seed_for(job.config.grader.seed, assignment.id)  # the same inputs for every student: a fair exam
    result = report.SubmissionResult(submission.student, assignment.id, [f.name for f in assignment.functions])
    result.extra = {
        "inputs_id": hashlib.sha256(str(seed).encode()).hexdigest()[:16],  # names the drawn inputs without revealing the seed
        "sandbox": job.isolated,
        "sandbox_tier": job.sandbox_tier,
        **({"sandbox_parts": sandbox.unprivileged_parts().record} if job.sandbox_tier == "unprivileged" else {}),
        "fingerprint": job.fingerprint,
        "submission_sha256": submission.digest,
    }
    if not job.isolated:
        result.notes.append("Graded WITHOUT the sandbox (--no-sandbox).")

    if submission.problem is not None:
        result.problem = submission.problem
        _record(result, assignment, checks, {i: (False, submission.problem) for i in range(len(checks))})
        return _finish(result, started)

    flagged = static.forbidden_uses(submission.source, assignment.forbidden, result.functions, local_modules=(assignment.module,))
    if flagged:  # for the class report (autograder/class_report.py): what was flagged, not only the sentence
        result.extra["forbidden"] = {function: list(uses) for function, uses in flagged.items()}
        result.extra["forbidden_api"] = job.config.grader.forbidden_api
    for function, uses in flagged.items():
        verdict = "0 points for this function" if job.config.grader.forbidden_api == "zero" else "reported to your instructor"
        result.notes.append(static.explain(function, uses, verdict) + ".")

    starting = time.monotonic()
    runner = trusted_runner(submission) if trusted_runner else _start(submission, job, result, tripwires_for(assignment))
    result.extra["startup_seconds"] = round(time.monotonic() - starting, 4)  # sandbox start to first test
    checking = time.monotonic()
    outcomes: dict[int, tuple[bool, str]] = {}
    ran_forbidden: dict[str, tuple[bool, str]] = {}  # function -> its outcome, once a call ran a forbidden routine (kit.forbidden)
    shrunk: set[str] = set()  # functions whose feedback already shows a shrunk input
    shared: dict = {}  # first calls shared by checks on the same examples, in the current process
    try:
        # Every public check of every function first, then every hidden one in a fresh process:
        # public feedback shows errors and inputs, so it must never come after a hidden input was seen.
        for hidden in (False, True):
            if hidden:
                runner.close()  # the next request starts a new process, which never answers a public check
                shared = {}
            for i, g in enumerate(checks):
                if g.check.hidden != hidden:
                    continue
                if result.problem is not None:
                    outcomes[i] = (False, result.problem)
                elif job.functions is not None and g.function.name not in job.functions:
                    outcomes[i] = (False, "Not graded in this run.")
                elif g.function.name in flagged and job.config.grader.forbidden_api == "zero":
                    outcomes[i] = (False, static.explain(g.function.name, flagged[g.function.name], "not allowed here"))
                elif g.function.name in ran_forbidden:
                    outcomes[i] = (False, ran_forbidden[g.function.name])
                else:
                    try:
                        outcomes[i] = _run_safely(g, runner, job, seed, result, shared, shrink=job.shrink and g.function.name not in shrunk)
                    except RanForbidden as failure:
                        ran_forbidden[g.function.name] = outcomes[i] = (False, f"{failure}: 0 points for this function.")
                    if not outcomes[i][0] and not hidden:
                        shrunk.add(g.function.name)
    finally:
        runner.close()
    traffic = getattr(runner, "traffic", None)
    result.extra["time"] = {"checks_seconds": round(time.monotonic() - checking, 4), **(traffic.as_dict() if traffic else {})}
    for i, g in enumerate(checks):  # what a call ran decides the whole function, checks that passed before it included
        if g.function.name in ran_forbidden:
            outcomes[i] = ran_forbidden[g.function.name]
    result.notes += [message for _, message in ran_forbidden.values()]
    if ran_forbidden:
        result.extra["ran_forbidden"] = {function: message for function, (_, message) in ran_forbidden.items()}
    _record(result, assignment, checks, outcomes)
    return _finish(result, started)


def _record(result: report.SubmissionResult, assignment: Assignment, checks: list[GradedCheck], outcomes: dict[int, tuple[bool, str]]) -> None:
    """Score every check by the kit's rule (kit.scoring), in the checks' own order, whatever order they ran in."""
    scored = {}
    for function in assignment.functions:
        mine = [i for i, g in enumerate(checks) if g.function is function]
        for i, item in zip(mine, scoring.earned(function.points, [(checks[i].check, outcomes[i][0]) for i in mine]), strict=True):
            scored[i] = item
    held_back = []
    for i, g in enumerate(checks):
        passed, output = outcomes[i]
        item = scored[i]
        if item.held_back:
            held_back.append(g.function.name)
            if not g.check.hidden:  # a hidden check says passed or failed, nothing else
                output = scoring.held_back_note(item)
        result.tests.append(report.TestResult(g.function.name, g.name, item.maximum, passed, output, g.check.hidden, item.points))
    if held_back:
        functions = ", ".join(dict.fromkeys(held_back))
        result.notes.append(f"Passing checks of {functions} earned less than their points: {scoring.GATED_NOTE}.")


def sandbox_limits(job: Job) -> sandbox.Limits:
    """The sandbox's limits from grader.toml: with `job.sandbox_tier`, what names a worker's zygote (sandbox.shared_zygote)."""
    limits = job.config.limits
    return sandbox.Limits(
        startup_seconds=limits.startup_seconds, call_seconds=limits.test_seconds, memory_mb=limits.memory_mb,
        cpu_seconds=limits.cpu_seconds, processes=limits.processes, file_mb=limits.file_mb, open_files=limits.open_files,
        preload=load_assignment(job.assignment_id).preload,
    )


def _start(submission: Submission, job: Job, result: report.SubmissionResult, tripwires: list[tuple[str, str]]) -> sandbox.SandboxRunner:
    runner = sandbox.SandboxRunner(
        load_assignment(job.assignment_id).module, submission.source, sandbox_limits(job), tier=job.sandbox_tier, tripwires=tripwires,
    )
    error = runner.start()
    if error is not None:
        result.problem = error
    return runner


_example_sets: dict[tuple, tuple[list, list[dict]]] = {}


def _count(g: GradedCheck, job: Job) -> int:
    return g.check.examples or (job.config.grader.hidden_examples if g.check.hidden else job.config.grader.examples)


def _source(g: GradedCheck) -> tuple[str, str, bool]:
    """Which example set a check reads: its function's own inputs, or its own (the check's name), public or hidden."""
    return g.function.name, "inputs" if g.check.inputs is None else g.check.name, g.check.hidden


_set_sizes: dict[tuple, dict[tuple, int]] = {}


def _set_size(g: GradedCheck, job: Job) -> int:
    """How many examples the set `g` reads holds: as many as the check on it that asks for most."""
    grader = job.config.grader
    cache = (job.assignment_id, grader.examples, grader.hidden_examples)
    if cache not in _set_sizes:
        sizes: dict[tuple, int] = {}
        for other in graded_checks(configured(load_assignment(job.assignment_id), job.config)):
            sizes[_source(other)] = max(sizes.get(_source(other), 0), _count(other, job))
        _set_sizes[cache] = sizes
    return _set_sizes[cache].get(_source(g), _count(g, job))


def _draws(g: GradedCheck, job: Job, seed: int) -> list[tuple[tuple, torch.dtype, int, int, int]]:
    """(key, dtype, count, size, seed) of every example set the check is graded on: it reads `count`
    of the set's `size` examples, spread over it (kit.harness.run_examples).

    The public (or hidden) checks of a function that draw from its own inputs share one example
    set per dtype, and so the calls they have in common (kept per process: kit.harness.run_examples).
    """
    count, size = _count(g, job), _set_size(g, job)
    draws = []
    for dtype in g.check.dtypes or g.function.dtypes:
        check_seed = seed_for(seed, *_source(g), size, dtype)
        draws.append(((job.assignment_id, *_source(g), str(dtype), size, check_seed), dtype, count, size, check_seed))
    return draws


def example_set(g: GradedCheck, key: tuple, dtype: torch.dtype, size: int, seed: int) -> tuple[list, list[dict]]:
    """The set's inputs, drawn once and reused (with their reference outputs) for every student."""
    if key not in _example_sets:
        calls = draw_examples(g.check, g.function, dtype, size, seed)
        _example_sets[key] = (calls, [{} for _ in calls])
    return _example_sets[key]


def graded_examples(g: GradedCheck, job: Job, seed: int) -> list[tuple[torch.dtype, list, list[dict], int]]:
    """(dtype, calls, memos, count) of each example set the check is graded on, `count` of them read:
    what `run_examples` takes, here and in the notebooks' hidden cells (autograder/release/notebook.py)."""
    found = []
    for key, dtype, count, size, check_seed in _draws(g, job, seed):
        found.append((dtype, *example_set(g, key, dtype, size, check_seed), count))
    return found


def draw_all(job: Job) -> dict[tuple, list]:
    """Every example set of the assignment, drawn here once instead of in every worker."""
    assignment = configured(load_assignment(job.assignment_id), job.config)
    seed = seed_for(job.config.grader.seed, assignment.id)
    drawn = {}
    for g in runnable(graded_checks(assignment)):
        for key, dtype, _, size, check_seed in _draws(g, job, seed):
            drawn[key] = example_set(g, key, dtype, size, check_seed)[0]
    return drawn


def _install(pickled: bytes) -> None:
    """Worker initializer: one thread per worker (the workers run side by side) and the shared draws.

    The draws come as plain pickle bytes: multiprocessing's own pickler would share every
    tensor through a file descriptor of its own, thousands of them.
    """
    torch.set_num_threads(1)
    install_examples(pickle.loads(pickled))


def install_examples(drawn: dict[tuple, list]) -> None:
    """`draw_all`'s sets as this process's example sets (their references computed here, once, as they are needed).

    Then what the process holds (torch, hypothesis, the sets: some 460,000 objects) is moved out of the
    collector's sight (gc.freeze): they live as long as it does, and a worker's full collections would
    otherwise go through all of them again and again (about -10% of a worker's time on 02's class).
    """
    for key, calls in drawn.items():
        if key not in _example_sets:
            _example_sets[key] = (calls, [{} for _ in calls])
    gc.freeze()


def _run_safely(
    g: GradedCheck, runner: sandbox.SandboxRunner, job: Job, seed: int, result: report.SubmissionResult, shared: dict, shrink: bool = True
) -> tuple[bool, str]:
    """`_run`, where anything the grader did not expect fails this check only, never the whole submission."""
    try:
        passed, output, hidden_input = _run(g, runner, job, seed, shared, shrink)
        if hidden_input is not None and hidden_input["input"] is not None:  # None: not started, crashed or timed out, no input to show
            result.instructor[g.name] = hidden_input
        return passed, output
    except RanForbidden:
        raise
    except Exception as error:  # a reply no layer below foresaw: the submission keeps what its other checks earn
        result.extra.setdefault("grader_errors", []).append(f"{g.name}: {type(error).__name__}")  # for the instructor
        _discard(runner)
        shared.clear()
        if g.check.hidden:
            return False, "Hidden test failed."
        return False, f"{g.function.name}(): the grader could not read the reply, so this check fails."


def _discard(runner: sandbox.SandboxRunner) -> None:
    """Trust nothing more from a process whose reply broke the grader: kill it; the next request starts afresh."""
    process = getattr(runner, "sandbox", None)
    runner.sandbox = None
    if process is not None:
        process.kill()


def _run(
    g: GradedCheck, runner: sandbox.SandboxRunner, job: Job, seed: int, shared: dict, shrink: bool = True,
) -> tuple[bool, str, dict | None]:
    """(passed, what the student reads, what the instructor alone reads of a failed hidden check: its input)."""
    for key, dtype, count, size, check_seed in _draws(g, job, seed):
        runner.budget(job.config.limits.test_seconds)
        try:
            calls, memos = example_set(g, key, dtype, size, check_seed)
            run_examples(g.check, g.function, runner, dtype, calls, memos, shared=shared, count=count)
        except CheckFailed as failure:
            if failure.forbidden:  # what the call ran, not its values: the whole function scores 0 (grade_submission)
                raise RanForbidden(failure.message) from None
            if g.check.hidden:
                dtype_name = str(dtype).removeprefix("torch.")
                return False, "Hidden test failed.", {"dtype": dtype_name, "message": failure.message, "input": failure.instructor_example}
            if shrink and failure.example is not None:  # one shrunk input per function is enough feedback
                failure = _shrunk(g, runner, job, dtype, count, check_seed) or failure
            return False, _feedback(g, dtype, failure), None
    return True, "Hidden test passed." if g.check.hidden else "Passed.", None


def _shrunk(g: GradedCheck, runner: sandbox.SandboxRunner, job: Job, dtype: torch.dtype, count: int, seed: int) -> CheckFailed | None:
    """Let hypothesis search and shrink, for a smaller failing input to show; None if it finds none."""
    runner.budget(min(job.config.limits.test_seconds, 5.0))
    try:
        run_check(g.check, g.function, runner, dtype, examples=count, seed=seed)
    except CheckFailed as failure:
        return failure if failure.example is not None else None
    return None


def _feedback(g: GradedCheck, dtype: torch.dtype, failure: CheckFailed) -> str:
    lines = [f"[{str(dtype).removeprefix('torch.')}] {failure.message}"]
    if failure.example:
        lines.append(f"Failing input: {failure.example}")
    if hint := g.check.hint_for(failure.message):
        lines.append(f"Hint: {hint}")
    return "\n".join(lines)


def _finish(result: report.SubmissionResult, started: float) -> report.SubmissionResult:
    result.execution_time = time.monotonic() - started
    result.extra["function_scores"] = result.function_scores()
    if result.problem is not None:  # why it could not be graded, for the class report (already in `output` for the student)
        result.extra["problem"] = result.problem
    return result


# ---------------------------------------------------------------- many submissions


def grade_and_write(student_dir: Path, job: Job, out: Path, trusted_runner: Callable[[Submission], Any] | None = None) -> tuple[str, float]:
    """Grade one submission and write its results.json: the unit of work of a grading worker.

    The instructor's file (hidden inputs) is written first: a results.json with the current
    fingerprint means "done" to a resumed run, which then keeps the instructor's file as it is.
    """
    result = grade_submission(student_dir, job, trusted_runner)
    report.write_instructor(out, result)
    report.write_results(out, result)
    return result.student, result.score


# What the grader writes at OUT's top level beside the students' folders. A student folder of
# that name (in any case: case-insensitive file systems) is refused, never graded over it; the
# temporary files (.grades.csv.*.tmp) start with a dot, like every folder that is no student's,
# and so does OUT/.instructor (report.INSTRUCTOR), which no student folder can be named.
RESERVED = ("grades.csv", "report.html")


def _folders(submissions: Path) -> list[Path]:
    return sorted(p for p in submissions.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith("."))


def student_folders(submissions: Path) -> list[Path]:
    """The folders graded: every one but dot-folders, symbolic links and the refused ones."""
    return [p for p in _folders(submissions) if p.name.casefold() not in RESERVED]


def refused_folders(submissions: Path) -> list[str]:
    """Student folders left ungraded because OUT/<name> is a file the grader writes (RESERVED)."""
    return [p.name for p in _folders(submissions) if p.name.casefold() in RESERVED]


def pending(submissions: Path, out: Path, job: Job) -> tuple[list[Path], list[str]]:
    """(the student folders to grade, the students whose results.json has this fingerprint and submission already)."""
    todo, skipped = [], []
    module = load_assignment(job.assignment_id).module
    for folder in student_folders(submissions):
        previous = report.read_results(out / folder.name / "results.json")
        digest = find(folder, module, job.config.limits.submission_kb).digest
        extra = (previous or {}).get("extra_data", {})
        if extra.get("fingerprint") == job.fingerprint and extra.get("submission_sha256") == digest:
            skipped.append(folder.name)
        else:
            todo.append(folder)
    return todo, skipped


def grade_all(
    submissions: Path, out: Path, job: Job, jobs: int, progress=None, trusted_runner: Callable[[Submission], Any] | None = None,
) -> tuple[list[str], list[str], dict[str, str]]:
    """Grade every student folder not already graded with the same fingerprint (`trusted_runner`: see grade_submission).

    Returns (graded now, skipped as unchanged, {student: internal error}). Each result is
    written as soon as it is ready, so an interrupted run loses nothing already graded; a
    submission the grader itself failed on gets no results.json and is retried next run.
    """
    todo, skipped = pending(submissions, out, job)
    if progress is not None:
        progress.start(total=len(todo) + len(skipped), done=len(skipped))
    graded, errors = [], {}
    drawn = draw_all(job) if todo else {}
    with ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=get_context("spawn"), initializer=_install, initargs=(pickle.dumps(drawn),)) as pool:
        futures = {pool.submit(grade_and_write, folder, job, out, trusted_runner): folder.name for folder in todo}
        for future in as_completed(futures):
            try:
                graded.append(future.result()[0])
            except Exception as error:  # a fault of the grader, never of the submission
                errors[futures[future]] = f"{type(error).__name__}: {error}"
            if progress is not None:
                progress.advance()
    return graded, skipped, errors

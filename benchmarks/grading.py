"""Grade one realistic class three ways in one run: the kit's sandboxed autograder, the same checks
in-process (the floor), and nbgrader autograde; compare their throughput.

    python benchmarks/grading.py                         # 200 submissions of assignment 02
    python benchmarks/grading.py --n 1000 --jobs 2       # the README's figure
    python benchmarks/grading.py --assignment 10 --n 200 --nbgrader-n 0
    python benchmarks/grading.py --self-check-only       # students' pytest per assignment
    python benchmarks/grading.py --n 100 --nbgrader-n 0 --scheduler local:2   # the Dask path beside --jobs 2

The class is what instructors grade: of every 20 students, 8 hand in correct code (the
solution and the honest rewrites of tests/honest, cycled), 9 code with one bug (those of the
assignment's mutants, tests/mutants, that lose at most two points, cycled: each mutant is
graded once in-process first to find them), and 3 a stub, a file with a syntax error or an
empty folder. Every file is unique (a first comment names its student), so nothing could be
graded once for two students. The run prints how many kept full marks or lost at most two
points, from the grades themselves.

- kit: `python -m autograder grade --jobs N`, sandbox on, the repository's grader.toml.
- floor: the same grader, the same checks and inputs, the same pool of N workers, but every
  call made in the worker's own process (kit.harness.InProcessRunner, as the students'
  pytest makes it), without sandbox, child process or socket. Trusted code only.
- nbgrader: `nbgrader autograde` on the first `--nbgrader-n` students (it grades one at a
  time and takes seconds each); its test cells call the kit's checks.
- with `--scheduler local:N` (or a scheduler's address): the kit again, on Dask
  (`grade --scheduler`, autograder/cluster.py), beside `--jobs`: the throughput of each and
  their ratio (`--rounds R` alternates the two R times and compares medians), the scheduler's
  own cost per task (no-op tasks on a cluster like it), and docs/cluster.md's throughput model
  from these figures.

Each is timed as a command from start to end (Python, torch and the workers' start-up
included), on this machine, in this run: quote the ratios. Peak memory is the largest
resident set of any one process of each grader (its workers and sandboxes included).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from honest import HONEST  # noqa: E402
from mutants import MUTANTS  # noqa: E402

from autograder.release import nbgrader_course  # noqa: E402
from kit.catalog import ASSIGNMENTS, SOLUTIONS, assignment_ids, load_assignment  # noqa: E402

BIN = Path(sys.executable).parent
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}  # nbgrader runs `alembic` from PATH
MEASURE = "import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)"
CORRECT, ONE_BUG, BROKEN = 8, 9, 3  # of every 20 students


def one_bug_mutants(assignment_id: str, work: Path) -> list:
    """The assignment's mutants that lose at most two points, as the grader grades them in-process."""
    from functools import partial

    from autograder.grade import grade_submission

    assignment = load_assignment(assignment_id)
    maximum = sum(f.points for f in assignment.functions)
    job, found = shipped_job(assignment_id, isolated=False), []
    for mutant in [m for m in MUTANTS if m.assignment == assignment_id]:
        folder = work / "calibration" / mutant.name
        mutant.write(folder)
        with warnings.catch_warnings():  # what the submission's own code warns about (matplotlib's layout) is not the benchmark's
            warnings.simplefilter("ignore")
            score = grade_submission(folder, job, partial(trusted_runner, assignment.module)).score
        if score >= maximum - 2 - 1e-6:
            found.append(mutant)
    return found


def realistic_class(assignment_id: str, n: int, mutants: list) -> dict[str, str | None]:
    """n students -> their file's text (None: an empty folder), in the proportions above."""
    module = load_assignment(assignment_id).module
    solution = (SOLUTIONS / f"{module}.py").read_text()
    correct = [("solution", solution)] + [(f"honest-{h.name}", h.source()) for h in HONEST if h.assignment == assignment_id]
    one_bug = [(f"mutant-{m.name}", m.source()) for m in mutants] or correct  # no such mutant: correct code instead
    broken = [("stub", (ASSIGNMENTS / assignment_id / f"{module}.py").read_text()), ("syntax-error", solution.replace("def ", "def (", 1)), ("empty", None)]
    students: dict[str, str | None] = {}
    counts = {"correct": 0, "one_bug": 0, "broken": 0}
    for i in range(n):
        slot = i % (CORRECT + ONE_BUG + BROKEN)
        kind = "correct" if slot < CORRECT else "one_bug" if slot < CORRECT + ONE_BUG else "broken"
        pool = {"correct": correct, "one_bug": one_bug, "broken": broken}[kind]
        name, source = pool[counts[kind] % len(pool)]
        counts[kind] += 1
        student = f"s{i:04d}-{name}"
        students[student] = None if source is None else f"# {student}\n{source}"
    return students


def write_class(students: dict[str, str | None], module: str, folder: Path) -> None:
    for student, source in students.items():
        (folder / student).mkdir(parents=True)
        if source is not None:
            (folder / student / f"{module}.py").write_text(source)


def measured(command: list[str], cwd: Path, env: dict | None = None) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (MiB) of the largest process of `command`, which must succeed, and its stdout."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", MEASURE, *command], cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    peak_kib, code = done.stdout.split()[-2:]
    if int(code) != 0:
        sys.exit(f"benchmark: {' '.join(command[:6])}... failed:\n{done.stderr[-2000:]}")
    return wall, int(peak_kib) // 1024, done.stdout


# ---------------------------------------------------------------- the in-process floor


def shipped_job(assignment_id: str, isolated: bool):
    """The Job `python -m autograder grade` makes with the repository's grader.toml."""
    from autograder import config as grader_config
    from autograder.grade import Job, configured, fingerprint

    known = {i: [f.name for f in load_assignment(i).functions] for i in assignment_ids()}
    config = grader_config.load(ROOT / "grader.toml", known)
    assignment = configured(load_assignment(assignment_id), config)
    return Job(assignment_id, config, isolated=isolated, fingerprint=fingerprint(assignment, (ROOT / "grader.toml").read_text(), isolated))


def trusted_runner(module_name: str, submission):
    """The floor's runner: the submission imported and called in the grading worker itself, as the
    sandboxed child imports it (its text compiled, its lines in linecache for the stub's `raise`)."""
    import linecache
    import types

    from kit.execute import describe_error
    from kit.harness import Abort, InProcessRunner

    class InThisProcess(InProcessRunner):
        def budget(self, seconds: float) -> None:
            pass  # nothing to stop: the code is trusted

        def close(self) -> None:
            pass

    class DidNotLoad(InThisProcess):
        def run_batch(self, *args, **options):
            raise Abort(self.module)  # every check fails with the load error, as in the sandbox

    path = f"/floor/{submission.student}/{module_name}.py"
    linecache.cache[path] = (len(submission.source), None, submission.source.splitlines(keepends=True), path)
    module = types.ModuleType(module_name)
    module.__file__ = path
    try:
        exec(compile(submission.source, path, "exec", dont_inherit=True), module.__dict__)
    except Exception as error:
        return DidNotLoad(f"{module_name}.py failed to import: {describe_error(error, path)}")
    return InThisProcess(module)


def grade_in_process(assignment_id: str, submissions: Path, out: Path, jobs: int) -> None:
    """What `python -m autograder grade` does, with `trusted_runner` for the sandbox (`--floor`)."""
    from functools import partial

    from autograder.grade import grade_all

    job = shipped_job(assignment_id, isolated=False)
    runner = partial(trusted_runner, load_assignment(assignment_id).module)
    _, _, errors = grade_all(submissions, out, job, jobs, trusted_runner=runner)
    if errors:
        sys.exit(f"benchmark: the in-process floor failed on {errors}")


# ---------------------------------------------------------------- the three graders


def kit(
    assignment_id: str, submissions: Path, out: Path, jobs: int, *, floor: bool = False, scheduler: str | None = None, sandbox: str | None = None,
) -> dict:
    grader = [__file__, "--floor"] if floor else ["-m", "autograder", "grade"]
    arguments = ["--assignment", assignment_id, "--submissions", str(submissions), "--out", str(out)]
    arguments += ["--sandbox", sandbox] if sandbox else []
    arguments += ["--scheduler", scheduler] if scheduler else ["--jobs", str(jobs)]
    wall, peak, stdout = measured([sys.executable, *grader, *arguments], ROOT)
    results = {p.parent.name: json.loads(p.read_text()) for p in sorted(out.glob("*/results.json"))}
    return {"wall": wall, "peak": peak, "results": results, "stdout": stdout}


def submitted_notebook(released: nbformat.NotebookNode, source: str, functions: list[str]) -> nbformat.NotebookNode:
    """The released notebook with the student's version of each function in its solution cell."""
    chunks = dict(nbgrader_course.solution_chunks(source, functions))
    book = nbformat.from_dict(json.loads(json.dumps(released)))
    for cell in book.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = chunks[cell.metadata["nbgrader"]["grade_id"]]
    return book


def nbgrader(assignment_id: str, students: dict[str, str | None], work: Path) -> dict:
    """Students with a parsable file only: a notebook cannot hold a syntax error in a function's cell the same way."""
    assignment = load_assignment(assignment_id)
    course = nbgrader_course.build(work / "course", [assignment_id]).root
    subprocess.run([str(BIN / "nbgrader"), "generate_assignment", assignment.module, "--force"], cwd=course, env=ENV, check=True, capture_output=True)
    released = nbformat.read(str(course / "release" / assignment.module / f"{assignment.module}.ipynb"), as_version=4)
    functions = [f.name for f in assignment.functions]
    for student, source in students.items():
        folder = course / "submitted" / student / assignment.module
        folder.mkdir(parents=True)
        nbformat.write(submitted_notebook(released, source, functions), str(folder / f"{assignment.module}.ipynb"))
    wall, peak, _ = measured([str(BIN / "nbgrader"), "autograde", assignment.module, "--force"], course, ENV)
    return {"wall": wall, "peak": peak, "n": len(students)}


# ---------------------------------------------------------------- reporting


def composition(results: dict[str, dict], maximum: float) -> tuple[int, int, int]:
    """(full marks, lost at most two points, the rest) of the class, from its grades."""
    full = sum(r["score"] >= maximum - 1e-6 for r in results.values())
    near = sum(maximum - 2 - 1e-6 <= r["score"] < maximum - 1e-6 for r in results.values())
    return full, near, len(results) - full - near


def breakdown(results: dict[str, dict]) -> list[str]:
    """Where a sandboxed submission's time goes: class totals and the median submission."""
    times = [r["extra_data"]["time"] for r in results.values() if "time" in r["extra_data"]]
    starts = [r["extra_data"]["startup_seconds"] for r in results.values() if "startup_seconds" in r["extra_data"]]
    total = {key: sum(t.get(key, 0) for t in times) for key in times[0]} if times else {}
    if not total:
        return ["  (no submission reached its checks)"]
    judging = total["checks_seconds"] - total["exchange_seconds"] - total["encode_seconds"] - total["decode_seconds"]
    median = {key: statistics.median(t.get(key, 0) for t in times) for key in total}
    rows = [
        ("sandbox start to first check", sum(starts), statistics.median(starts) if starts else 0.0),
        ("arguments to frames (grader)", total["encode_seconds"], median["encode_seconds"]),
        ("round trips, send to reply read", total["exchange_seconds"], median["exchange_seconds"]),
        ("  of which the child's CPU time", total["child_cpu_seconds"], median["child_cpu_seconds"]),
        ("replies checked, tensors rebuilt", total["decode_seconds"], median["decode_seconds"]),
        ("judging (references, comparisons)", judging, median["checks_seconds"] - median["exchange_seconds"] - median["encode_seconds"] - median["decode_seconds"]),
    ]
    lines = [f"  {'':<36}{'class total s':>15}{'median ms':>11}"]
    lines += [f"  {label:<36}{seconds:>15.1f}{per * 1000:>11.1f}" for label, seconds, per in rows]
    lines.append(
        f"  per submission (median): {median['round_trips']:.0f} round trips, {median['calls']:.0f} calls, "
        f"{median['bytes_sent'] / 1024:.0f} KiB sent, {median['bytes_received'] / 1024:.0f} KiB received"
    )
    return lines


def print_report(args: argparse.Namespace, students: dict, ours: dict, floor: dict, theirs: dict | None, draws: float, writes: float, load: tuple) -> None:
    maximum = sum(f.points for f in load_assignment(args.assignment).functions)
    full, near, rest = composition(ours["results"], maximum)
    n = len(students)
    print(f"assignment {args.assignment}, {n} submissions, {os.cpu_count()} cores, load average before the run {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"class: {full} full marks ({full / n:.0%}), {near} lost at most 2 points ({near / n:.0%}), {rest} other ({rest / n:.0%}): "
          f"{(full + near) / n:.0%} correct or one bug")
    rate = {"kit": n / ours["wall"] * 60, "floor": n / floor["wall"] * 60}
    print(f"{'grader':<34}{'wall s':>9}{'s/submission':>14}{'submissions/min':>17}{'peak RSS MiB':>14}")
    print(f"{f'kit autograder, sandbox (--jobs {args.jobs})':<34}{ours['wall']:>9.1f}{ours['wall'] / n:>14.3f}{rate['kit']:>17.1f}{ours['peak']:>14}")
    print(f"{f'same checks in-process (--jobs {args.jobs})':<34}{floor['wall']:>9.1f}{floor['wall'] / n:>14.3f}{rate['floor']:>17.1f}{floor['peak']:>14}")
    if theirs is not None:
        rate["nbgrader"] = theirs["n"] / theirs["wall"] * 60
        label = f"nbgrader autograde ({theirs['n']} of them)"
        print(f"{label:<34}{theirs['wall']:>9.1f}{theirs['wall'] / theirs['n']:>14.3f}{rate['nbgrader']:>17.1f}{theirs['peak']:>14}")
    print(f"sandboxed / in-process throughput: {rate['kit'] / rate['floor']:.2f}")
    if theirs is not None:
        print(f"kit / nbgrader throughput: {rate['kit'] / rate['nbgrader']:.1f}x")
    differ = [s for s in ours["results"] if ours["results"][s]["score"] != floor["results"][s]["score"]]
    print(f"the same score sandboxed and in-process: {len(ours['results']) - len(differ)} of {len(ours['results'])} submissions")
    for student in differ[:5]:
        sandboxed, in_process = (_failed(r["results"][student]) for r in (ours, floor))
        print(f"  {student}: {ours['results'][student]['score']:g} sandboxed, {floor['results'][student]['score']:g} in-process; "
              f"failed only sandboxed: {sorted(sandboxed - in_process)}, only in-process: {sorted(in_process - sandboxed)}")
    print(f"drawing every example set once for the run: {draws:.2f} s; writing one results.json: {writes * 1000:.2f} ms")
    print("where the sandboxed submissions' time went (the grader's side; the child's CPU time as the kernel counts it):")
    print("\n".join(breakdown(ours["results"])))


def _failed(results: dict) -> set[str]:
    return {t["name"] for t in results["tests"] if t["status"] == "failed"}


def draw_seconds(assignment_id: str) -> float:
    from autograder import grade

    job = shipped_job(assignment_id, isolated=True)
    grade._example_sets.clear()  # drawn already for the calibration, in this process
    started = time.perf_counter()
    grade.draw_all(job)
    return time.perf_counter() - started


def write_seconds(results: dict[str, dict], folder: Path) -> float:
    """Median time to write one results.json as the grader does (atomically, flushed to disk)."""
    from autograder.report import write_atomically

    timings = []
    for student, result in list(results.items())[:50]:
        started = time.perf_counter()
        write_atomically(folder / student / "results.json", json.dumps(result, indent=2))
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) if timings else 0.0


# ---------------------------------------------------------------- the Dask path (--scheduler)


def _echo(text: str) -> str:
    return text * 4  # a result about the size of a results.json


def scheduler_overhead(scheduler: str, tasks: int = 2000) -> float:
    """Seconds per task that the Dask path itself costs: `tasks` no-op tasks, each carrying a submission-sized
    text (4 KiB) and returning a result-sized one (16 KiB), on a cluster like the grader's (the same address, or
    a LocalCluster like local:N), submitted at once and collected as they complete, as the grader does."""
    import distributed

    from autograder import cluster

    payload = "x" * 4096
    with cluster.connect(scheduler, silence_logs=logging.CRITICAL) as client:  # no worker's heartbeat error as it closes
        client.gather(client.map(_echo, [payload] * 50, pure=False))  # workers started and warm
        started = time.perf_counter()
        futures = [client.submit(_echo, payload, key=f"echo-{i}-{started}") for i in range(tasks)]
        for _ in distributed.as_completed(futures, with_results=True):
            pass
        return (time.perf_counter() - started) / tasks


def worker_setup(stdout: str) -> tuple[float, float]:
    """(set-up, sandbox start) seconds per worker, the slowest, from the CLI's `cluster:` line."""
    found = re.search(r"set up for the run in [\d.]+-([\d.]+) s each \(sandbox start [\d.]+-([\d.]+) s\)", stdout)
    return (float(found[1]), float(found[2])) if found else (float("nan"), float("nan"))


def pending_seconds(assignment_id: str, submissions: Path, out: Path) -> float:
    """Per submission, the resume scan a run starts with (grade.pending: every file read and digested,
    every results.json read), here on a class already graded."""
    from autograder.grade import pending

    job = shipped_job(assignment_id, isolated=True)
    started = time.perf_counter()
    todo, skipped = pending(submissions, out, job)
    return (time.perf_counter() - started) / max(len(todo) + len(skipped), 1)


MODEL_N, MODEL_WORKERS = 10_000, (10, 50, 200)


def throughput_model(c: float, overhead: float, parent: float, setup: float, draws: float, scan: float) -> list[str]:
    """docs/cluster.md's model: minutes for MODEL_N submissions on each of MODEL_WORKERS single-threaded workers.

    T = scan N + draws + setup + max(N c / W, N overhead, N parent) + c: the parent's resume scan and its
    draws come first; every worker sets itself up in parallel (setup); then the workers' share, the
    scheduler's and the parent's per-task work run as a pipeline, the slowest deciding; the last
    submission adds its own time.
    """
    lines = [f"  {'workers':>8}{'minutes':>9}{'submissions/min':>17}  bound by"]
    for w in MODEL_WORKERS:
        stages = {"the workers": MODEL_N * c / w, "the scheduler": MODEL_N * overhead, "the parent's writes": MODEL_N * parent}
        bound = max(stages, key=stages.get)
        total = scan * MODEL_N + draws + setup + stages[bound] + c
        lines.append(f"  {w:>8}{total / 60:>9.1f}{MODEL_N / total * 60:>17.0f}  {bound}")
    return lines


def print_dask(args: argparse.Namespace, n: int, jobs: list[dict], dask: list[dict], overhead: float, draws: float, writes: float, scan: float) -> None:
    wall = {"jobs": statistics.median(r["wall"] for r in jobs), "dask": statistics.median(r["wall"] for r in dask)}
    rounds = f", median of {len(jobs)} alternating runs" if len(jobs) > 1 else ""
    print(f"the kit on Dask (--scheduler {args.scheduler}) beside --jobs {args.jobs}{rounds}:")
    print(f"{'grader':<34}{'wall s':>9}{'s/submission':>14}{'submissions/min':>17}{'peak RSS MiB':>14}")
    for label, key, runs in ((f"--jobs {args.jobs}", "jobs", jobs), (f"--scheduler {args.scheduler}", "dask", dask)):
        print(f"{label:<34}{wall[key]:>9.1f}{wall[key] / n:>14.3f}{n / wall[key] * 60:>17.1f}{max(r['peak'] for r in runs):>14}")
    if len(jobs) > 1:
        walls = {key: ", ".join(f"{r['wall']:.1f}" for r in runs) for key, runs in (("jobs", jobs), ("dask", dask))}
        print(f"  wall s of each run: --jobs {walls['jobs']}; Dask {walls['dask']}")
    ratio = wall["jobs"] / wall["dask"]
    print(f"Dask / --jobs throughput: {ratio:.2f} (the Dask path takes {wall['dask'] / wall['jobs'] - 1:+.1%} time)")
    same = sum(dask[0]["results"][s]["score"] == jobs[0]["results"][s]["score"] for s in jobs[0]["results"])
    print(f"the same score with --jobs and on Dask: {same} of {len(jobs[0]['results'])} submissions")
    times = [r["execution_time"] for r in dask[0]["results"].values()]
    c = statistics.mean(times)
    here = statistics.mean(r["execution_time"] for r in jobs[0]["results"].values())
    print(f"mean grading time per submission, start-up left out: --jobs {here:.3f} s, Dask {c:.3f} s (first run of each)")
    setup, start = worker_setup(dask[0]["stdout"])
    parent = 2 * writes  # results.json and the instructor's file, each written atomically
    print(f"measured for the model: per submission {c:.3f} s of one worker (mean grading time, {len(times)} submissions); "
          f"the Dask path per task {overhead * 1000:.2f} ms (no-op tasks); worker set-up {setup:.1f} s (sandbox start {start:.1f} s); "
          f"the parent per result {parent * 1000:.1f} ms; resume scan {scan * 1000:.2f} ms per submission; draws {draws:.2f} s")
    print(f"model: {MODEL_N:,} submissions of {args.assignment} (docs/cluster.md, its assumptions):")
    print("\n".join(throughput_model(c, overhead, parent, setup, draws, scan)))


# ---------------------------------------------------------------- the students' self-check


def print_tiers(n: int, bubblewrap: list[dict], unprivileged: list[dict]) -> None:
    """The unprivileged tier (where bubblewrap cannot start: Gradescope) beside bubblewrap, runs alternated."""
    first, second = statistics.median(r["wall"] for r in bubblewrap), statistics.median(r["wall"] for r in unprivileged)
    same = sum(bubblewrap[0]["results"][s]["score"] == unprivileged[0]["results"].get(s, {}).get("score") for s in bubblewrap[0]["results"])
    print(f"sandbox tiers, {n} submissions, --jobs as above, {len(bubblewrap)} runs each, alternated:")
    walls = {name: " / ".join(f"{r['wall']:.1f}" for r in runs) for name, runs in (("bubblewrap", bubblewrap), ("unprivileged", unprivileged))}
    print(f"  bubblewrap    median {first:.1f} s ({walls['bubblewrap']})")
    print(f"  unprivileged  median {second:.1f} s ({walls['unprivileged']})")
    print(f"unprivileged / bubblewrap throughput: {first / second:.2f}; the same score in both: {same} of {len(bubblewrap[0]['results'])}")


def timed(command: list[str], runs: int) -> float:
    """Median wall time of `runs` runs of `command` from the repository root (a failing run stops the benchmark)."""
    return statistics.median(measured(command, ROOT)[0] for _ in range(runs))


def self_check_seconds(runs: int = 3) -> dict[str, float]:
    """Median wall time of a student's `pytest assignments/NN` on a correct solution, start-up
    included, with `python -c "import torch"` (the floor no test run goes under) as "torch"."""
    timings = {"torch": timed([sys.executable, "-c", "import torch"], runs)}
    for assignment_id in assignment_ids():
        timings[assignment_id] = timed([sys.executable, "-m", "pytest", f"assignments/{assignment_id}", "-q", "--impl-dir", "solutions"], runs)
    return timings


def print_self_check() -> None:
    timings = self_check_seconds()
    floor = timings.pop("torch")
    print(f"self-check, pytest assignments/NN on the solution, median of 3 runs (python -c 'import torch': {floor:.2f} s):")
    for assignment_id, seconds in timings.items():
        print(f"  {assignment_id}: {seconds:.1f} s ({seconds / floor:.1f}x importing torch)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="02")
    parser.add_argument("--n", type=int, default=200, help="submissions")
    parser.add_argument("--jobs", type=int, default=2, help="parallel workers of the kit and of the floor (nbgrader autograde is sequential)")
    parser.add_argument("--nbgrader-n", type=int, default=24, help="students nbgrader grades (the first ones; 0: skip it)")
    parser.add_argument("--scheduler", help="also grade on Dask (local:N or tcp://HOST:8786) and compare with --jobs")
    parser.add_argument("--rounds", type=int, default=1, help="with --scheduler or --tiers: alternate the two this many times")
    parser.add_argument("--tiers", action="store_true", help="also grade in the unprivileged sandbox tier (--sandbox unprivileged) and compare with bubblewrap")
    parser.add_argument("--self-check", action="store_true", help="also time every assignment's public tests on the solution")
    parser.add_argument("--self-check-only", action="store_true", help="time only the public tests (no class, no nbgrader)")
    parser.add_argument("--floor", action="store_true", help=argparse.SUPPRESS)  # internal: the floor's command
    parser.add_argument("--submissions", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor:
        grade_in_process(args.assignment, args.submissions, args.out, args.jobs)
        return
    if args.self_check_only:
        print_self_check()
        return
    if args.nbgrader_n and shutil.which("nbgrader", path=ENV["PATH"]) is None:
        sys.exit("benchmark: nbgrader is not installed (pip install -e '.[dev]'), or pass --nbgrader-n 0")
    module = load_assignment(args.assignment).module
    with tempfile.TemporaryDirectory(prefix="kit-bench-") as folder:
        work = Path(folder)
        mutants = one_bug_mutants(args.assignment, work)
        print(f"one bug: {len(mutants)} of the assignment's {sum(m.assignment == args.assignment for m in MUTANTS)} mutants lose at most 2 points")
        students = realistic_class(args.assignment, args.n, mutants)
        load = os.getloadavg()
        write_class(students, module, work / "class")
        ours = kit(args.assignment, work / "class", work / "kit-out", args.jobs)
        jobs, dask = [ours], []
        for i in range(args.rounds if args.scheduler else 0):
            if i:
                jobs.append(kit(args.assignment, work / "class", work / f"kit-out-{i}", args.jobs))
            dask.append(kit(args.assignment, work / "class", work / f"dask-out-{i}", args.jobs, scheduler=args.scheduler))
        bubblewrap, unprivileged = [ours], []
        for i in range(args.rounds if args.tiers else 0):
            if i:
                bubblewrap.append(kit(args.assignment, work / "class", work / f"bubblewrap-out-{i}", args.jobs, sandbox="bubblewrap"))
            unprivileged.append(kit(args.assignment, work / "class", work / f"unprivileged-out-{i}", args.jobs, sandbox="unprivileged"))
        floor = kit(args.assignment, work / "class", work / "floor-out", args.jobs, floor=True)
        parsable = {s: text for s, text in students.items() if text is not None and "def (" not in text}
        theirs = nbgrader(args.assignment, dict(list(parsable.items())[: args.nbgrader_n]), work) if args.nbgrader_n else None
        draws, writes = draw_seconds(args.assignment), write_seconds(ours["results"], work / "rewritten")
        if args.scheduler:
            scan = pending_seconds(args.assignment, work / "class", work / "dask-out-0")
            overhead = scheduler_overhead(args.scheduler)
    print_report(args, students, ours, floor, theirs, draws, writes, load)
    if args.scheduler:
        print_dask(args, len(students), jobs, dask, overhead, draws, writes, scan)
    if args.tiers:
        print_tiers(len(students), bubblewrap, unprivileged)
    if args.self_check:
        print_self_check()


if __name__ == "__main__":
    main()

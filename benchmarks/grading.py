"""Grade one class with the kit's autograder and with nbgrader autograde, and compare.

    python benchmarks/grading.py                       # 24 submissions of assignment 02
    python benchmarks/grading.py --n 48 --jobs 2 --self-check
    python benchmarks/grading.py --self-check-only     # students' pytest per assignment

Both graders see the same students (a mix of the solution, the stub and the assignment's
mutants) and run the same checks: the nbgrader notebooks' test cells call the kit's public
checks and, in their hidden parts, the grader's own drawn examples. Both are timed in this
one run, on this machine, so the ratio is what to quote. Peak memory is the largest resident
set of any one process of each grader (its workers and sandboxes included).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from mutants import MUTANTS  # noqa: E402

from autograder.release import nbgrader_course  # noqa: E402
from kit.catalog import ASSIGNMENTS, SOLUTIONS, assignment_ids, load_assignment  # noqa: E402

BIN = Path(sys.executable).parent
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}  # nbgrader runs `alembic` from PATH
MEASURE = "import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)"


def class_sources(assignment_id: str, n: int) -> dict[str, str]:
    """n students cycling through the solution, the stub and the mutants."""
    module = load_assignment(assignment_id).module
    pool = [("solution", (SOLUTIONS / f"{module}.py").read_text()), ("stub", (ASSIGNMENTS / assignment_id / f"{module}.py").read_text())]
    pool += [(f"mutant-{m.name}", m.source()) for m in MUTANTS if m.assignment == assignment_id]
    return {f"s{i:03d}-{pool[i % len(pool)][0]}": pool[i % len(pool)][1] for i in range(n)}


def measured(command: list[str], cwd: Path, env: dict | None = None) -> tuple[float, int, int]:
    """Wall seconds, peak RSS (MiB) of the largest process, exit code."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", MEASURE, *command], cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    peak_kib, code = done.stdout.split()[-2:]
    if int(code) != 0:
        sys.exit(f"benchmark: {' '.join(command[:4])}... failed:\n{done.stderr[-2000:]}")
    return wall, int(peak_kib) // 1024, int(code)


def kit(assignment_id: str, students: dict[str, str], work: Path, jobs: int) -> dict:
    module = load_assignment(assignment_id).module
    for student, source in students.items():
        (work / "kit" / student).mkdir(parents=True)
        (work / "kit" / student / f"{module}.py").write_text(source)
    command = [sys.executable, "-m", "autograder", "grade", "--assignment", assignment_id, "--submissions", str(work / "kit"), "--out", str(work / "kit-out"), "--jobs", str(jobs)]
    wall, peak, _ = measured(command, ROOT)
    results = [json.loads((work / "kit-out" / s / "results.json").read_text()) for s in students]
    return {
        "wall": wall,
        "peak": peak,
        "per_submission": statistics.median(r["execution_time"] for r in results),
        "startup": statistics.median(r["extra_data"]["startup_seconds"] for r in results),
        "scores": {s: r["score"] for s, r in zip(students, results, strict=True)},
    }


def submitted_notebook(released: nbformat.NotebookNode, source: str, functions: list[str]) -> nbformat.NotebookNode:
    """The released notebook with the student's version of each function in its solution cell."""
    chunks = dict(nbgrader_course.solution_chunks(source, functions))
    book = nbformat.from_dict(json.loads(json.dumps(released)))
    for cell in book.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = chunks[cell.metadata["nbgrader"]["grade_id"]]
    return book


def nbgrader(assignment_id: str, students: dict[str, str], work: Path) -> dict:
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
    return {"wall": wall, "peak": peak, "per_submission": wall / len(students)}


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
    parser.add_argument("--n", type=int, default=24, help="submissions")
    parser.add_argument("--jobs", type=int, default=2, help="the kit's parallel workers (nbgrader autograde is sequential)")
    parser.add_argument("--self-check", action="store_true", help="also time every assignment's public tests on the solution")
    parser.add_argument("--self-check-only", action="store_true", help="time only the public tests (no class, no nbgrader)")
    args = parser.parse_args()
    if args.self_check_only:
        print_self_check()
        return
    if shutil.which("nbgrader", path=ENV["PATH"]) is None:
        sys.exit("benchmark: nbgrader is not installed (pip install -e '.[dev]')")
    students = class_sources(args.assignment, args.n)
    with tempfile.TemporaryDirectory(prefix="kit-bench-") as folder:
        work = Path(folder)
        ours = kit(args.assignment, students, work, args.jobs)
        theirs = nbgrader(args.assignment, students, work)
    rate = {name: args.n / r["wall"] * 60 for name, r in (("kit", ours), ("nbgrader", theirs))}
    print(f"assignment {args.assignment}, {args.n} submissions (solution, stub and {len(students) - 2 if args.n > 2 else 0} mutant copies), {os.cpu_count()} cores")
    print(f"{'grader':<28}{'wall s':>9}{'s/submission':>15}{'submissions/min':>18}{'peak RSS MiB':>15}")
    print(f"{f'kit autograder (--jobs {args.jobs})':<28}{ours['wall']:>9.1f}{ours['per_submission']:>15.2f}{rate['kit']:>18.1f}{ours['peak']:>15}")
    print(f"{'nbgrader autograde':<28}{theirs['wall']:>9.1f}{theirs['per_submission']:>15.2f}{rate['nbgrader']:>18.1f}{theirs['peak']:>15}")
    print(f"ratio kit/nbgrader (submissions per minute): {rate['kit'] / rate['nbgrader']:.1f}x")
    print(f"kit fixed cost per submission (sandbox start to first test, median): {ours['startup'] * 1000:.0f} ms")
    print("kit s/submission is the median grading time of one submission in a warm worker; nbgrader's is wall / n.")
    if args.self_check:
        print_self_check()


if __name__ == "__main__":
    main()

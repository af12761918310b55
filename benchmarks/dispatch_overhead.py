"""What the forbidden-routine record (kit.dispatch) costs the sandboxed grader, per assignment.

The reference solution is graded `--rounds` times with the record and as often without it,
alternating, in one process (one zygote, draws and reference outputs computed once, as in
a class); "without" installs no tripwires in the child and records no call, so everything
else is the same (the efficiency check times both sides under the op recorder either way).
Prints the median seconds per submission and their ratio.

    python benchmarks/dispatch_overhead.py [--rounds 3] [ASSIGNMENT ...]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import autograder.grade  # noqa: E402
import kit.harness  # noqa: E402
from autograder.config import load as load_config  # noqa: E402
from autograder.grade import Job, grade_submission  # noqa: E402
from kit.catalog import SOLUTIONS, assignment_ids, load_assignment  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("assignments", nargs="*")
    args = parser.parse_args()
    torch.set_num_threads(1)
    ids = args.assignments or assignment_ids()
    config = load_config(ROOT / "grader.toml", {i: [f.name for f in load_assignment(i).functions] for i in assignment_ids()})
    recorded, wired = kit.harness.records, autograder.grade.tripwires_for
    folder = Path(tempfile.mkdtemp(prefix="kit-dispatch-bench-"))
    print(f"{'assignment':>10} {'without':>9} {'with':>9} {'ratio':>6}   (seconds per graded solution, median of {args.rounds})")
    totals = {"without": 0.0, "with": 0.0}
    try:
        for assignment_id in ids:
            module = load_assignment(assignment_id).module
            student = folder / assignment_id / "solution"
            student.mkdir(parents=True)
            shutil.copy(SOLUTIONS / f"{module}.py", student / f"{module}.py")
            job = Job(assignment_id, config, shrink=False)
            grade_submission(student, job)  # warm-up: the zygote, the draws, the reference outputs
            times: dict[str, list[float]] = {"without": [], "with": []}
            for _ in range(args.rounds):
                for variant in ("without", "with"):
                    kit.harness.records = recorded if variant == "with" else (lambda function, check: False)
                    autograder.grade.tripwires_for = wired if variant == "with" else (lambda assignment: [])
                    started = time.perf_counter()
                    result = grade_submission(student, job)
                    times[variant].append(time.perf_counter() - started)
                    assert result.score == result.max_score, result.summary()
            kit.harness.records, autograder.grade.tripwires_for = recorded, wired
            medians = {v: statistics.median(t) for v, t in times.items()}
            for v in totals:
                totals[v] += medians[v]
            print(f"{assignment_id:>10} {medians['without']:8.2f}s {medians['with']:8.2f}s {medians['with'] / medians['without']:5.2f}x", flush=True)
    finally:
        kit.harness.records, autograder.grade.tripwires_for = recorded, wired
        shutil.rmtree(folder, ignore_errors=True)
    print(f"{'all':>10} {totals['without']:8.2f}s {totals['with']:8.2f}s {totals['with'] / totals['without']:5.2f}x")


if __name__ == "__main__":
    main()

"""What recording each graded call's ops (kit.dispatch) costs: every check of every solution, with and without.

In-process, so it is an upper bound on the share of grading time: the sandboxed grader adds
process start-up and IPC around the same calls. The two variants alternate in the same
process, 3 rounds each, and the table reports the medians and their ratio.

    python benchmarks/dispatch_overhead.py [ASSIGNMENT ...]
"""

from __future__ import annotations

import contextlib
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from scores import verdicts  # noqa: E402

import kit.execute  # noqa: E402
from autograder.suite import load  # noqa: E402
from kit.catalog import SOLUTIONS, assignment_ids, load_module  # noqa: E402


class NotRecording(contextlib.nullcontext):
    """Stands in for kit.dispatch.OpRecorder: records nothing, costs nothing."""

    ops: set = set()
    left_inference_mode = False

    def __init__(self, watch_inference_mode: bool = False) -> None:
        super().__init__()


def timed(module, graded) -> float:
    started = time.perf_counter()
    found = verdicts(module, graded, examples=10)
    assert all(ok for checks in found.values() for _, ok in checks), "a solution failed a check"
    return time.perf_counter() - started


def main() -> None:
    torch.set_num_threads(1)
    recorder, on_top = kit.execute.OpRecorder, kit.execute.still_on_top
    ids = sys.argv[1:] or assignment_ids()
    print(f"{'assignment':>10} {'without':>9} {'with':>9} {'ratio':>6}")
    totals = {"without": 0.0, "with": 0.0}
    for assignment_id in ids:
        assignment, graded = load(assignment_id)
        module = load_module(SOLUTIONS / f"{assignment.module}.py", f"bench_{assignment_id}")
        runs: dict[str, list[float]] = {"without": [], "with": []}
        timed(module, graded)  # warm-up: lazy kernels, hypothesis' first draws
        for _ in range(3):
            for variant in ("without", "with"):
                kit.execute.OpRecorder, kit.execute.still_on_top = (recorder, on_top) if variant == "with" else (NotRecording, lambda r: True)
                runs[variant].append(timed(module, graded))
        kit.execute.OpRecorder, kit.execute.still_on_top = recorder, on_top
        medians = {v: statistics.median(t) for v, t in runs.items()}
        for v in totals:
            totals[v] += medians[v]
        print(f"{assignment_id:>10} {medians['without']:8.2f}s {medians['with']:8.2f}s {medians['with'] / medians['without']:5.2f}x", flush=True)
    print(f"{'all':>10} {totals['without']:8.2f}s {totals['with']:8.2f}s {totals['with'] / totals['without']:5.2f}x")


if __name__ == "__main__":
    main()

"""False failures of the efficiency check (kit.spec.Efficiency): regrade the solutions many times.

    python benchmarks/efficiency.py                         # 100 regrades, in-process and sandboxed, 2 side by side
    python benchmarks/efficiency.py --regrades 20 --runners sandbox 02 04
    python benchmarks/efficiency.py --honest 10             # also 10 regrades of every honest rewrite (tests/honest)
    python benchmarks/efficiency.py --loops 5               # also 5 regrades of every loop mutant (must all fail)

Each regrade draws every timed function's large input from its own seed (as the grader draws
from its secret seed), calls the function once on one of its ordinary inputs (as the earlier
checks of a real grade do), then runs the efficiency check exactly as the grader does
(`run_examples`, the first call batched). Sandboxed, every regrade of an assignment is a fresh
submission process, like a real grade. `--workers` graders run side by side (2 on the 2-core
course machine: the load of a real grading run), each with one torch thread, like the
grader's workers. Any failure of a solution or of an honest rewrite is a false failure; any
pass of a loop mutant (the `LOOPS` lists of tests/mutants) is an escape.

The table: per function, the verdicts, the false failures, the student's time over the
baseline's (min / median / max of the ratio) and over the budget (how much of it was used),
and what the check costs per submission (median wall time).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import pkgutil
import statistics
import subprocess
import sys
import tempfile
import time
from functools import cache
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from kit import checks  # noqa: E402
from kit.catalog import SOLUTIONS, assignment_ids, load_assignment, load_module  # noqa: E402
from kit.harness import CheckFailed, InProcessRunner, draw_examples, run_examples  # noqa: E402

EFFICIENT = "is about as fast as a vectorised version on a large input"


def submissions(assignment_id: str, honest: bool, loops: bool) -> list[tuple[str, str, str, str | None]]:
    """(kind, label, source, the one function to time or None for all) of the solution, and with
    `honest` of every honest rewrite of the assignment, with `loops` of every loop mutant."""
    module = load_assignment(assignment_id).module
    found = [("solution", "solution", (SOLUTIONS / f"{module}.py").read_text(), None)]
    if honest:
        from honest import HONEST

        found += [("honest", m.name, m.source(), None) for m in HONEST if m.assignment == assignment_id]  # a helper's rewrite changes several
    if loops:
        import mutants

        for info in pkgutil.iter_modules(mutants.__path__):
            found += [("loop", m.name, m.source(), m.function) for m in getattr(importlib.import_module(f"mutants.{info.name}"), "LOOPS", []) if m.assignment == assignment_id]
    return found


@cache
def loaded(module: str, source: str):
    """The submission as a module of this process (for the in-process runner), loaded once."""
    folder = Path(tempfile.mkdtemp(prefix="kit-efficiency-"))
    (folder / f"{module}.py").write_text(source)
    return load_module(folder / f"{module}.py", f"bench_{module}_{len(loaded.cache_info()._asdict())}_{abs(hash(source))}")


def regrade(assignment_id: str, kind: str, label: str, source: str, only: str | None, seed: int, runner_kind: str) -> list[dict]:
    """One submission's efficiency checks on inputs drawn from `seed`; one record per timed function."""
    from autograder.suite import graded_checks

    assignment = load_assignment(assignment_id)
    graded = [g for g in graded_checks(assignment) if g.check.name == EFFICIENT and only in (None, g.function.name)]
    if runner_kind == "sandbox":
        from autograder import sandbox

        runner = sandbox.SandboxRunner(assignment.module, source, sandbox.Limits())
        if (error := runner.start()) is not None:
            raise RuntimeError(f"{label}: {error}")
    else:
        runner = InProcessRunner(loaded(assignment.module, source))
    records = []
    try:
        for g in graded:
            warm = draw_examples(g.check, g.function, torch.float32, 1, seed)  # the large input
            ordinary = draw_examples(dataclasses.replace(g.check, inputs=None), g.function, torch.float32, 1, seed)
            runner.run(g.function.name, ordinary[0], "cpu", autograd=g.function.autograd)  # the earlier checks' calls
            if hasattr(runner, "budget"):
                runner.budget(20.0)
            checks.MEASURED = []
            started = time.perf_counter()
            try:
                run_examples(g.check, g.function, runner, torch.float32, warm, [{}])
                message = ""
            except CheckFailed as failure:
                message = failure.message
            wall = time.perf_counter() - started
            measured = checks.MEASURED[-1] if checks.MEASURED else None
            records.append({
                "assignment": assignment_id, "function": g.function.name, "kind": kind, "submission": label, "runner": runner_kind, "seed": seed,
                "passed": not message, "message": message[:300], "wall": wall,
                "took": measured[1] if measured else None, "baseline": measured[2] if measured else None, "budget": measured[3] if measured else None,
                "runs": measured[5] if measured else None, "measure": measured[6] if measured else None,
            })
    finally:
        if hasattr(runner, "close"):
            runner.close()
    return records


def worker(args: argparse.Namespace) -> None:
    """One grader: the regrades with seed % workers == index, one JSON record per line on stdout."""
    torch.set_num_threads(1)
    for seed in range(args.index, args.regrades, args.workers):
        for assignment_id in args.assignments:
            for kind, label, source, only in submissions(assignment_id, honest=seed < args.honest, loops=seed < args.loops):
                for runner_kind in args.runners:
                    for record in regrade(assignment_id, kind, label, source, only, seed, runner_kind):
                        print(json.dumps(record), flush=True)


def table(records: list[dict]) -> str:
    """One row per runner, kind of submission and function. `wrong`: false failures (solution,
    honest) or escapes (loop); `budget used`: the time judged over the budget (below 1 passes)."""
    head = f"{'runner':9} {'kind':8} {'function':32} {'n':>4} {'wrong':>5} {'ratio min/med/max':>20} {'budget used min/med/max':>24} {'ms':>7}"
    rows = [head]
    keys = sorted({(r["runner"], r["kind"], r["assignment"], r["function"]) for r in records})
    for runner_kind, kind, assignment_id, function in keys:
        mine = [r for r in records if (r["runner"], r["kind"], r["assignment"], r["function"]) == (runner_kind, kind, assignment_id, function)]
        timed = [r for r in mine if r["took"] is not None]
        ratios = [r["took"] / r["baseline"] for r in timed]
        used = [r["took"] / r["budget"] for r in timed]
        wrong = sum(r["passed"] == (kind == "loop") for r in mine)
        ratio = f"{min(ratios):.2f}/{statistics.median(ratios):.2f}/{max(ratios):.1f}" if ratios else "-"
        share = f"{min(used):.3f}/{statistics.median(used):.3f}/{max(used):.3f}" if used else "-"
        wall = statistics.median(r["wall"] * 1e3 for r in mine)
        rows.append(f"{runner_kind:9} {kind:8} {assignment_id + ' ' + function:32} {len(mine):4d} {wrong:5d} {ratio:>20} {share:>24} {wall:7.1f}")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    parser.add_argument("--regrades", type=int, default=100)
    parser.add_argument("--honest", type=int, default=0, help="regrade the honest rewrites too, in the first N regrades")
    parser.add_argument("--loops", type=int, default=0, help="regrade the loop mutants too, in the first N regrades")
    parser.add_argument("--runners", nargs="+", default=["inprocess", "sandbox"], choices=["inprocess", "sandbox"])
    parser.add_argument("--workers", type=int, default=2, help="graders side by side")
    parser.add_argument("--index", type=int, default=None, help=argparse.SUPPRESS)  # a worker's share
    parser.add_argument("--save", type=Path, default=None, help="write every record (JSON lines) here")
    args = parser.parse_args()
    args.assignments = args.assignments or [i for i in assignment_ids() if any(f.efficiency for f in load_assignment(i).functions)]
    if args.index is not None:
        worker(args)
        return
    started = time.perf_counter()
    command = [sys.executable, __file__, *args.assignments, "--regrades", str(args.regrades), "--honest", str(args.honest), "--loops", str(args.loops),
               "--runners", *args.runners, "--workers", str(args.workers)]
    processes = [subprocess.Popen([*command, "--index", str(i)], stdout=subprocess.PIPE, text=True, cwd=ROOT) for i in range(args.workers)]
    records = []
    for process in processes:
        out, _ = process.communicate()
        if process.returncode != 0:
            sys.exit(f"a worker failed (exit {process.returncode})")
        records += [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    if args.save:
        args.save.write_text("".join(json.dumps(r) + "\n" for r in records))
    print(table(records))
    failures = [r for r in records if not r["passed"] and r["kind"] != "loop"]
    escapes = [r for r in records if r["passed"] and r["kind"] == "loop"]
    print(f"\n{len(records)} verdicts in {time.perf_counter() - started:.0f} s, {args.workers} graders side by side; "
          f"false failures: {len(failures)} of {len(records) - sum(r['kind'] == 'loop' for r in records)}; "
          f"loop mutants passed: {len(escapes)} of {sum(r['kind'] == 'loop' for r in records)}")
    for r in failures[:20] + escapes[:20]:
        print(f"  {r['runner']} {r['assignment']} {r['function']} {r['submission']} seed {r['seed']}: {r['message']}")
    for runner_kind in args.runners:
        per = {}
        for r in records:
            if r["runner"] == runner_kind and r["submission"] == "solution":
                per.setdefault((r["assignment"], r["seed"]), 0.0)
                per[(r["assignment"], r["seed"])] += r["wall"]
        by_assignment = {}
        for (assignment_id, _), wall in per.items():
            by_assignment.setdefault(assignment_id, []).append(wall)
        cost = ", ".join(f"{a} {statistics.median(w) * 1e3:.0f}" for a, w in sorted(by_assignment.items()))
        print(f"{runner_kind}: the efficiency checks add per submission (median ms): {cost}")


if __name__ == "__main__":
    main()

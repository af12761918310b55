"""python -m autograder grade --assignment NN --submissions DIR --out OUT [--jobs N | --scheduler tcp://HOST:8786 | --scheduler local:N]

python -m autograder report OUT            (re)builds OUT/report.html from OUT
python -m autograder show OUT STUDENT      one student's results, hidden inputs included, for the instructor
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import sys
import time
from pathlib import Path

from autograder import report


class Progress:
    """done/total, rate and ETA on the terminal (rich), one summary line elsewhere."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.bar = Progress(
            TextColumn("grading"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"), TextColumn("ETA"), TimeRemainingColumn(), transient=False,
        )
        self.started = time.monotonic()
        self.graded = 0

    def start(self, total: int, done: int) -> None:
        self.task = self.bar.add_task("grading", total=total, completed=done, rate="")
        self.bar.start()

    def advance(self) -> None:
        self.graded += 1
        per_minute = self.graded / max(time.monotonic() - self.started, 1e-9) * 60
        self.bar.update(self.task, advance=1, rate=f"{per_minute:.1f}/min")

    def stop(self) -> None:
        self.bar.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description="Grade student submissions in a sandbox.")
    commands = parser.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("grade", help="grade one assignment's submissions")
    grade.add_argument("--assignment", required=True, help="assignment id, e.g. 02")
    grade.add_argument("--submissions", required=True, type=Path, help="one folder per student")
    grade.add_argument("--out", required=True, type=Path, help="where results.json files and grades.csv go")
    grade.add_argument("--jobs", type=int, default=None, help="submissions graded at once (default: grader.toml)")
    grade.add_argument("--scheduler", default=None, metavar="tcp://HOST:8786|local:N",
                       help='grade on a Dask cluster: its scheduler\'s address, or local:N for N worker processes here '
                            '(pip install -e ".[cluster]"; docs/cluster.md)')
    grade.add_argument("--config", type=Path, default=None, help="default: the kit's grader.toml")
    grade.add_argument("--sandbox", choices=("auto", "bubblewrap", "unprivileged"), default="auto",
                       help="which sandbox: auto (the default) takes bubblewrap where it starts, else the unprivileged tier "
                            "(Landlock, a user of its own, seccomp; docs/redteam.md); recorded in every result")
    grade.add_argument("--no-sandbox", action="store_true", help="run student code without any sandbox (recorded in every result)")
    grade.add_argument("--no-report", action="store_true", help="skip OUT/report.html and the class summary (one-student runs)")
    rebuild = commands.add_parser("report", help="(re)build OUT/report.html from a graded OUT")
    rebuild.add_argument("out", type=Path)
    one = commands.add_parser("show", help="one student's results, with the hidden checks' failing inputs (instructor only)")
    one.add_argument("out", type=Path)
    one.add_argument("student")
    args = parser.parse_args(argv)

    def fail(message: str) -> int:
        print(f"autograder: {message}", file=sys.stderr)
        return 2

    if args.command == "report":
        from autograder import class_report

        try:
            path, data, similar = class_report.write(args.out)
        except class_report.NoResults as error:
            return fail(str(error))
        class_report.print_summary(data, similar, path)
        return 0
    if args.command == "show":  # reads two JSON files: no torch, no grader, at once
        from autograder import show as show_student

        try:
            show_student.show(args.out, args.student)
        except show_student.UnknownStudent as error:
            return fail(str(error))
        return 0
    return grade_class(args, fail)


def grade_class(args: argparse.Namespace, fail) -> int:
    from autograder import config as grader_config
    from autograder import sandbox
    from autograder.grade import configured
    from kit.catalog import ROOT, LoadError, assignment_ids, load_assignment

    args.config = args.config or ROOT / "grader.toml"
    try:
        known = {i: [f.name for f in load_assignment(i).functions] for i in assignment_ids()}
        cfg = grader_config.load(args.config, known)
        assignment = configured(load_assignment(args.assignment), cfg)
    except (grader_config.ConfigError, LoadError) as error:
        return fail(str(error))
    if not args.submissions.is_dir():
        return fail(f"submissions folder {args.submissions} not found")
    if args.jobs is not None and args.jobs < 1:
        return fail("--jobs must be at least 1")
    cluster, local = None, False
    if args.scheduler is not None:
        if args.jobs is not None:
            return fail("--jobs and --scheduler exclude each other: on a cluster the workers' number decides how many are graded at once")
        if importlib.util.find_spec("distributed") is None:
            return fail('--scheduler needs Dask\'s distributed, which is not installed: pip install -e ".[cluster]"')
        from autograder import cluster

        try:
            local = isinstance(cluster.parse(args.scheduler), int)
        except cluster.SchedulerError as error:
            return fail(str(error))
    args.tier = "none" if args.no_sandbox else "bubblewrap" if args.sandbox == "auto" else args.sandbox
    if not args.no_sandbox and (cluster is None or local):  # a remote worker checks its own when it is set up (cluster.GraderPlugin)
        try:
            args.tier = sandbox.choose_tier(args.sandbox)
        except sandbox.SandboxUnavailable as error:
            return fail(f"refusing to grade: {error}. Pass --no-sandbox to grade without one (recorded in every result).")
        if args.tier != "bubblewrap" and args.sandbox == "auto":
            print("autograder: bubblewrap cannot start here; grading in the unprivileged sandbox (recorded in every result)", file=sys.stderr)

    with contextlib.ExitStack() as stack:
        client, cuda = None, None
        if cluster is not None:
            try:
                client = stack.enter_context(cluster.connect(args.scheduler))
                cuda = cluster.workers_cuda(client, args.scheduler)
            except OSError as error:  # TimeoutError included
                return fail(f"cannot reach the Dask scheduler at {args.scheduler}: {error}")
        outcome = _grade(args, fail, cfg, assignment, cluster, client, cuda)
    if isinstance(outcome, int):
        return outcome
    return _finish(args, assignment, *outcome)


def _grade(args: argparse.Namespace, fail, cfg, assignment, cluster, client, cuda: bool | None):
    """Grade the class here (--jobs) or on the cluster (client): (run.json's record, refused folders, graded, skipped,
    errors), or the exit status of a refusal."""
    from autograder.grade import Job, fingerprint, grade_all, refused_folders, student_folders

    config_text = args.config.read_text()
    tier = "bubblewrap" if args.tier == "none" else args.tier  # Job.tier names the sandbox of an isolated job
    job = Job(args.assignment, cfg, isolated=not args.no_sandbox, tier=tier,
              fingerprint=fingerprint(assignment, config_text, not args.no_sandbox, cuda=cuda, tier=tier))
    refused = refused_folders(args.submissions)
    run = {  # for `report` (which reads OUT alone, and the submissions again for the similarity only) and no student
        "assignment": args.assignment, "submissions": str(args.submissions.resolve()), "submission_kb": cfg.limits.submission_kb,
        "points": {f.name: f.points for f in assignment.functions}, "sandbox": not args.no_sandbox, "sandbox_tier": args.tier, "fingerprint": job.fingerprint,
        "students": [f.name for f in student_folders(args.submissions)], "refused": refused, "errors": {},
    }
    report.write_atomically(report.run_path(args.out), json.dumps(run, indent=2) + "\n")
    progress = Progress()
    try:
        if client is None:
            graded, skipped, errors = grade_all(args.submissions, args.out, job, args.jobs or cfg.grader.jobs, progress)
        else:
            try:
                graded, skipped, errors, workers = cluster.grade_all(client, args.submissions, args.out, job, config_text, progress)
            except cluster.WorkerUnfit as error:
                progress.stop()
                hint = " Pass --no-sandbox to grade without one (recorded in every result)." if "bubblewrap" in str(error) else ""
                return fail(f"refusing to grade: {error}.{hint}")
    finally:
        progress.stop()
    if client is not None and workers:  # how long each worker took to set up (docs/cluster.md's model reads it)
        setups = sorted(setup for setup, _ in workers.values() if setup is not None)
        starts = sorted(start for _, start in workers.values() if start is not None)
        took = f" in {setups[0]:.1f}-{setups[-1]:.1f} s each" if setups else ""
        started = f" (sandbox start {starts[0]:.1f}-{starts[-1]:.1f} s)" if starts else ""
        print(f"cluster: {len(workers)} Dask worker(s) set up for the run{took}{started}")
    return run, refused, graded, skipped, errors


def _finish(args: argparse.Namespace, assignment, run: dict, refused: list[str], graded: list[str], skipped: list[str], errors: dict[str, str]) -> int:
    from autograder import class_report
    from autograder.grade import student_folders

    rows = {}
    for folder in student_folders(args.submissions):
        results = report.read_results(args.out / folder.name / "results.json")
        if results is not None:
            rows[folder.name] = results
    csv_path = report.write_grades_csv(args.out, [f.name for f in assignment.functions], rows)
    if errors:
        report.write_atomically(report.run_path(args.out), json.dumps({**run, "errors": errors}, indent=2) + "\n")
    also = f", refused {len(refused)} ({', '.join(map(repr, refused))})" if refused else ""
    print(f"graded {len(graded)}, unchanged {len(skipped)}{also}; grades in {csv_path}")
    for name in refused:
        print(f"autograder: refused student folder {name!r}, not graded: {args.out / name} would be where the grader writes "
              f"the gradebook or the class report; rename the folder and re-run", file=sys.stderr)
    for student, error in sorted(errors.items()):
        print(f"autograder: internal error while grading {student} (not recorded; re-run to retry): {error}", file=sys.stderr)
    if not args.no_report:
        try:
            path, data, similar = class_report.write(args.out)
            class_report.print_summary(data, similar, path)
        except Exception as error:  # the exit status is the grading's (shared/interfaces.md): say what failed, and that the grades stand
            print(f"autograder: the class report failed ({type(error).__name__}: {error}); the grades in {csv_path} are complete; "
                  f"`python -m autograder report {args.out}` retries it", file=sys.stderr)
    return 1 if errors or refused else 0


if __name__ == "__main__":
    sys.exit(main())

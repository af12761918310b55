"""What a Gradescope bundle's `run_autograder` runs: find the submission, grade it, write results.json.

Gradescope gives one submission per container, in /autograder/submission/ (any folder
layout: an upload, a zip, a GitHub repository). The assignment's module is looked for
anywhere in it, copied (never followed through a link) into a one-student submissions
folder and graded by the kit's own CLI, `python -m autograder grade`, so the result is the
one the kit gives everywhere else. A results.json is always written, also when grading
itself fails, so that Gradescope shows a reason rather than "the autograder failed".

Sandbox: bubblewrap needs user namespaces (or CAP_SYS_ADMIN), which Gradescope's
containers may not allow; there the kit's unprivileged tier grades instead (Landlock, the
user `kit-sandbox` that setup.sh makes, seccomp; `extra_data.sandbox_tier` says which, and
`extra_data.sandbox_unavailable` why bubblewrap could not start). KIT_SANDBOX decides what
happens where neither tier starts: "auto" (the default) grades without a sandbox and records
it (a note in `output`, `extra_data.sandbox` false); "require" refuses, with score 0; "off"
never tries. See docs/releases.md for what each protects.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder import sandbox
from autograder.report import read_results, write_atomically
from kit.catalog import ROOT, load_assignment

MODES = ("auto", "require", "off")
SKIPPED_DIRS = {"__MACOSX", "__pycache__", "node_modules"}
GRADE_TIMEOUT = 3600  # seconds; Gradescope's own limit is set per assignment


def locate(submission: Path, module: str) -> Path | None:
    """The shallowest `<module>.py` (else `<module>.ipynb`) anywhere under `submission`, links included but not followed."""
    found = []
    for folder, dirs, files in os.walk(submission):  # does not descend into linked folders
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS)
        depth = len(Path(folder).relative_to(submission).parts)
        for name in files:
            if name in (f"{module}.py", f"{module}.ipynb"):
                found.append((depth, name.endswith(".ipynb"), Path(folder) / name))
    return min(found)[2] if found else None


def stage(submission: Path, module: str, student_dir: Path) -> str | None:
    """Put the submission's module into `student_dir`; return its path inside the submission, if any."""
    student_dir.mkdir(parents=True, exist_ok=True)
    path = locate(submission, module) if submission.is_dir() else None
    if path is None:  # let the grader say what it did find
        for other in sorted(submission.glob("*")) if submission.is_dir() else []:
            if other.suffix in (".py", ".ipynb") and other.is_file() and not other.is_symlink():
                (student_dir / other.name).write_bytes(b"")
        return None
    target = student_dir / path.name
    if path.is_symlink():  # the grader refuses links, with a reason; never read through one
        os.symlink(os.readlink(path), target)
    else:
        shutil.copyfile(path, target, follow_symlinks=False)
    return path.relative_to(submission).as_posix()


def failure(assignment_id: str, reason: str, started: float) -> dict:
    """A results.json for a submission the autograder could not grade at all."""
    return {
        "score": 0.0,
        "execution_time": round(time.monotonic() - started, 3),
        "output": f"The autograder could not grade this submission: {reason}",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [],
        "extra_data": {"assignment": assignment_id, "error": reason},
    }


def grade(root: Path, assignment_id: str, mode: str, started: float) -> dict:
    module = load_assignment(assignment_id).module
    unavailable, tier = ("KIT_SANDBOX=off", None) if mode == "off" else (None, "bubblewrap")
    if mode != "off":
        try:
            sandbox.check_available()
        except sandbox.SandboxUnavailable as error:
            unavailable = str(error)
            try:
                sandbox.check_unprivileged()
                tier = "unprivileged"
            except sandbox.SandboxUnavailable as second:
                unavailable, tier = f"{error}; {second}", None
        if tier is None:
            if mode == "require":
                print(f"run_autograder: refusing to grade without the sandbox: {unavailable}")
                return failure(assignment_id, "the grading sandbox cannot start on this machine, so your code was not run. Your instructor has been told.", started) | {
                    "extra_data": {"assignment": assignment_id, "error": "sandbox unavailable", "sandbox_unavailable": unavailable}
                }
    work = Path(tempfile.mkdtemp(prefix="kit-gradescope-"))
    try:
        submitted = stage(root / "submission", module, work / "submissions" / "submission")
        command = [sys.executable, "-m", "autograder", "grade", "--assignment", assignment_id, "--submissions", str(work / "submissions"), "--out", str(work / "out"), "--jobs", "1", "--no-report"]
        if tier is None:
            command.append("--no-sandbox")
            print(f"run_autograder: grading WITHOUT the sandbox: {unavailable}")
        else:
            command += ["--sandbox", tier]
            if unavailable is not None:
                print(f"run_autograder: grading in the unprivileged sandbox: {unavailable}")
        process = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=GRADE_TIMEOUT)
        print(process.stdout[-4000:], process.stderr[-4000:], sep="\n")
        results = read_results(work / "out" / "submission" / "results.json")
        if results is None:
            return failure(assignment_id, f"the grader stopped (exit status {process.returncode}). Your instructor can see why.", started)
        extra = results.setdefault("extra_data", {})
        extra["submission_file"] = submitted
        if unavailable is not None:
            extra["sandbox_unavailable"] = unavailable
        return results
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="run_autograder", description="Grade one Gradescope submission with the kit's autograder.")
    parser.add_argument("--assignment", required=True)
    parser.add_argument("--root", type=Path, default=Path(os.environ.get("AUTOGRADER_ROOT", "/autograder")))
    args = parser.parse_args(argv)
    started = time.monotonic()
    mode = os.environ.get("KIT_SANDBOX", "auto")
    print(f"run_autograder: kit at {ROOT}, assignment {args.assignment}, KIT_SANDBOX={mode}")
    try:
        if mode not in MODES:
            raise ValueError(f"KIT_SANDBOX must be one of {', '.join(MODES)}, not {mode!r}")
        results = grade(args.root, args.assignment, mode, started)
    except Exception as error:  # whatever happens, Gradescope gets a results.json
        print(f"run_autograder: {type(error).__name__}: {error}")
        results = failure(args.assignment, "an internal error of the autograder. Your instructor can see the details.", started)
        results["extra_data"]["error"] = f"{type(error).__name__}: {error}"
    write_atomically(args.root / "results" / "results.json", json.dumps(results, indent=2) + "\n")
    print(f"run_autograder: score {results.get('score')} written to {args.root / 'results' / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`python -m autograder show OUT STUDENT`: one student's results as the instructor reads them.

What the student reads (OUT/<student>/results.json), and beside each failed hidden check the
input it failed on, from OUT/.instructor/students/<student>/hidden.json: the only reader of
that file. Student strings (outputs, notes, the id itself) are printed as plain text: no rich
markup, and control characters shown as escapes (`printable`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from autograder import report

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # all but tab and newline: ESC would drive the terminal


def printable(text: str) -> str:
    """`text` with every control character shown as its escape (`\\x1b`), never sent to the terminal as it is."""
    return CONTROL.sub(lambda found: repr(found.group())[1:-1], text)


class UnknownStudent(Exception):
    """A missing OUT or a student it has no results for: one clear line for the CLI."""


def read(out: Path, student: str) -> tuple[dict, dict | None]:
    """(results.json, the instructor's file or None if the run wrote none)."""
    if not out.is_dir():
        raise UnknownStudent(f"{out} is not a folder of graded results")
    try:
        report.one_component(student)
    except ValueError:
        raise UnknownStudent(f"{student!r} is not a student id (a folder name in {out})") from None
    folder = out / student
    results = None if student.startswith(".") or folder.is_symlink() else report.read_results(folder / "results.json")
    if not isinstance(results, dict):
        raise UnknownStudent(f"no results for student {student!r} in {out}")
    try:
        instructor = json.loads(report.instructor_path(out, student).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        instructor = None
    return results, instructor if isinstance(instructor, dict) else None


def lines(student: str, results: dict, instructor: dict | None) -> list[str]:
    """The text `show` prints, line by line."""
    extra = results.get("extra_data", {})
    tests = results.get("tests", [])
    maximum = round(sum(t.get("max_score", 0.0) for t in tests), 2)  # each check's is rounded to 4 places
    hidden_inputs = (instructor or {}).get("hidden_failures", {})
    found = [f"Student {student}, assignment {extra.get('assignment', '?')}: {results.get('score', 0):g} / {maximum:g} points"]
    if extra.get("problem"):
        found.append(f"Could not be graded: {extra['problem']}")
    found.append("")
    scores = extra.get("function_scores", {})
    width = max((len(f) for f in scores), default=8)
    for function, points in scores.items():
        top = round(sum(t.get("max_score", 0.0) for t in tests if t.get("name", "").split(":")[0] == function), 2)
        found.append(f"  {function:<{width}}  {points:g} / {top:g}")
    found.append("")
    for test in tests:
        hidden = "hidden" in test.get("tags", [])
        status = "passed" if test.get("status") == "passed" else "FAILED"
        found.append(f"{status:6}  {test.get('name', '?')}{' (hidden)' if hidden else ''}  {test.get('score', 0):g}/{test.get('max_score', 0):g}")
        output = str(test.get("output", ""))
        if status == "FAILED" or output not in ("Passed.", "Hidden test passed."):
            found += [f"        {line}" for line in output.splitlines()]
        if hidden and status == "FAILED":
            failure = hidden_inputs.get(test.get("name"))
            if failure:
                found.append(f"        hidden input (instructor only) [{failure.get('dtype', '?')}]: {failure.get('input') or '(not rendered)'}")
                found.append(f"        hidden check said (instructor only): {failure.get('message', '')}")
            elif instructor is None:
                found.append("        hidden input (instructor only): not recorded (graded before the grader kept them)")
    notes = _notes(str(results.get("output", "")))
    if notes:
        found += ["", "Notes:", *(f"  {note}" for note in notes)]
    return found


def _notes(output: str) -> list[str]:
    """The summary's lines after its total, its reason (if any) and its per-function points (report.SubmissionResult.summary)."""
    rest = output.splitlines()[1:]
    if rest and rest[0].startswith("Could not grade the submission:"):
        rest = rest[1:]
    return rest[1:]


def show(out: Path, student: str, console=None) -> None:
    from rich.console import Console
    from rich.text import Text

    results, instructor = read(out, student)
    console = console or Console(highlight=False, soft_wrap=True)
    for line in lines(student, results, instructor):
        console.print(Text(printable(line)))  # Text: no markup

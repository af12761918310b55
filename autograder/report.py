"""Writing grades: Gradescope's results.json per student and one grades.csv, atomically.

A file is written to a temporary name in the same folder, flushed to disk and renamed over
the old one, so an interrupted run leaves either the old file or the new one, never half.

What only the instructor may read (the inputs of failed hidden checks, the run's submissions
folder) goes under OUT/.instructor (`INSTRUCTOR`), never into a student's results.json.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class TestResult:
    function: str
    name: str
    max_score: float
    passed: bool = False
    output: str = ""
    hidden: bool = False
    score: float = 0.0  # what the check earned under kit.scoring (a passed property can earn less than max_score)


@dataclass
class SubmissionResult:
    student: str
    assignment: str
    functions: list[str]
    tests: list[TestResult] = field(default_factory=list)
    problem: str | None = None
    notes: list[str] = field(default_factory=list)
    execution_time: float = 0.0
    extra: dict = field(default_factory=dict)
    # check name -> {"dtype", "message", "input"} of each failed hidden check: the instructor's file only
    instructor: dict = field(default_factory=dict)

    @property
    def score(self) -> float:
        return round(sum(t.score for t in self.tests), 4)

    @property
    def max_score(self) -> float:
        return round(sum(t.max_score for t in self.tests), 4)

    def function_scores(self) -> dict[str, float]:
        return {f: round(sum(t.score for t in self.tests if t.function == f), 4) for f in self.functions}

    def summary(self) -> str:
        lines = [f"Assignment {self.assignment}: {self.score:g} / {self.max_score:g} points."]
        if self.problem:
            lines.append(f"Could not grade the submission: {self.problem}")
        per_function = self.function_scores()
        lines.append(" | ".join(f"{f} {per_function[f]:g}/{self.function_max(f):g}" for f in self.functions))
        lines += self.notes
        return "\n".join(lines)

    def function_max(self, function: str) -> float:
        return round(sum(t.max_score for t in self.tests if t.function == function), 4)

    def to_gradescope(self) -> dict:
        return {
            "score": self.score,
            "execution_time": round(self.execution_time, 3),
            "output": self.summary(),
            "visibility": "visible",
            "stdout_visibility": "hidden",
            "tests": [
                {
                    "name": t.name,
                    "score": round(t.score, 4),
                    "max_score": round(t.max_score, 4),
                    "status": "passed" if t.passed else "failed",
                    "output": t.output,
                    "visibility": "visible",
                    **({"tags": ["hidden"]} if t.hidden else {}),
                }
                for t in self.tests
            ],
            "extra_data": {"assignment": self.assignment, "student": self.student, **self.extra},
        }


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_results(out: Path, result: SubmissionResult) -> Path:
    path = out / result.student / "results.json"
    write_atomically(path, json.dumps(result.to_gradescope(), indent=2) + "\n")
    return path


INSTRUCTOR = ".instructor"  # OUT/.instructor: a dot-folder, so no student folder is ever named so (grade.student_folders)


def one_component(student: str) -> str:
    """`student` if it names one entry of a folder: a student id can never lead a path out of its folder."""
    if not student or student in (".", "..") or "/" in student or "\0" in student:
        raise ValueError(f"not a student id: {student!r}")
    return student


def instructor_path(out: Path, student: str) -> Path:
    """OUT/.instructor/students/<student>/hidden.json: laid out as OUT/<student>/results.json (an id is a
    folder name, so it fits one), under students/ so that no id can name OUT/.instructor/run.json."""
    return out / INSTRUCTOR / "students" / one_component(student) / "hidden.json"


def run_path(out: Path) -> Path:
    return out / INSTRUCTOR / "run.json"


def write_instructor(out: Path, result: SubmissionResult) -> Path:
    """The failed hidden checks' inputs of one student, for `python -m autograder show` alone."""
    path = instructor_path(out, result.student)
    record = {"student": result.student, "fingerprint": result.extra.get("fingerprint", ""), "hidden_failures": result.instructor}
    write_atomically(path, json.dumps(record, indent=2) + "\n")
    return path


def read_results(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what makes a spreadsheet read a cell as a formula


def spreadsheet_text(text: str) -> str:
    """`text` as a CSV cell no spreadsheet runs: one that would start a formula gets a leading '.

    A carriage return becomes a line feed: the writer quotes a cell with a line feed (its line
    terminator) but not one with a bare CR, which readers take for the end of the row, so that
    `a\\r=1+2` would start a row, and a cell, with a formula.
    """
    return ("'" + text if text.startswith(FORMULA_STARTS) else text).replace("\r", "\n")


def write_grades_csv(out: Path, functions: list[str], rows: dict[str, dict]) -> Path:
    """One row per student: the points per graded function and the total.

    Student ids are folder names, chosen by whoever made the folder: `=1+2` or `@SUM(1+1)`
    would be formulas in every spreadsheet, so such an id is written as `'=1+2`.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([spreadsheet_text(cell) for cell in ("student", *functions, "total")])
    for student in sorted(rows):
        scores = rows[student].get("extra_data", {}).get("function_scores", {})
        writer.writerow([spreadsheet_text(student), *(f"{scores.get(f, 0.0):g}" for f in functions), f"{rows[student]['score']:g}"])
    path = out / "grades.csv"
    write_atomically(path, buffer.getvalue())
    return path

"""The gradebook (OUT/grades.csv) against student folders named to break it.

A folder named `grades.csv` is refused (OUT/grades.csv is the gradebook's place) while every
other student is graded; ids that a spreadsheet would run as formulas are written behind a '.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.grade import refused_folders, student_folders
from autograder.report import write_grades_csv
from kit.catalog import ASSIGNMENTS, ROOT, SOLUTIONS

FORMULAS = ["=1+2", "@SUM(1+1)", "+1+2", "-1+2", "\t=1+2", "\r=1+2"]


def read_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def written(name: str) -> str:
    """How a student id reads back from grades.csv: behind a ' if it would start a formula; a CR as a line feed."""
    return ("'" + name if name[:1] in "=+-@\t\r" else name).replace("\r", "\n")


def test_ids_that_start_a_formula_are_written_behind_a_quote(tmp_path):
    names = [*FORMULAS, "alice", "a=b", "a\r=1+2", "a\n=1+2"]  # a CR inside would start a new row, with a formula
    rows = {name: {"score": 1.5, "extra_data": {"function_scores": {"softmax": 1.5}}} for name in names}
    table = read_rows(write_grades_csv(tmp_path, ["softmax"], rows))
    assert table[0] == ["student", "softmax", "total"]
    students = {row[0] for row in table[1:]}
    assert len(table) == len(names) + 1 and students == {written(name) for name in names}
    assert "'=1+2" in students and "'\n=1+2" in students and "a\n=1+2" in students
    assert all(row[1:] == ["1.5", "1.5"] for row in table[1:])
    assert not [cell for row in table for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_a_folder_named_like_the_gradebook_is_refused_in_any_case(tmp_path):
    for name in ("alice", "grades.csv", "Grades.CSV", ".hidden", "=1+2"):
        (tmp_path / name).mkdir()
    assert [p.name for p in student_folders(tmp_path)] == ["=1+2", "alice"]
    assert refused_folders(tmp_path) == ["Grades.CSV", "grades.csv"]


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
def test_the_cli_grades_everyone_else_and_keeps_the_gradebook_a_file(tmp_path):
    """Before: OUT/grades.csv/results.json made the gradebook a folder, and the run died with IsADirectoryError."""
    submissions, out = tmp_path / "submissions", tmp_path / "out"
    for name, source in [("alice", SOLUTIONS / "softmax.py"), ("grades.csv", SOLUTIONS / "softmax.py"), ("=1+2", ASSIGNMENTS / "02" / "softmax.py")]:
        (submissions / name).mkdir(parents=True)
        shutil.copy(source, submissions / name / "softmax.py")
    for name in FORMULAS[1:]:  # no softmax.py: graded at once, 0 points
        (submissions / name).mkdir()
    config = tmp_path / "fast-grader.toml"
    config.write_text("[grader]\nexamples = 2\nhidden_examples = 2\n")
    command = [sys.executable, "-m", "autograder", "grade", "--assignment", "02", "--submissions", str(submissions),
               "--out", str(out), "--jobs", "1", "--config", str(config)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 1, result.stderr  # not every submission was graded
    assert "refused student folder 'grades.csv'" in result.stderr
    assert "graded 7, unchanged 0, refused 1 ('grades.csv')" in result.stdout
    assert (out / "grades.csv").is_file()
    table = read_rows(out / "grades.csv")
    by_student = {row[0]: row for row in table[1:]}
    assert set(by_student) == {"alice", *map(written, FORMULAS)}
    assert by_student["alice"][-1] == "10" and by_student["'=1+2"][-1] == "0"
    assert json.loads((out / "=1+2" / "results.json").read_text())["extra_data"]["student"] == "=1+2"  # the layout is unchanged
    assert sorted(p.name for p in out.iterdir()) == sorted(["alice", "grades.csv", "report.html", ".instructor", *FORMULAS])

"""Finding a student's submission and turning it into one module file, or a clear reason why not.

Only the assignment's module (or an nbgrader notebook of it) is read; anything else in the
student's folder is ignored and never executed. Reading happens in the trusted grader, which
parses but never runs what it reads.
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

MAGIC = re.compile(r"^\s*[%!]")


@dataclass(frozen=True)
class Submission:
    student: str
    source: str | None  # the module's source, ready to stage
    problem: str | None  # why it cannot be graded, for the student
    digest: str  # identifies what was submitted, for resuming


def _read_regular_file(path: Path, max_bytes: int) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError("not a regular file")
        data = os.read(fd, max_bytes + 1)
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise OverflowError
    return data


def notebook_to_source(data: bytes) -> str:
    """The code of an nbgrader notebook: its solution cells (all code cells if none are marked)."""
    import nbformat

    notebook = nbformat.reads(data.decode("utf-8"), as_version=4)
    cells = [c for c in notebook.cells if c.cell_type == "code"]
    marked = [c for c in cells if c.get("metadata", {}).get("nbgrader", {}).get("solution")]
    chosen = marked or [c for c in cells if not c.get("metadata", {}).get("nbgrader", {}).get("grade")]
    lines = [line for cell in chosen for line in (cell.source + "\n").splitlines() if not MAGIC.match(line)]
    return "\n".join(lines) + "\n"


def find(student_dir: Path, module: str, max_kb: int) -> Submission:
    student = student_dir.name
    py, notebook = student_dir / f"{module}.py", student_dir / f"{module}.ipynb"

    def problem(text: str, raw: bytes = b"") -> Submission:
        return Submission(student, None, text, hashlib.sha256(text.encode() + raw).hexdigest())

    path = py if (py.exists() or py.is_symlink()) else notebook if (notebook.exists() or notebook.is_symlink()) else None
    if path is None:
        others = sorted(p.name for p in student_dir.glob("*.py")) + sorted(p.name for p in student_dir.glob("*.ipynb"))
        found = f" (found {', '.join(others[:3])}: is this the right assignment?)" if others else ""
        return problem(f"{module}.py not found in the submission{found}")
    if path.is_symlink():
        return problem(f"{path.name} is a symbolic link; submit the file itself")
    try:
        raw = _read_regular_file(path, max_kb * 1024)
    except OverflowError:
        return problem(f"{path.name} is larger than {max_kb} KB")
    except OSError as error:
        return problem(f"{path.name} cannot be read ({error.strerror or error})")
    if not raw.strip():
        return problem(f"{path.name} is empty", raw)
    try:
        text = raw.decode("utf-8-sig")  # a byte-order mark (Windows editors) is valid Python source
    except UnicodeDecodeError as error:
        return problem(f"{path.name} is not UTF-8 text (byte {error.start})", raw)
    if path.suffix == ".ipynb":
        try:
            text = notebook_to_source(raw)
        except Exception as error:  # nbformat raises many kinds (ValidationError, RecursionError, ...)
            return problem(f"{path.name} is not a readable notebook ({type(error).__name__})", raw)
    what = f"{module}.py" if path.suffix == ".py" else f"{path.name} (its code cells)"
    try:
        ast.parse(text, filename=f"{module}.py")
    except SyntaxError as error:
        if error.lineno is None:  # e.g. null bytes
            return problem(f"{what} cannot be parsed: {error.msg}", raw)
        return problem(f"{what} has a syntax error on line {error.lineno}: {error.msg}", raw)
    except (ValueError, RecursionError, MemoryError) as error:  # null bytes; nesting too deep for the parser
        return problem(f"{what} cannot be parsed: {error or type(error).__name__}", raw)
    return Submission(student, text, None, hashlib.sha256(text.encode()).hexdigest())

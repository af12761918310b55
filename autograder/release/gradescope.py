"""Gradescope autograder bundles: `<out>/<NN>/autograder.zip`, one per assignment.

The zip follows Gradescope's autograder specification: `setup.sh` and `run_autograder` at
its root, next to what the grader needs, laid out as in the kit so that the kit's own
autograder runs unchanged from /autograder/source: kit/, autograder/ (this assignment's
hidden tests only), solutions/ (this assignment's only), every assignment's public record
(grader.toml names them all), datasets/, grader.toml and pyproject.toml.
"""

from __future__ import annotations

import shutil
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from autograder.release.common import copy_files, selected, write_text, write_zip
from kit.catalog import ASSIGNMENTS, ROOT, assignment_ids, load_assignment, public_test_file

TEMPLATES = Path(__file__).with_name("templates")
SANDBOX_MODES = ("auto", "require", "off")


@dataclass
class Bundle:
    assignment: str
    zip: Path
    files: list[str]


def _requirement(name: str, root: Path = ROOT) -> str:
    """`name`'s pinned requirement in pyproject.toml (dependencies first, then the extras)."""
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    candidates = [*project.get("dependencies", []), *(r for extra in project.get("optional-dependencies", {}).values() for r in extra)]
    for requirement in candidates:
        if requirement.split(";")[0].strip().lower().startswith(name):
            rest = requirement[len(name) :].lstrip()
            if not rest or rest[0] in "=<>!~[":
                return requirement.split("#")[0].strip()
    return name


def scripts(assignment_id: str, sandbox: str = "auto") -> dict[str, str]:
    """setup.sh and run_autograder for one assignment."""
    if sandbox not in SANDBOX_MODES:
        raise ValueError(f"sandbox must be one of {', '.join(SANDBOX_MODES)}, not {sandbox!r}")
    setup = (TEMPLATES / "setup.sh").read_text(encoding="utf-8")
    setup = setup.replace("@TORCH@", _requirement("torch")).replace("@NBFORMAT@", _requirement("nbformat"))
    run = (TEMPLATES / "run_autograder").read_text(encoding="utf-8")
    run = run.replace("@ASSIGNMENT@", assignment_id).replace("@SANDBOX@", sandbox)
    return {"setup.sh": setup, "run_autograder": run}


def _populate(stage: Path, assignment_id: str, sandbox: str) -> None:
    module = load_assignment(assignment_id).module
    copy_files(ROOT / "kit", stage / "kit")
    copy_files(ROOT / "autograder", stage / "autograder", skip=("hidden",))
    (stage / "autograder" / "hidden").mkdir(parents=True, exist_ok=True)
    for name in ("__init__.py", f"{module}.py"):  # this assignment's hidden tests only
        if (ROOT / "autograder" / "hidden" / name).is_file():
            shutil.copy2(ROOT / "autograder" / "hidden" / name, stage / "autograder" / "hidden" / name)
    (stage / "solutions").mkdir()
    for name in ("__init__.py", f"{module}.py"):  # this assignment's solution only
        shutil.copy2(ROOT / "solutions" / name, stage / "solutions" / name)
    for other in assignment_ids():  # grader.toml is checked against every assignment's record
        record = public_test_file(other)
        target = stage / "assignments" / other / record.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(record, target)
    copy_files(ASSIGNMENTS / assignment_id, stage / "assignments" / assignment_id)
    copy_files(ROOT / "datasets", stage / "datasets")
    for name in ("grader.toml", "pyproject.toml"):
        shutil.copy2(ROOT / name, stage / name)
    for name, text in scripts(assignment_id, sandbox).items():
        write_text(stage / name, text, executable=True)


def build(out: Path, assignment_ids_: list[str] | None = None, sandbox: str = "auto") -> list[Bundle]:
    """Write `out/<NN>/autograder.zip` for each chosen assignment."""
    bundles = []
    for assignment_id in selected(assignment_ids_):
        staging = Path(tempfile.mkdtemp(prefix=".gradescope.", dir=out if out.is_dir() else None))
        try:
            _populate(staging, assignment_id, sandbox)
            zip_path = write_zip(staging, out / assignment_id / "autograder.zip")
            files = sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file())
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        bundles.append(Bundle(assignment_id, zip_path, files))
    return bundles

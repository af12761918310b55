"""Gradescope bundles: unpacked into an /autograder-like folder, run_autograder writes a valid results.json."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest

from autograder import sandbox
from autograder.release import gradescope
from kit.catalog import ASSIGNMENTS, SOLUTIONS, assignment_ids, load_assignment

SCHEMA = json.loads((Path(__file__).parent / "gradescope_results.schema.json").read_text())


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> gradescope.Bundle:
    (built,) = gradescope.build(tmp_path_factory.mktemp("gradescope"), ["02"])
    return built


def test_zip_follows_gradescopes_layout_and_holds_only_this_assignments_secrets(bundle):
    assert bundle.zip.name == "autograder.zip" and bundle.zip.parent.name == "02"
    with zipfile.ZipFile(bundle.zip) as archive:
        names = set(archive.namelist())
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
    assert {"setup.sh", "run_autograder", "grader.toml", "pyproject.toml"} <= names  # at the root, no folder around them
    assert modes["run_autograder"] & stat.S_IXUSR and modes["setup.sh"] & stat.S_IXUSR
    assert {"solutions/softmax.py", "autograder/hidden/softmax.py", "assignments/02/test_softmax.py", "kit/harness.py", "autograder/grade.py"} <= names
    others = [load_assignment(i).module for i in assignment_ids() if i != "02"]
    assert not [n for n in names if n.startswith(("solutions/", "autograder/hidden/")) and Path(n).stem in others]
    assert all(f"assignments/{i}/{p.name}" in names for i in assignment_ids() for p in (ASSIGNMENTS / i).glob("test_*.py"))
    assert not [n for n in names if "__pycache__" in n or n.startswith(("tests/", ".git"))]


def test_scripts_are_valid_bash(bundle, tmp_path):
    with zipfile.ZipFile(bundle.zip) as archive:
        archive.extractall(tmp_path)
    for script in ("setup.sh", "run_autograder"):
        assert subprocess.run(["bash", "-n", str(tmp_path / script)], capture_output=True).returncode == 0
    setup = (tmp_path / "setup.sh").read_text()
    assert '"torch==2.13.0"' in setup and "download.pytorch.org/whl/cpu" in setup and "bubblewrap" in setup
    assert 'KIT_SANDBOX="${KIT_SANDBOX:-auto}"' in (tmp_path / "run_autograder").read_text()


def autograder_root(bundle: gradescope.Bundle, where: Path, submission: dict[str, bytes]) -> Path:
    """The layout Gradescope builds: source/ (the unpacked zip), run_autograder, submission/, results/."""
    root = where / "autograder"
    with zipfile.ZipFile(bundle.zip) as archive:
        archive.extractall(root / "source")
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    (root / "run_autograder").chmod(0o755)
    for relative, data in submission.items():
        (root / "submission" / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / "submission" / relative).write_bytes(data)
    (root / "results").mkdir()
    return root


def run_autograder(root: Path, fake_bwrap: Path | None = None, **env: str) -> tuple[dict, subprocess.CompletedProcess]:
    """Run the unpacked run_autograder as Gradescope would (AUTOGRADER_ROOT instead of /autograder)."""
    environment = {k: v for k, v in os.environ.items() if k != "KIT_SANDBOX"}
    environment |= {"AUTOGRADER_ROOT": str(root), "KIT_PYTHON": sys.executable, **env}
    if fake_bwrap is not None:
        environment["PATH"] = f"{fake_bwrap}{os.pathsep}{environment['PATH']}"
    process = subprocess.run([str(root / "run_autograder")], cwd=root, env=environment, capture_output=True, text=True, timeout=600)
    assert process.returncode == 0, process.stdout[-3000:] + process.stderr[-3000:]
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, SCHEMA)
    return results, process


def failing_bwrap(where: Path) -> Path:
    """A bwrap that fails as it does in a container without user namespaces."""
    where.mkdir()
    (where / "bwrap").write_text("#!/bin/sh\necho 'bwrap: No permissions to creating new namespace' >&2\nexit 1\n")
    (where / "bwrap").chmod(0o755)
    return where


def test_solution_gets_full_marks_in_the_sandbox_from_the_bundles_own_code(bundle, tmp_path):
    try:
        sandbox.check_available()
    except sandbox.SandboxUnavailable as error:
        pytest.skip(f"bubblewrap cannot start here: {error}")
    root = autograder_root(bundle, tmp_path, {"my-repo/src/softmax.py": (SOLUTIONS / "softmax.py").read_bytes()})
    results, process = run_autograder(root)
    assert f"kit at {root / 'source'}" in process.stdout  # graded by the bundle, not by this checkout
    assert results["score"] == 10 and all(t["status"] == "passed" for t in results["tests"])
    assert results["extra_data"]["sandbox"] is True and "sandbox_unavailable" not in results["extra_data"]
    assert results["extra_data"]["submission_file"] == "my-repo/src/softmax.py"
    assert any("hidden" in t.get("tags", []) for t in results["tests"])


def test_without_bubblewrap_it_grades_in_the_unprivileged_tier_and_records_it(bundle, tmp_path):
    """As in Gradescope's containers, where user namespaces are off: bwrap fails, the unprivileged tier grades."""
    try:
        sandbox.check_unprivileged()
    except sandbox.SandboxUnavailable as error:
        pytest.skip(f"the unprivileged tier cannot start here: {error}")
    root = autograder_root(bundle, tmp_path, {"softmax.py": (SOLUTIONS / "softmax.py").read_bytes()})
    results, process = run_autograder(root, failing_bwrap(tmp_path / "bin"))
    assert "grading in the unprivileged sandbox" in process.stdout
    assert results["score"] == 10 and all(t["status"] == "passed" for t in results["tests"])
    extra = results["extra_data"]
    assert extra["sandbox"] is True and extra["sandbox_tier"] == "unprivileged" and "No permissions" in extra["sandbox_unavailable"]
    assert extra["sandbox_parts"]["seccomp"] is True and extra["sandbox_parts"]["landlock_abi"] == sandbox.landlock_abi()
    assert "WITHOUT the sandbox" not in results["output"]


def _no_sandbox_starts(monkeypatch) -> None:
    def unavailable(*_):
        raise sandbox.SandboxUnavailable("no namespaces, no Landlock, no user of its own")

    monkeypatch.setattr(sandbox, "check_available", unavailable)
    monkeypatch.setattr(sandbox, "check_unprivileged", unavailable)


def test_where_no_sandbox_starts_it_grades_unsandboxed_and_says_so(bundle, tmp_path, monkeypatch):
    from autograder.release import gradescope_run

    _no_sandbox_starts(monkeypatch)
    root = autograder_root(bundle, tmp_path, {"softmax.py": (ASSIGNMENTS / "02" / "softmax.py").read_bytes()})
    results = gradescope_run.grade(root, "02", "auto", 0.0)
    assert results["score"] == 0 and results["tests"] and all(t["status"] == "failed" for t in results["tests"])
    assert results["extra_data"]["sandbox"] is False and "no Landlock" in results["extra_data"]["sandbox_unavailable"]
    assert results["extra_data"]["sandbox_tier"] == "none" and "WITHOUT the sandbox" in results["output"]


def test_a_missing_submission_still_gets_a_results_json(bundle, tmp_path):
    root = autograder_root(bundle, tmp_path, {"notes.txt": b"forgot the file", "softmax_v2.py": b"x = 1\n"})
    results, _ = run_autograder(root, KIT_SANDBOX="off")
    assert results["score"] == 0 and "softmax.py not found" in results["output"] and "softmax_v2.py" in results["output"]


def test_require_mode_refuses_without_running_student_code(tmp_path, monkeypatch):
    from autograder.release import gradescope_run

    _no_sandbox_starts(monkeypatch)
    (built,) = gradescope.build(tmp_path / "out", ["02"], sandbox="require")
    marker = tmp_path / "ran"
    code = f"open({str(marker)!r}, 'w').close()\n" + (SOLUTIONS / "softmax.py").read_text()
    root = autograder_root(built, tmp_path, {"softmax.py": code.encode()})
    results = gradescope_run.grade(root, "02", "require", 0.0)
    assert results["score"] == 0 and results["tests"] == [] and "sandbox" in results["output"]
    assert "no Landlock" in results["extra_data"]["sandbox_unavailable"] and not marker.exists()

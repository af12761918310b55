"""Where assignments live and how their modules are loaded."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from kit import forbidden
from kit.spec import Assignment

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = ROOT / "assignments"
SOLUTIONS = ROOT / "solutions"


class LoadError(Exception):
    """A module could not be loaded; the message is meant for the person who wrote it."""


def load_module(path: Path, name: str | None = None) -> ModuleType:
    """Import the file at `path` under a unique name, turning every failure into `LoadError`."""
    path = Path(path)
    if not path.is_file():
        raise LoadError(f"{path.name} not found")
    name = name or f"kit_loaded_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        del sys.modules[name]
        raise LoadError(f"{path.name} has a syntax error on line {error.lineno}: {error.msg}") from None
    except Exception as error:
        del sys.modules[name]
        from kit.harness import describe_error

        raise LoadError(f"{path.name} failed to import: {describe_error(error, str(path))}") from None
    return module


def assignment_ids() -> list[str]:
    return sorted(p.name for p in ASSIGNMENTS.iterdir() if p.is_dir() and p.name.isdigit())


def public_test_file(assignment_id: str) -> Path:
    files = sorted((ASSIGNMENTS / assignment_id).glob("test_*.py"))
    if not files:
        raise LoadError(f"assignment {assignment_id} has no public test file")
    return files[0]


_specs: dict[str, Assignment] = {}


def load_assignment(assignment_id: str) -> Assignment:
    """The `ASSIGNMENT` record declared in the assignment's public test file."""
    if assignment_id not in _specs:
        if not (ASSIGNMENTS / assignment_id).is_dir():
            raise LoadError(f"no assignment {assignment_id!r}; known: {', '.join(assignment_ids())}")
        module = load_module(public_test_file(assignment_id), f"kit_spec_{assignment_id}")
        _specs[assignment_id] = forbidden.judged(module.ASSIGNMENT)  # its calls judged by what they run
    return _specs[assignment_id]

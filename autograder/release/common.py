"""What the three release builds share: choosing assignments, copying sources, writing zips."""

from __future__ import annotations

import os
import shutil
import stat
import zipfile
from collections.abc import Iterable
from pathlib import Path

from kit.catalog import ROOT, LoadError, assignment_ids

# Never copied anywhere: caches and editor droppings.
JUNK_DIRS = {"__pycache__", ".hypothesis", ".pytest_cache", ".ipynb_checkpoints", ".ruff_cache", ".mypy_cache"}
JUNK_SUFFIXES = {".pyc", ".pyo", ".swp"}
JUNK_NAMES = {".DS_Store", "Thumbs.db"}
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so the same sources give the same zip bytes


def selected(ids: Iterable[str] | None) -> list[str]:
    """The assignments to publish: those asked for (checked), else every one the kit has."""
    known = assignment_ids()
    if not ids:
        return known
    chosen = []
    for raw in ids:
        assignment_id = raw.zfill(2) if raw.isdigit() else raw
        if assignment_id not in known:
            raise LoadError(f"no assignment {raw!r}; known: {', '.join(known)}")
        if assignment_id not in chosen:
            chosen.append(assignment_id)
    return chosen


def is_junk(path: Path) -> bool:
    return bool(JUNK_DIRS & set(path.parts)) or path.suffix in JUNK_SUFFIXES or path.name in JUNK_NAMES


def copy_files(source: Path, target: Path, skip: Iterable[str] = ()) -> list[Path]:
    """Copy the regular files under `source` to `target`, without junk or the names in `skip`.

    Symbolic links are refused: a link could point anywhere, solutions included.
    """
    skip = set(skip)
    copied = []
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if is_junk(relative) or relative.parts[0] in skip or relative.as_posix() in skip:
            continue
        if path.is_symlink():
            raise OSError(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} is a symbolic link; releases hold regular files only")
        if path.is_file():
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)
            copied.append(destination)
    return copied


def write_text(path: Path, text: str, executable: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if executable:
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def write_zip(folder: Path, zip_path: Path, prefix: str = "") -> Path:
    """Zip `folder`'s files under `prefix` (none: at the root), reproducibly, keeping execute bits."""
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    temporary = zip_path.with_name(f".{zip_path.name}.tmp")
    with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if not path.is_file() or path.is_symlink():
                continue
            name = (Path(prefix) / path.relative_to(folder)).as_posix() if prefix else path.relative_to(folder).as_posix()
            info = zipfile.ZipInfo(name, ZIP_TIME)
            mode = 0o755 if os.access(path, os.X_OK) else 0o644
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    os.replace(temporary, zip_path)
    return zip_path


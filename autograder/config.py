"""grader.toml: read, checked key by key, and turned into typed settings.

Every mistake is reported as one clear line naming the key (with a suggestion for a typo),
never as a traceback.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import torch

from kit.spec import Tolerance


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class GraderSettings:
    seed: int = 20261125
    examples: int = 20
    hidden_examples: int = 30
    jobs: int = 2
    forbidden_api: str = "zero"


@dataclass(frozen=True)
class LimitSettings:
    test_seconds: float = 20.0
    startup_seconds: float = 30.0
    memory_mb: int = 4096
    cpu_seconds: int = 300
    processes: int = 64
    file_mb: int = 16
    open_files: int = 64
    submission_kb: int = 512


@dataclass(frozen=True)
class AssignmentSettings:
    points: dict[str, float] = field(default_factory=dict)
    tolerance: dict[torch.dtype, Tolerance] = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    grader: GraderSettings = GraderSettings()
    limits: LimitSettings = LimitSettings()
    assignments: dict[str, AssignmentSettings] = field(default_factory=dict)
    source: str = "defaults"


CHOICES = {"forbidden_api": ("zero", "warn")}
DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32, "float64": torch.float64}


def _unknown(key: str, known: list[str], where: str) -> ConfigError:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(known)})"
    return ConfigError(f"{where}: unknown key {key!r}{hint}")


def _section(cls: type, table: Any, where: str):
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    types = {f.name: f.type for f in fields(cls)}
    values = {}
    for key, value in table.items():
        if key not in types:
            raise _unknown(key, list(types), where)
        expected = {"int": int, "float": float, "str": str}[types[key]]
        if expected is float and type(value) is int:
            value = float(value)
        if type(value) is not expected:
            raise ConfigError(f"{where}.{key} must be {'a number' if expected is float else 'an integer' if expected is int else 'a string'}, not {value!r}")
        if expected in (int, float) and value <= 0 and key != "seed":
            raise ConfigError(f"{where}.{key} must be positive, not {value!r}")
        if key in CHOICES and value not in CHOICES[key]:
            raise ConfigError(f"{where}.{key} must be one of {', '.join(map(repr, CHOICES[key]))}, not {value!r}")
        values[key] = value
    return cls(**values)


def _assignment(assignment_id: str, table: Any, known_functions: dict[str, list[str]]) -> AssignmentSettings:
    where = f"assignments.{assignment_id}"
    if assignment_id not in known_functions:
        raise _unknown(assignment_id, sorted(known_functions), "assignments")
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    points, tolerance = {}, {}
    for key, value in table.items():
        if key == "points":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}.points must be a table of function = points")
            for name, pts in value.items():
                if name not in known_functions[assignment_id]:
                    raise _unknown(name, known_functions[assignment_id], f"{where}.points")
                if type(pts) not in (int, float) or pts < 0:
                    raise ConfigError(f"{where}.points.{name} must be a number >= 0, not {pts!r}")
                points[name] = float(pts)
        elif key == "tolerance":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}.tolerance must be a table of dtype tables")
            for dtype, tol in value.items():
                if dtype not in DTYPES:
                    raise _unknown(dtype, list(DTYPES), f"{where}.tolerance")
                if not isinstance(tol, dict) or set(tol) != {"rtol", "atol"} or not all(type(v) in (int, float) and v >= 0 for v in tol.values()):
                    raise ConfigError(f"{where}.tolerance.{dtype} must be {{rtol = number, atol = number}}")
                tolerance[DTYPES[dtype]] = Tolerance(float(tol["rtol"]), float(tol["atol"]))
        else:
            raise _unknown(key, ["points", "tolerance"], where)
    return AssignmentSettings(points, tolerance)


def parse(text: str, known_functions: dict[str, list[str]], source: str = "grader.toml") -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{source} is not valid TOML: {error}") from None
    for key in data:
        if key not in ("grader", "limits", "assignments"):
            raise _unknown(key, ["grader", "limits", "assignments"], source)
    assignments = data.get("assignments", {})
    if not isinstance(assignments, dict):
        raise ConfigError("assignments must be a table")
    return Config(
        grader=_section(GraderSettings, data.get("grader", {}), "grader"),
        limits=_section(LimitSettings, data.get("limits", {}), "limits"),
        assignments={k: _assignment(k, v, known_functions) for k, v in assignments.items()},
        source=source,
    )


def load(path: Path, known_functions: dict[str, list[str]]) -> Config:
    if not path.is_file():
        raise ConfigError(f"{path} not found")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path} cannot be read: {error}") from None
    return parse(text, known_functions, str(path))

"""What a student reads about one function's failed public checks: one short block, the same in
pytest (kit.pytest_plugin) and in a notebook's self-check cell (kit.notebook).

A function still raising the stub's NotImplementedError gets one line (in pytest, its row
of the points table says "not started" instead); any other gets its first failing check (the message, the smallest failing input, the hint) and a count of the
rest. Every failure in full, once per check and dtype, is what `pytest -v` is for.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from kit.harness import CheckFailed


def dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def failure_block(function: str, failures: Sequence[tuple[torch.dtype, CheckFailed]], rest: str = "") -> list[str]:
    """The lines about one function's failures (in the order they ran); [] for none.

    `rest`: where to read the failures left out ("pytest -v lists them all").
    """
    if not failures:
        return []
    if all(error.not_started for _, error in failures):
        return [f"{function}: not started (it raises NotImplementedError)"]
    dtype, first = next((d, e) for d, e in failures if not e.not_started)
    lines = [f"{function}: FAILED {first.check.name} [{dtype_name(dtype)}]", f"  {first.message}"]
    if first.example:
        lines.append(f"  smallest failing input: {first.example}")
    if hint := first.check.hint_for(first.message):
        lines.append(f"  hint: {hint}")
    others = len({error.check.name for _, error in failures} - {first.check.name})
    if others:
        lines.append(f"  and {others} more failing check{'s' if others > 1 else ''}{f' ({rest})' if rest else ''}")
    return lines


PUBLIC_ONLY = "These are the public tests only; the grade also includes hidden tests."

"""Plausible wrong implementations ("mutants") that the grading tests must catch.

Each mutant is the reference solution with one edit: a text replacement inside one graded
function. It is built from the solution at test time, so it stays self-contained (it can be
graded in the sandbox like a real submission) and cannot drift from the solution. Building
one fails loudly when its edit no longer applies.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from kit.catalog import SOLUTIONS


@dataclass(frozen=True)
class Mutant:
    assignment: str
    module: str
    function: str  # the graded function that must lose points
    name: str
    old: str  # text inside `function`'s source in the solution
    new: str

    @property
    def id(self) -> str:
        return f"{self.assignment}-{self.name}"

    def source(self) -> str:
        solution = (SOLUTIONS / f"{self.module}.py").read_text()
        node = next(n for n in ast.parse(solution).body if isinstance(n, ast.FunctionDef) and n.name == self.function)
        lines = solution.splitlines(keepends=True)
        start, end = node.lineno - 1, node.end_lineno
        body = "".join(lines[start:end])
        if body.count(self.old) != 1:
            raise ValueError(f"mutant {self.id}: {self.old!r} occurs {body.count(self.old)} times in {self.function}()")
        return "".join(lines[:start]) + body.replace(self.old, self.new) + "".join(lines[end:])

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.module}.py"
        path.write_text(self.source())
        return path


MUTANTS = [
    # 02 softmax regression
    Mutant("02", "softmax", "softmax", "no_max_subtraction",
           "shifted = X - X.amax(dim=dim, keepdim=True)", "shifted = X"),
    Mutant("02", "softmax", "softmax", "wrong_dim",
           "exps / exps.sum(dim=dim, keepdim=True)", "exps / exps.sum(dim=0, keepdim=True)"),
    Mutant("02", "softmax", "log_softmax", "log_of_softmax",
           "return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()",
           "return (shifted.exp() / shifted.exp().sum(dim=dim, keepdim=True)).log()"),
    Mutant("02", "softmax", "cross_entropy", "mean_instead_of_sum",
           'return losses.sum() if reduction == "sum" else losses.mean()', "return losses.mean()"),
    Mutant("02", "softmax", "cross_entropy", "off_by_one_target",
           "gather(1, target.unsqueeze(1))", "gather(1, (target.unsqueeze(1) + 1) % logits.shape[1])"),
    Mutant("02", "softmax", "softmax", "hard_coded_float32",
           "return exps / exps.sum(dim=dim, keepdim=True)",
           "return (exps / exps.sum(dim=dim, keepdim=True)).float()"),
    Mutant("02", "softmax", "softmax", "hard_coded_cpu",
           "shifted = X - X.amax(dim=dim, keepdim=True)",
           "shifted = X - X.amax(dim=dim, keepdim=True) + torch.zeros(X.shape, dtype=X.dtype)"),
    Mutant("02", "softmax", "cross_entropy", "modifies_logits",
           "log_p = log_softmax(logits, dim=1)", "log_p = log_softmax(logits.sub_(0.5), dim=1)"),
    Mutant("02", "softmax", "accuracy", "argmax_over_batch",
           "logits.argmax(dim=1)", "logits.argmax(dim=0)[: len(target)]"),
]

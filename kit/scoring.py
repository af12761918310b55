"""The scoring rule, in one place: what a function earns from the checks it passed.

A function's points are split over its checks by weight. Correctness checks (the default)
compare its outputs with a trusted answer: code that does nothing cannot pass them. Gated
checks (`Check.gated`: inputs unchanged, any device, CUDA agrees with the CPU, invariances,
"is 0 when ...") are properties such code can satisfy, so each pays its share only as far
as the function is correct: times the fraction of the function's correctness points it
earned. A function that returns None, zeros, its input or noise earns nothing; a correct
one earns everything. A function that ran a forbidden routine on any call earns nothing. The students' pytest summary, the autograder, the nbgrader notebooks
and the Gradescope bundles all score with `earned`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kit.spec import Check

GATED_NOTE = "property checks earn their points once the function returns correct values"


@dataclass(frozen=True)
class Scored:
    """One check's verdict and what it earned."""

    check: Check
    passed: bool
    maximum: float  # the check's share of the function's points
    points: float  # what it earned under the rule

    @property
    def held_back(self) -> bool:
        """A passed property that earned less than its share, because the function is not (fully) correct."""
        return self.passed and self.points < self.maximum - 1e-9


def correct_fraction(verdicts: Sequence[tuple[Check, bool]]) -> float:
    """The fraction of the function's correctness points (by weight) that it earned; 0 when it has none."""
    total = sum(c.weight for c, _ in verdicts if not c.gated)
    return sum(c.weight for c, ok in verdicts if ok and not c.gated) / total if total else 0.0


def earned(points: float, verdicts: Sequence[tuple[Check, bool]], ran_forbidden: bool = False) -> list[Scored]:
    """Each of one function's checks, in order, with the points it earned out of `points`.

    A function any of whose calls ran a forbidden routine (kit.forbidden) earns nothing.
    """
    if ran_forbidden:
        verdicts = [(c, False) for c, _ in verdicts]
    total = sum(c.weight for c, _ in verdicts)
    fraction = correct_fraction(verdicts)
    scored = []
    for check, passed in verdicts:
        share = points * check.weight / total if total else 0.0
        scored.append(Scored(check, passed, share, share * (fraction if check.gated else 1.0) if passed else 0.0))
    return scored


def held_back_note(item: Scored) -> str:
    """Why a passed property earned less than its share: for the student's feedback."""
    return f"Passed, but earns {item.points:.2g} of {item.maximum:.2g} points: {GATED_NOTE}."

"""Hidden tests, one module per assignment module name. Never shipped to students.

Each module defines `HIDDEN: dict[str, tuple[Check, ...]]`, extra checks per graded function
(edge cases the public tests do not show). Every deterministic function is also compared
with its reference solution on freshly drawn inputs, without any entry here.
"""

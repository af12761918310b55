"""Student stubs are generated from the solutions, so the two can never drift apart.

A solution marks each body with `### BEGIN SOLUTION` / `### END SOLUTION` (nbgrader's
markers); the stub keeps everything else (signature, docstring) and raises instead.

    python -m kit.stubs          # rewrite every assignments/NN/<module>.py
    python -m kit.stubs --check  # fail if any stub is out of date
"""

from __future__ import annotations

import re
import sys

from kit.catalog import ASSIGNMENTS, SOLUTIONS, assignment_ids, load_assignment

SOLUTION_BLOCK = re.compile(r"^(?P<indent>[ \t]*)### BEGIN SOLUTION\n.*?^[ \t]*### END SOLUTION[ \t]*\n", re.S | re.M)


def make_stub(solution_source: str) -> str:
    def replace(match: re.Match) -> str:
        return f'{match["indent"]}raise NotImplementedError("TODO: implement this function")\n'

    return SOLUTION_BLOCK.sub(replace, solution_source)


def main(argv: list[str]) -> int:
    stale = []
    for assignment_id in assignment_ids():
        module = load_assignment(assignment_id).module
        stub_path = ASSIGNMENTS / assignment_id / f"{module}.py"
        stub = make_stub((SOLUTIONS / f"{module}.py").read_text())
        if stub_path.exists() and stub_path.read_text() == stub:
            continue
        stale.append(stub_path)
        if "--check" not in argv:
            stub_path.write_text(stub)
            print(f"wrote {stub_path.relative_to(ASSIGNMENTS.parent)}")
    if "--check" in argv and stale:
        print("out of date (run python -m kit.stubs):", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

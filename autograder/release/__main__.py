"""python -m autograder.release student|nbgrader|gradescope --out DIR [--assignment NN ...]

Also `python -m autograder.release check PATH`: the leak check alone, on a release folder or zip.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder import config as grader_config
from kit.catalog import LoadError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.release", description="Publish the kit: a student release, an nbgrader course, Gradescope autograders.")
    commands = parser.add_subparsers(dest="command", required=True)
    helps = {
        "student": "a folder and a zip for students: stubs, public tests, the kit's pytest plugin, data sets, READMEs (leak-checked)",
        "nbgrader": "an nbgrader course folder: nbgrader_config.py and source/<module>/<module>.ipynb",
        "gradescope": "one Gradescope autograder.zip per assignment, in DIR/NN/",
    }
    for name, text in helps.items():
        command = commands.add_parser(name, help=text, description=text)
        command.add_argument("--out", required=True, type=Path, help="where to write")
        command.add_argument("--assignment", action="append", metavar="NN", help="only this assignment (repeatable; default: all)")
        if name == "gradescope":
            command.add_argument("--sandbox", choices=("auto", "require", "off"), default="auto", help="when bubblewrap cannot start on Gradescope: grade without it and record that (auto), refuse (require), never try (off)")
    check = commands.add_parser("check", help="run the leak check on a student release folder or zip")
    check.add_argument("path", type=Path)
    args = parser.parse_args(argv)

    from autograder.release import leaks

    try:
        if args.command == "check":
            files = leaks.read_zip(args.path) if args.path.suffix == ".zip" else leaks.read_folder(args.path)
            accepted = leaks.check(files)
            _report_accepted(accepted)
            print(f"no leaks in {args.path} ({len(files)} files)")
        elif args.command == "student":
            from autograder.release import student

            release = student.build(args.out, args.assignment)
            _report_accepted(release.acknowledged)
            if release.shared:
                print("hidden-test code that public files also hold, not treated as secret: " + "; ".join(s.source for s in release.shared))
            print(f"student release of assignments {', '.join(release.assignments)}: {release.folder} ({release.files} files) and {release.zip}; no leaks")
        elif args.command == "nbgrader":
            from autograder.release import nbgrader_course

            course = nbgrader_course.build(args.out, args.assignment)
            for assignment_id, path in course.notebooks.items():
                print(f"{assignment_id}: {path} ({course.points[assignment_id]:g} points)")
            print(f"nbgrader course in {args.out}: run `nbgrader generate_assignment <name>` there (with the kit's .venv/bin on PATH)")
        else:
            from autograder.release import gradescope

            for bundle in gradescope.build(args.out, args.assignment, args.sandbox):
                print(f"{bundle.assignment}: {bundle.zip} ({len(bundle.files)} files)")
    except leaks.LeakError as error:
        print(f"autograder.release: {error}", file=sys.stderr)
        return 1
    except (LoadError, grader_config.ConfigError, ValueError, OSError) as error:
        print(f"autograder.release: {error}", file=sys.stderr)
        return 2
    return 0


def _report_accepted(accepted: list) -> None:
    for leak, reason in accepted:
        print(f"acknowledged (shown on purpose): {leak} -- {reason}")


if __name__ == "__main__":
    sys.exit(main())

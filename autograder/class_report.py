"""The instructor's view of a graded class: OUT/report.html and a short terminal summary.

Everything comes from OUT alone: every OUT/<student>/results.json and the run file the
grader leaves in OUT/.instructor/run.json (the submissions folder, refused folders, internal
errors). The submissions folder is read again only for the similarity section, and only if
it is still where the run found it. The hidden checks' inputs (OUT/.instructor/students/)
are never read here: the report shows what a hidden check did to the class, never what it sent.

The page is one self-contained file: plots are inline SVG drawn by matplotlib, the styles
are inline, there is no script and nothing is fetched. Student code is hostile, and so is
every string that comes from a student (folder names, outputs, notes, error messages): each
is HTML-escaped where it is written.
"""

from __future__ import annotations

import io
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from autograder import report, similarity
from autograder.submissions import find
from kit.catalog import ASSIGNMENTS, LoadError, load_assignment

SLOWEST = 5  # submissions named in the slowest list
MOST_PAIRS = 200  # similar pairs listed in the report (the count says how many more)
FAILING_INPUT = re.compile(r"^Failing input: (.*)$", re.MULTILINE)


@dataclass
class ClassResults:
    """A graded class as OUT holds it."""

    out: Path
    assignment: str
    functions: list[str]
    maxima: dict[str, float]  # function -> its points
    results: dict[str, dict]  # student -> results.json
    run: dict = field(default_factory=dict)  # OUT/.instructor/run.json, {} where there is none

    @property
    def total(self) -> float:
        return round(sum(self.maxima.values()), 4)

    def problem(self, student: str) -> str | None:
        return self.results[student].get("extra_data", {}).get("problem")

    def function_scores(self, student: str) -> dict[str, float]:
        return self.results[student].get("extra_data", {}).get("function_scores", {})


class NoResults(Exception):
    """OUT holds no graded submission: one clear line for the CLI."""


def load(out: Path) -> ClassResults:
    """Every readable OUT/<student>/results.json (dot-folders and links are never students)."""
    if not out.is_dir():
        raise NoResults(f"{out} is not a folder of graded results")
    results = {}
    for folder in sorted(out.iterdir()):
        if folder.name.startswith(".") or folder.is_symlink() or not folder.is_dir():
            continue
        found = report.read_results(folder / "results.json")
        if isinstance(found, dict):
            results[folder.name] = found
    run = report.read_results(report.run_path(out)) or {}
    if isinstance(run.get("students"), list):  # the class of the last run, as grades.csv has it (OUT may keep others' results)
        students = set(run["students"])
        results = {s: r for s, r in results.items() if s in students}
    assignment = run.get("assignment") or next((r.get("extra_data", {}).get("assignment") for r in results.values()), None)
    if assignment is None:
        raise NoResults(f"no results.json in {out}: grade the class first (python -m autograder grade)")
    try:
        functions = [f.name for f in load_assignment(assignment).functions]
    except LoadError:
        functions = list(dict.fromkeys(f for r in results.values() for f in r.get("extra_data", {}).get("function_scores", {})))
    maxima = {f: float(p) for f, p in (run.get("points") or {}).items() if f in functions}  # grader.toml's points, as applied
    for r in results.values():  # else summed from a result's checks (each rounded to 4 places there)
        tests = r.get("tests") or []
        if tests and len(maxima) < len(functions):
            maxima = {f: round(sum(t.get("max_score", 0.0) for t in tests if t.get("name", "").split(":")[0] == f), 2) for f in functions}
    return ClassResults(out, assignment, functions, maxima, results, run)


# ---------------------------------------------------------------- statistics


@dataclass(frozen=True)
class FunctionStats:
    function: str
    points: float
    mean: float
    full: int  # students at full marks
    zero: int  # students at 0
    students: int


def function_stats(data: ClassResults) -> list[FunctionStats]:
    """Per graded function, over every student in grades.csv (those that could not be graded count, at what they got)."""
    found = []
    for f in data.functions:
        scores = [float(data.function_scores(s).get(f, 0.0)) for s in data.results]
        points = data.maxima.get(f, 0.0)
        full = sum(1 for x in scores if points > 0 and x >= points - 1e-3)  # the per-check scores are rounded to 4 places
        zero = sum(1 for x in scores if x <= 1e-9)
        found.append(FunctionStats(f, points, statistics.fmean(scores) if scores else 0.0, full, zero, len(scores)))
    return found


@dataclass(frozen=True)
class CheckStats:
    name: str
    function: str
    hidden: bool
    failed: int
    graded: int  # students whose submission could be graded
    example: str | None  # public checks: the shortest failing input a student was shown (hypothesis shrinks it)
    message: str | None  # public checks: the most common first line of their feedback
    example_count: int = 0  # students shown that input


def check_stats(data: ClassResults) -> list[CheckStats]:
    """Per check, the share of the graded submissions that failed it: hidden checks by their rate only."""
    graded = [s for s in data.results if data.problem(s) is None]
    order: dict[str, dict] = {}
    for student in graded:
        for test in data.results[student].get("tests", []):
            entry = order.setdefault(test.get("name", "?"), {"hidden": "hidden" in test.get("tags", []), "failed": 0, "outputs": []})
            if test.get("status") != "passed":
                entry["failed"] += 1
                entry["outputs"].append(str(test.get("output", "")))
    found = []
    for name, entry in order.items():
        example = message = None
        count = 0
        if not entry["hidden"] and entry["outputs"]:  # a hidden check's output says passed or failed, nothing to show
            shown = {m.group(1): output for output in entry["outputs"] if (m := FAILING_INPUT.search(output))}
            if shown:  # the smallest input, with what that student was told about it
                example = min(shown, key=lambda text: (len(text), text))
                count = sum(1 for output in entry["outputs"] if f"Failing input: {example}\n" in output + "\n")
                message = shown[example].splitlines()[0]
            else:  # not started, a forbidden routine, a crash: the most common reason
                message = Counter(output.splitlines()[0] if output else "" for output in entry["outputs"]).most_common(1)[0][0]
        found.append(CheckStats(name, name.split(":")[0], entry["hidden"], entry["failed"], len(graded), example, message, count))
    return found


def not_graded(data: ClassResults) -> list[tuple[str, str]]:
    """(student, why) of every submission that could not be graded, refused or failed the grader itself."""
    found = [(s, str(data.problem(s))) for s in data.results if data.problem(s) is not None]
    found += [(name, "refused: a student folder may not be named like a file the grader writes in OUT") for name in data.run.get("refused", [])]
    found += [(name, f"internal error of the grader, not recorded (re-run to retry): {why}") for name, why in sorted(data.run.get("errors", {}).items())]
    return found


def forbidden_flags(data: ClassResults) -> list[tuple[str, str, str]]:
    """(student, function, what was flagged): routines its code names (static) or that its calls ran."""
    found = []
    for student, r in data.results.items():
        extra = r.get("extra_data", {})
        for function, uses in sorted((extra.get("forbidden") or {}).items()):
            found.append((student, function, "code uses " + ", ".join(map(str, uses))))
        for function, message in sorted((extra.get("ran_forbidden") or {}).items()):
            found.append((student, function, str(message)))
    return found


def times(data: ClassResults) -> list[tuple[str, float]]:
    """(student, seconds) of every graded submission, slowest first."""
    return sorted(((s, float(r.get("execution_time", 0.0))) for s, r in data.results.items()), key=lambda item: (-item[1], item[0]))


@dataclass
class Similarity:
    pairs: list[similarity.Pair]
    compared: int
    left_out: list[tuple[str, str]]  # (student, why)
    unavailable: str | None = None  # why the section could not be computed at all


def similar_submissions(data: ClassResults) -> Similarity:
    """Read the submissions again from the folder the run graded (OUT/.instructor/run.json), if it is still there."""
    where = data.run.get("submissions")
    if not where:
        return Similarity([], 0, [], "the run did not record its submissions folder (graded before this report existed?)")
    submissions = Path(where)
    if not submissions.is_dir():
        return Similarity([], 0, [], f"the submissions folder {where} is gone: re-run with it in place to compare submissions")
    try:
        assignment = load_assignment(data.assignment)
    except LoadError as error:
        return Similarity([], 0, [], str(error))
    stub = similarity.units((ASSIGNMENTS / data.assignment / f"{assignment.module}.py").read_text(encoding="utf-8"))
    normalised, left_out = {}, []
    for student, r in data.results.items():
        folder = submissions / student
        if folder.is_symlink() or not folder.is_dir():
            left_out.append((student, "its folder is no longer in the submissions folder"))
            continue
        submission = find(folder, assignment.module, int(data.run.get("submission_kb", 512)))
        if submission.problem is not None:
            left_out.append((student, submission.problem))
            continue
        if submission.digest != r.get("extra_data", {}).get("submission_sha256"):
            left_out.append((student, "changed since it was graded"))
            continue
        try:
            found = similarity.units(submission.source or "", stub)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
            left_out.append((student, f"cannot be parsed ({type(error).__name__})"))
            continue
        if not found:
            left_out.append((student, "nothing started: every function is the stub's"))
            continue
        normalised[student] = found
    return Similarity(similarity.similar_pairs(normalised), len(normalised), left_out)


# ---------------------------------------------------------------- plots


def _svg(figure) -> str:
    """The figure as inline SVG: no XML prolog, no metadata, text drawn as paths (no fonts to fetch)."""
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Creator": None, "Date": None, "Format": None, "Type": None})
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _plots():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    matplotlib.rcParams.update({"svg.fonttype": "path", "svg.hashsalt": "kit-class-report", "font.size": 9})
    return plt


def score_histogram(data: ClassResults) -> str:
    plt = _plots()
    scores = [float(r.get("score", 0.0)) for r in data.results.values()]
    figure, axes = plt.subplots(figsize=(6, 2.6))
    top = max(data.total, max(scores, default=0.0), 1e-9)
    bins = [top * i / 20 for i in range(21)]
    axes.hist(scores, bins=bins, color="#3b6ea8", edgecolor="white")
    axes.set_xlim(0, top)
    axes.set_xlabel(f"total points (out of {data.total:g})")
    axes.set_ylabel("students")
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure)


def time_histogram(data: ClassResults) -> str:
    plt = _plots()
    seconds = [s for _, s in times(data)]
    figure, axes = plt.subplots(figsize=(6, 2.2))
    axes.hist(seconds, bins=20, color="#7a7a7a", edgecolor="white")
    axes.set_xlabel("seconds per submission")
    axes.set_ylabel("students")
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure)


# ---------------------------------------------------------------- HTML


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _share(count: int, of: int) -> str:
    return f"{100 * count / of:.0f}% ({count}/{of})" if of else "-"


def _table(head: list[str], rows: list[list[str]], attributes: list[str] | None = None) -> str:
    """`rows` are HTML already (escape what you put in them); `head` is plain text (none: a table of names and values)."""
    cells = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join(f"<tr{attributes[i] if attributes else ''}>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for i, row in enumerate(rows))
    return f"<table>{f'<thead><tr>{cells}</tr></thead>' if head else ''}<tbody>{body}</tbody></table>"


STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 70em; padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0; } td, th { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
code, pre { font-family: ui-monospace, monospace; font-size: 0.9em; white-space: pre-wrap; overflow-wrap: anywhere; }
.note { color: #555; } .hidden { color: #8a5a00; }
"""


def render(data: ClassResults, similar: Similarity) -> str:
    """The whole page; every value that may come from a student goes through `_e`."""
    graded = [s for s in data.results if data.problem(s) is None]
    scores = [float(r.get("score", 0.0)) for r in data.results.values()]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Assignment {_e(data.assignment)}: class report</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>Assignment {_e(data.assignment)}: class report</h1>",
        f"<p>{len(data.results)} students in grades.csv, {len(graded)} graded, {len(data.results) - len(graded)} could not be graded. "
        f"Mean {statistics.fmean(scores) if scores else 0:.2f}, median {statistics.median(scores) if scores else 0:.2f} "
        f"of {data.total:g} points.</p>",
    ]

    parts.append('<h2 id="scores">Scores</h2>')
    parts.append(f'<figure class="plot" id="score-histogram">{score_histogram(data)}</figure>' if scores else "<p>No scores.</p>")

    parts.append('<h2 id="functions">Per graded function</h2>')
    parts.append('<p class="note">Over every student in grades.csv.</p>')
    stats = function_stats(data)
    parts.append(_table(
        ["function", "points", "mean", "full marks", "zero"],
        [[f"<code>{_e(s.function)}</code>", f"{s.points:g}", f"{s.mean:.2f}", _share(s.full, s.students), _share(s.zero, s.students)] for s in stats],
        [f' data-function="{_e(s.function)}"' for s in stats],
    ))

    parts.append('<h2 id="checks">Per check</h2>')
    parts.append(f'<p class="note">Failure rate over the {len(graded)} submissions that could be graded. Public checks show the smallest '
                 "failing input a student was shown (hypothesis shrinks it); hidden checks show their rate only.</p>")
    rows, attributes = [], []
    for c in check_stats(data):
        shown = ""
        if c.hidden:
            shown = '<span class="hidden">hidden check: inputs not shown</span>'
        elif c.example is not None:
            shown = f"<code>{_e(c.example)}</code> <span class=\"note\">({c.example_count} student(s))</span>"
        if c.message and not c.hidden:
            shown += ("<br>" if shown else "") + f"<span class=\"note\">{_e(c.message)}</span>"
        rows.append([f"<code>{_e(c.name)}</code>", _share(c.failed, c.graded), shown])
        attributes.append(f' data-check="{_e(c.name)}"')
    parts.append(_table(["check", "failed", "failing example (public checks)"], rows, attributes))

    parts.append('<h2 id="not-graded">Not graded</h2>')
    missing = not_graded(data)
    if missing:
        parts.append(_table(["student", "why"], [[f"<code>{_e(s)}</code>", _e(why)] for s, why in missing],
                            [f' data-student="{_e(s)}"' for s, _ in missing]))
    else:
        parts.append("<p>Every submission was graded.</p>")

    parts.append('<h2 id="forbidden">Forbidden routines</h2>')
    flags = forbidden_flags(data)
    modes = Counter(r.get("extra_data", {}).get("forbidden_api", "") for r in data.results.values() if r.get("extra_data", {}).get("forbidden"))
    if flags:
        mode = ", ".join(sorted(m for m in modes if m)) or "zero"
        parts.append(f'<p class="note">forbidden_api = {_e(mode)}: "zero" gives the function 0 points, "warn" only reports.</p>')
        parts.append(_table(["student", "function", "flagged"], [[f"<code>{_e(s)}</code>", f"<code>{_e(f)}</code>", _e(what)] for s, f, what in flags]))
    else:
        parts.append("<p>No submission named or ran a forbidden routine.</p>")

    parts.append('<h2 id="similar">Similar submissions</h2>')
    parts.append(_similarity_html(similar))

    parts.append('<h2 id="grader">Grader</h2>')
    sandboxed = Counter(bool(r.get("extra_data", {}).get("sandbox", True)) for r in data.results.values())
    fingerprints = Counter(str(r.get("extra_data", {}).get("fingerprint", "")) for r in data.results.values())
    inputs = Counter(str(r.get("extra_data", {}).get("inputs_id", "")) for r in data.results.values())
    tiers = {str(r.get("extra_data", {}).get("sandbox_tier", "bubblewrap")) for r in data.results.values() if r.get("extra_data", {}).get("sandbox", True)}
    tier = f"sandboxed ({', '.join(sorted(tiers))})"  # bubblewrap, or the unprivileged tier where it could not start
    mode = tier if not sandboxed[False] else "WITHOUT the sandbox (--no-sandbox)" if not sandboxed[True] else "mixed"
    parts.append(_table([], [
        ["sandbox", f"{_e(mode)}: {sandboxed[True]} sandboxed, {sandboxed[False]} without"],
        ["grader fingerprint", "<br>".join(f"<code>{_e(f)}</code> ({n} student(s))" for f, n in fingerprints.most_common())],
        ["drawn inputs", "<br>".join(f"<code>{_e(i)}</code> ({n} student(s))" for i, n in inputs.most_common())],
        ["submissions folder", f"<code>{_e(data.run.get('submissions', 'not recorded'))}</code>"],
    ]))

    parts.append('<h2 id="time">Time per submission</h2>')
    timed = times(data)
    if timed:
        seconds = [s for _, s in timed]
        parts.append(f"<p>Mean {statistics.fmean(seconds):.2f} s, median {statistics.median(seconds):.2f} s, "
                     f"total {sum(seconds):.1f} s of grading (workers run side by side).</p>")
        parts.append(f'<figure class="plot" id="time-histogram">{time_histogram(data)}</figure>')
        parts.append(_table(["slowest", "seconds", "sandbox start"], [
            [f"<code>{_e(s)}</code>", f"{t:.2f}", f"{float(data.results[s].get('extra_data', {}).get('startup_seconds', 0.0)):.2f}"]
            for s, t in timed[:SLOWEST]
        ]))
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _similarity_html(similar: Similarity) -> str:
    if similar.unavailable is not None:
        return f"<p>Not compared: {_e(similar.unavailable)}.</p>"
    lines = [
        f'<p class="note">Pairs to look at, not a verdict. The functions both students started are compared after dropping comments, '
        f"docstrings, formatting and annotations and renaming every local name; &quot;alike&quot; is the share of their runs of "
        f"{similarity.SHINGLE} tokens found in both. Listed from {similarity.THRESHOLD:.0%} over at least {similarity.MIN_TOKENS} tokens. "
        f"Short, canonical code is alike in honest work too. {similar.compared} submissions compared.</p>"
    ]
    if similar.pairs:
        shown = similar.pairs[:MOST_PAIRS]
        lines.append(_table(["first", "second", "alike", "identical functions", "compared functions"], [
            [f"<code>{_e(p.first)}</code>", f"<code>{_e(p.second)}</code>", f"{p.ratio:.0%}", _e(", ".join(p.identical) or "-"), _e(", ".join(p.compared))]
            for p in shown
        ], [f' data-pair="{_e(p.first)}|{_e(p.second)}"' for p in shown]))
        if len(similar.pairs) > len(shown):
            lines.append(f"<p>and {len(similar.pairs) - len(shown)} more pairs.</p>")
    else:
        lines.append("<p>No pair reaches the threshold.</p>")
    if similar.left_out:
        lines.append("<p>Left out of the comparison:</p>")
        lines.append(_table(["student", "why"], [[f"<code>{_e(s)}</code>", _e(why)] for s, why in similar.left_out]))
    return "\n".join(lines)


# ---------------------------------------------------------------- writing and the terminal


def write(out: Path) -> tuple[Path, ClassResults, Similarity]:
    """Build OUT/report.html from OUT (atomically: a reader never sees half a page)."""
    data = load(out)
    similar = similar_submissions(data)
    path = out / "report.html"
    report.write_atomically(path, render(data, similar))
    return path, data, similar


def print_summary(data: ClassResults, similar: Similarity, path: Path, console=None) -> None:
    """A short rich table for the end of `grade`: the class at a glance, the report for the rest."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text as RichText

    from autograder.show import printable

    def text(value: str) -> RichText:  # plain text, no markup, control characters as escapes: it may be a student's
        return RichText(printable(value))

    console = console or Console(highlight=False)
    scores = [float(r.get("score", 0.0)) for r in data.results.values()]
    graded = [s for s in data.results if data.problem(s) is None]
    table = Table(title=f"Assignment {data.assignment}: {len(graded)} of {len(data.results)} students graded")
    for column in ("function", "points", "mean", "full marks", "zero"):
        table.add_column(column, justify="left" if column == "function" else "right")
    for s in function_stats(data):
        table.add_row(text(s.function), f"{s.points:g}", f"{s.mean:.2f}", _share(s.full, s.students), _share(s.zero, s.students))
    if scores:
        table.add_row(text("total"), f"{data.total:g}", f"{statistics.fmean(scores):.2f}", f"median {statistics.median(scores):.2f}", "")
    console.print(table)
    missing = not_graded(data)
    if missing:
        console.print(text(f"not graded: {len(missing)} (" + ", ".join(s for s, _ in missing[:5]) + (", ..." if len(missing) > 5 else "") + ")"))
    slowest = times(data)[:3]
    if slowest:
        console.print(text("slowest: " + ", ".join(f"{s} {t:.1f} s" for s, t in slowest)))
    if similar.unavailable is None:
        console.print(text(f"similar pairs to look at: {len(similar.pairs)}"))
    console.print(text(f"class report: {path}"))

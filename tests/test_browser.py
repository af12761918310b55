"""The students' JupyterLab path and the instructor's report.html, in a real headless browser.

Debian's `chromium` (setup.sh installs it with apt) driven by Playwright's sync API through
`executable_path`: nothing is downloaded at test time. One student release of assignment 02
with the reference solution in place of the stub (so the summary reads 10.0/10), served by
JupyterLab on 127.0.0.1 with a random token; the notebook is opened, run with Run > Run All
Cells, and its points summary read from the page. `report.html` of the instructor's class
(tests/instructor.py) is opened from disk and every plot must have rendered. A screenshot of
each goes to $KIT_ARTEFACTS, else out/screenshots/.

Without chromium, Playwright or JupyterLab these tests skip, saying what is missing, except
under KIT_REQUIRE_BROWSER=1 (CI sets it: .ci/run), where they fail instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder.release import student, student_notebook
from kit.catalog import ROOT, SOLUTIONS, load_assignment

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
ARTEFACTS = Path(os.environ.get("KIT_ARTEFACTS") or ROOT / "out" / "screenshots")
STARTUP_S = 180  # JupyterLab's start on a slow, busy machine: generous, but a dead server fails at once
RUN_S = 240  # kernel start + `pytest assignments/02` in the notebook
NBGRADER_SERVER = ("formgrader", "validate_assignment", "assignment_list", "course_list")


def unavailable(why: str) -> None:
    """Skip, or fail where the browser tests must run (KIT_REQUIRE_BROWSER=1, as in CI)."""
    if os.environ.get("KIT_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{why} (KIT_REQUIRE_BROWSER=1: the browser tests must run; ./setup.sh installs what they need)")
    pytest.skip(why)


def find_chromium() -> str | None:
    explicit = os.environ.get("KIT_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    return next((path for path in map(shutil.which, CHROMIUM_NAMES) if path), None)


@pytest.fixture(scope="module")
def browser():
    chromium = find_chromium()
    if chromium is None:
        unavailable("no chromium found (Debian: `apt-get install chromium`, which ./setup.sh does; or set KIT_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed (`pip install -e '.[dev]'`, which ./setup.sh does)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, headless=True)
        try:
            yield launched
        finally:
            launched.close()


def artefact(name: str) -> Path:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    return ARTEFACTS / name


@contextlib.contextmanager
def evidence_on_failure(page, name: str) -> Iterator[None]:
    """On failure, keep a screenshot and the page's text beside the artefacts, then re-raise."""
    for stale in (artefact(f"{name}-failed.png"), artefact(f"{name}-failed.txt")):
        stale.unlink(missing_ok=True)
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            page.screenshot(path=str(artefact(f"{name}-failed.png")), timeout=30_000)
            artefact(f"{name}-failed.txt").write_text(page.locator("body").inner_text(timeout=30_000), encoding="utf-8")
        raise


# ---------------------------------------------------------------- JupyterLab


@dataclass(frozen=True)
class Lab:
    url: str
    token: str
    release: Path
    log: Path

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def descendants(pid: int) -> set[int]:
    """Every process below `pid` (JupyterLab's kernels start in their own sessions: killpg misses them)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def stop(server: subprocess.Popen) -> None:
    """Stop JupyterLab and everything it started (kernels, their pytest), whatever state it is in."""
    below = descendants(server.pid)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)  # JupyterLab shuts its kernels down on SIGTERM
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
    deadline = time.monotonic() + 10
    while (left := [pid for pid in below if alive(pid)]) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def isolated_jupyter(home: Path) -> dict[str, str]:
    """Jupyter's config, data and runtime folders of this test only, set up as a student's would be:
    no nbgrader (the kit's environment has it, a student's has not) and no news prompt over the page."""
    config, settings = home / "config", home / "settings" / "@jupyterlab" / "apputils-extension"
    (config / "labconfig").mkdir(parents=True)
    (config / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": {f"nbgrader.server_extensions.{e}": False for e in NBGRADER_SERVER}}})
    )
    (config / "labconfig" / "page_config.json").write_text(json.dumps({"disabledExtensions": {"@jupyter/nbgrader": True}}))
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_"))}
    env.update(JUPYTER_CONFIG_DIR=str(config), JUPYTER_DATA_DIR=str(home / "data"), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               IPYTHONDIR=str(home / "ipython"))
    return env


@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory) -> Iterator[Lab]:
    """JupyterLab (this environment's, as a student's `jupyter lab` after the set-up) on a release of 02 with the solution in."""
    try:
        import jupyterlab  # noqa: F401
    except ImportError:
        unavailable("jupyterlab is not installed (`pip install -e '.[dev]'`, which ./setup.sh does)")
    out = tmp_path_factory.mktemp("lab-release")
    release = student.build(out, ["02"]).folder
    shutil.copy(SOLUTIONS / "softmax.py", release / "assignments" / "02" / "softmax.py")
    home = tmp_path_factory.mktemp("jupyter")
    port, token, log = free_port(), secrets.token_hex(24), home / "jupyterlab.log"
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={release}",
        f"--LabApp.workspaces_dir={home / 'workspaces'}", f"--LabApp.user_settings_dir={home / 'settings'}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if os.geteuid() == 0:
        command.append("--ServerApp.allow_root=True")  # CI runs as root
    with open(log, "wb") as sink:
        server = subprocess.Popen(command, cwd=release, env=isolated_jupyter(home), stdout=sink, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, start_new_session=True)
    found = Lab(f"http://127.0.0.1:{port}", token, release, log)
    try:
        deadline = time.monotonic() + STARTUP_S
        status = urllib.request.Request(f"{found.url}/api/status", headers={"Authorization": f"token {token}"})
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited with status {server.returncode} before serving:\n{found.log_tail()}")
            try:
                with urllib.request.urlopen(status, timeout=10) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer on {found.url} within {STARTUP_S} s:\n{found.log_tail()}")
            time.sleep(0.25)
        yield found
    finally:
        stop(server)
        with contextlib.suppress(OSError):
            shutil.copy(log, artefact("jupyterlab.log"))


# The check cell's output, once its summary table is printed to the end (the bottom right corner). Cells
# off screen are in the page too (JupyterLab's default windowing mode, contentVisibility, only skips painting them).
SUMMARY_PRINTED = """() => [...document.querySelectorAll('.jp-OutputArea-output')]
  .some(o => /Assignment 02: .*\\n[\\s\\S]*total[\\s\\S]*┘/.test(o.textContent))"""
# The kernel is up: Run All before that clears the cells instead of running them.
KERNEL_IDLE = ".jp-Notebook-ExecutionIndicator[data-status='idle']"


# Every code cell ran: the last one's prompt shows its execution count, "[2]:", not "[ ]:" or "[*]:".
EVERY_CELL_RAN = """() => {
  const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
  return prompts.length > 0 && /\\[\\d+\\]/.test(prompts[prompts.length - 1].textContent);
}"""


def test_notebook_runs_its_self_check_in_jupyterlab(browser, lab):
    assignment = load_assignment("02")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        with evidence_on_failure(page, "notebook-02"):
            page.goto(f"{lab.url}/lab/tree/{student_notebook.relative_path(assignment)}?token={lab.token}", timeout=RUN_S * 1000)
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=STARTUP_S * 1000)
            page.wait_for_selector(".jp-Notebook .jp-MarkdownCell h1:has-text('Assignment 02')", timeout=STARTUP_S * 1000)
            page.wait_for_selector(KERNEL_IDLE, state="attached", timeout=RUN_S * 1000)
            page.click(".lm-MenuBar-itemLabel:text-is('Run')")
            page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
            page.wait_for_function(SUMMARY_PRINTED, timeout=RUN_S * 1000, polling=500)
            output = page.locator(".jp-OutputArea-output", has_text="Assignment 02:").first
            text = output.text_content()
            rows = {m[1]: m[2] for m in re.finditer(r"│ (\w+)\s*│[^│]*│\s*([\d.]+/\d+) │", text)}
            assert rows == {"softmax": "3.0/3", "log_softmax": "3.0/3", "cross_entropy": "3.0/3", "accuracy": "1.0/1", "total": "10.0/10"}, text
            assert "45 passed" in text and "failed" not in text, text
            page.wait_for_function(EVERY_CELL_RAN, timeout=RUN_S * 1000, polling=500)  # Run All stops at a cell that raises
            assert not [t for t in page.locator(".jp-OutputArea-output").all_text_contents() if "Traceback" in t]
            output.scroll_into_view_if_needed()
            page.screenshot(path=str(artefact("notebook-02.png")))
    finally:
        page.close()


# ---------------------------------------------------------------- report.html

PLOTS = """() => {
  const images = [...document.images].map(i => ({what: 'img ' + (i.alt || i.src.slice(0, 40)), w: i.naturalWidth, h: i.naturalHeight, done: i.complete}));
  const svgs = [...document.querySelectorAll('svg')].filter(s => !s.parentElement.closest('svg')).map(s => {
    const box = s.getBoundingClientRect();
    return {what: 'svg ' + (s.id || s.getAttribute('aria-label') || ''), w: box.width, h: box.height, done: true,
            marks: s.querySelectorAll('path, rect, line, polyline, polygon, circle, use, text').length};
  });
  return images.concat(svgs);
}"""


def unrendered(page) -> tuple[list[dict], list[dict]]:
    """(every plot of the page, those that did not render): an <img> not loaded or 0 pixels wide or high,
    an outermost <svg> with an empty box or nothing drawn in it."""
    plots = page.evaluate(PLOTS)
    return plots, [p for p in plots if not (p["done"] and p["w"] > 0 and p["h"] > 0 and p.get("marks", 1) > 0)]


def test_the_plot_check_sees_broken_plots(browser):
    """The check itself, on a page with one good plot of each kind and three broken ones."""
    page = browser.new_page()
    try:
        good_png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
        page.set_content(
            f'<img alt="good" src="data:image/png;base64,{good_png}"><img alt="broken" src="data:image/png;base64,AAAA">'
            '<svg id="good" width="50" height="20"><rect width="50" height="20"/></svg>'
            '<svg id="empty" width="50" height="20"></svg><svg id="flat" width="0" height="0"><rect width="5" height="5"/></svg>'
        )
        plots, broken = unrendered(page)
        assert len(plots) == 5 and sorted(p["what"] for p in broken) == ["img broken", "svg empty", "svg flat"], plots
    finally:
        page.close()


def test_report_plots_render(browser, instructor_class):
    report = instructor_class.out / "report.html"
    assert report.is_file(), f"no {report}"
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    try:
        with evidence_on_failure(page, "report"):
            page.goto(report.as_uri(), wait_until="load", timeout=RUN_S * 1000)
            plots, broken = unrendered(page)
            assert plots, "report.html holds no plot (no <img>, no <svg>)"
            assert not broken, f"plots that did not render: {broken}"
            assert [u for u in requested if not u.startswith(("file:", "data:"))] == [], "report.html fetched from the network"
            page.screenshot(path=str(artefact("report.png")), full_page=True)
    finally:
        page.close()

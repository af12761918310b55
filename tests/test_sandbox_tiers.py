"""The sandbox's two tiers (autograder/sandbox.py): which one a run takes, and what the unprivileged one applies.

The red-team catalogue (tests/test_redteam.py) grades every hostile case in both tiers; these
tests cover the choice itself and the parts a result records."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
import torch

from autograder import sandbox
from kit.calls import Call
from kit.harness import Abort


def _bubblewrap_or_skip() -> None:
    try:
        sandbox.check_available()
    except sandbox.SandboxUnavailable as error:
        pytest.skip(f"bubblewrap cannot start here: {error}")


def _unprivileged_or_skip() -> sandbox.Unprivileged:
    try:
        return sandbox.check_unprivileged()
    except sandbox.SandboxUnavailable as error:
        pytest.skip(f"the unprivileged tier cannot start here: {error}")


def test_auto_takes_bubblewrap_where_it_starts_else_the_unprivileged_tier(monkeypatch):
    if shutil.which("bwrap"):
        assert sandbox.choose_tier("auto") == "bubblewrap"
    _unprivileged_or_skip()

    def no_namespaces():
        raise sandbox.SandboxUnavailable("bubblewrap cannot create a sandbox here: No permissions")

    monkeypatch.setattr(sandbox, "check_available", no_namespaces)
    assert sandbox.choose_tier("auto") == "unprivileged"
    with pytest.raises(sandbox.SandboxUnavailable, match="No permissions"):
        sandbox.choose_tier("bubblewrap")
    with pytest.raises(ValueError):
        sandbox.choose_tier("chroot")


def test_readable_by_needs_every_folder_searchable_and_the_file_readable():
    top = Path(tempfile.mkdtemp())
    try:
        (top / "inner").mkdir()
        secret = top / "inner" / "solution.py"
        secret.write_text("x = 1\n")
        top.chmod(0o755), (top / "inner").chmod(0o755), secret.chmod(0o644)
        assert sandbox.readable_by(secret, 54321, 54321)
        secret.chmod(0o600)
        assert not sandbox.readable_by(secret, 54321, 54321)
        secret.chmod(0o644), (top / "inner").chmod(0o700)
        assert not sandbox.readable_by(secret, 54321, 54321)  # the folder above closes it
        assert sandbox.readable_by(secret, os.getuid(), os.getgid())  # its owner still reads it
    finally:
        shutil.rmtree(top)


def test_the_recorded_parts_say_what_this_machine_applies():
    parts = _unprivileged_or_skip()
    record = parts.record
    assert record["landlock_abi"] == sandbox.landlock_abi() and record["seccomp"] is True
    assert (record["filesystem"] == "landlock") == (sandbox.landlock_abi() >= 1)
    assert record["user"] == parts.user if parts.user else parts.user_note in record["user"]


def test_the_zygote_runs_as_the_sandboxs_user_where_it_can_read_the_runtime():
    parts = _unprivileged_or_skip()
    if parts.user is None:
        pytest.skip(f"the zygote keeps the grader's user here: {parts.user_note}")
    source = "import os\nimport torch\n\n\ndef who(x):\n    return torch.tensor([os.getuid(), os.getgid(), len(os.getgroups())])\n"
    runner = sandbox.SandboxRunner("probe", source, sandbox.Limits(), tier="unprivileged")
    try:
        assert runner.start() is None
        assert runner.run("who", Call((torch.zeros(1),), {}, seed=0), "cpu").output.tolist() == [parts.uid, parts.gid, 0]
    finally:
        runner.close()


@pytest.mark.parametrize("tier", ["bubblewrap", "unprivileged"])
def test_a_child_holds_no_capability(tier):
    """Even where the grader is root and the zygote keeps its user (the runtime under /root), the child holds no
    capability: with CAP_DAC_OVERRIDE it would read a file whatever its modes, with CAP_KILL signal anyone, with
    CAP_SYS_RESOURCE lift its limits. A file it made and closed to everyone shows it."""
    if tier == "bubblewrap":
        _bubblewrap_or_skip()
    else:
        _unprivileged_or_skip()
    source = (
        "import os\nimport torch\n\n\ndef peek(x):\n    with open('closed.txt', 'w') as handle:\n        handle.write('x')\n"
        "    os.chmod('closed.txt', 0)\n    try:\n        open('closed.txt').read()\n    except OSError as error:\n"
        "        return type(error).__name__\n    return 'read it'\n"
    )
    runner = sandbox.SandboxRunner("probe", source, sandbox.Limits(), tier=tier)
    try:
        assert runner.start() is None
        outcome = runner.run("peek", Call((torch.zeros(1),), {}, seed=0), "cpu")
        assert outcome.error is None and outcome.output == "PermissionError", outcome
    finally:
        runner.close()


@pytest.mark.parametrize(("writes", "told"), [
    ("for i in range(16):\n        with open(f'bomb-{i}.bin', 'wb') as handle:\n            handle.write(b'1' * (16 << 20))",
     "wrote more than 64 MB to its scratch folder"),
    ("for i in range(50_000):\n        open(f'empty-{i}', 'w').close()", "made more than 10,000 files in its scratch folder"),
])
def test_outside_bubblewrap_a_child_that_floods_its_scratch_folder_is_killed_and_told_why(writes, told):
    """Without a tmpfs of its own, the unprivileged tier's scratch folder is watched: 256 MB, or 50,000 empty
    files, end the child past the limit; the zygote wipes the folder and the next child starts clean."""
    _unprivileged_or_skip()
    source = f"import os\nimport torch\n\n\ndef flood(x):\n    {writes}\n    return x\n\n\ndef clean(x):\n    return torch.tensor(len(os.listdir('.')))\n"
    runner = sandbox.SandboxRunner("probe", source, sandbox.Limits(scratch_mb=64, call_seconds=60), tier="unprivileged")
    try:
        assert runner.start() is None
        with pytest.raises(Abort, match=told):
            runner.run("flood", Call((torch.zeros(1),), {}, seed=0), "cpu")
        assert runner.run("clean", Call((torch.zeros(1),), {}, seed=0), "cpu").output.item() == 1  # its own probe.py only
    finally:
        runner.close()


def _huge_pages_possible() -> bool:
    """MADV_COLLAPSE (Linux 6.1) with transparent huge pages not switched off."""
    try:
        enabled = Path("/sys/kernel/mm/transparent_hugepage/enabled").read_text()
    except OSError:
        return False
    release = tuple(int(part) for part in re.findall(r"\d+", os.uname().release)[:2])
    return "[never]" not in enabled and release >= (6, 1)


@pytest.mark.parametrize("tier", ["bubblewrap", "unprivileged"])
def test_the_zygote_holds_its_memory_in_huge_pages_where_the_kernel_can(tier):
    """child.collapse_into_huge_pages: forking the zygote then copies a page-table entry per 2 MiB, not per 4 KiB
    (a fork and exit 10-13 -> 3.3 ms on the development machine). Its /proc/self/maps is opened before Landlock
    confines it, else the unprivileged tier could not read it and would silently fork as slowly as before."""
    psutil = pytest.importorskip("psutil")
    if tier == "bubblewrap":
        _bubblewrap_or_skip()
    else:
        _unprivileged_or_skip()
    if not _huge_pages_possible():
        pytest.skip("no MADV_COLLAPSE here (Linux before 6.1, or transparent huge pages off)")
    runner = sandbox.SandboxRunner("probe", "def f(x):\n    return x\n", sandbox.Limits(), tier=tier)
    try:
        assert runner.start() is None
        started = psutil.Process(runner.sandbox.zygote.process.pid)  # bubblewrap, or the zygote itself
        found = {}
        for process in [started, *started.children(recursive=True)]:
            try:
                rollup = Path(f"/proc/{process.pid}/smaps_rollup").read_text()
            except OSError as error:
                pytest.skip(f"cannot read the zygote's memory map here: {error}")
            found[process.pid] = int(re.search(r"AnonHugePages:\s+(\d+) kB", rollup).group(1))
        assert max(found.values()) >= 64 << 10, found  # kB: most of torch's ~150 MB
    finally:
        runner.close()

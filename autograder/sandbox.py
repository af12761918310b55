"""Running one submission in a bubblewrap sandbox, and talking to it in plain data.

The child sees the Python runtime (read-only), the kit's execution helpers, one staged copy
of the submission (read-only) and a small scratch tmpfs: no repository, no solutions, no
hidden tests, no other students, no network, no environment secrets, no new processes. The
parent enforces a wall-clock deadline on every request by killing the whole sandbox, and
validates every frame it reads back.
"""

from __future__ import annotations

import json
import os
import resource
import select
import shutil
import signal
import struct
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from autograder import seccomp
from kit import wire
from kit.calls import Call
from kit.harness import Abort, Outcome, outcome_from_frames

KIT = Path(__file__).resolve().parent.parent / "kit"
CHILD = Path(__file__).resolve().parent / "child.py"
PART = struct.Struct(">Q")
COUNT = struct.Struct(">I")


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here."""


@dataclass(frozen=True)
class Limits:
    startup_seconds: float = 30.0
    call_seconds: float = 20.0
    memory_mb: int = 4096
    cpu_seconds: int = 300
    processes: int = 64
    file_mb: int = 16
    open_files: int = 64
    scratch_mb: int = 64
    frame_mb: int = 64


def _site_dirs() -> list[str]:
    dirs = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    return sorted(d for d in dirs if Path(d).is_dir())


def _sandbox_site_dirs() -> list[str]:
    """Where site-packages appear inside the sandbox: fixed places, never under the scratch /tmp
    (a checkout under /tmp would otherwise be hidden by, or wiped with, the scratch space)."""
    return [f"/runtime/site{i}" for i in range(len(_site_dirs()))]


def _runtime_binds() -> list[str]:
    """Read-only binds for the interpreter, its standard library and site-packages."""
    paths = {"/usr", "/etc/ld.so.cache", "/etc/alternatives", sys.base_prefix}
    args: list[str] = []
    for outside, inside in zip(_site_dirs(), _sandbox_site_dirs(), strict=True):
        args += ["--ro-bind", outside, inside]
    for path in sorted(paths):
        if Path(path).exists() and not path.startswith("/usr/"):
            args += ["--ro-bind", path, path]
    for name in ("bin", "lib", "lib64", "lib32", "sbin"):
        top = Path("/") / name
        if top.is_symlink():
            args += ["--symlink", os.readlink(top), str(top)]
        elif top.is_dir():
            args += ["--ro-bind", str(top), str(top)]
    for device in sorted(Path("/dev").glob("nvidia*")):  # GPUs, where present
        args += ["--dev-bind", str(device), str(device)]
    return args


def check_available() -> None:
    """Raise SandboxUnavailable, saying why, unless a trivial sandbox starts."""
    if shutil.which("bwrap") is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed: run ./setup.sh or `apt-get install bubblewrap`")
    probe = subprocess.run(
        ["bwrap", "--unshare-all", "--die-with-parent", *_runtime_binds(), "--proc", "/proc", "--dev", "/dev", os.path.realpath(sys.executable), "-I", "-S", "-c", "pass"],
        capture_output=True, text=True, timeout=60,
    )
    if probe.returncode != 0:
        raise SandboxUnavailable(f"bubblewrap cannot create a sandbox here: {probe.stderr.strip()[:300]}")


class Zygote:
    """The sandboxed process that has imported torch and forks one child per submission.

    Started once per grading worker (seconds); each submission then costs a fork
    (milliseconds). Anything unexpected (a hang, a malformed frame) kills it whole; the
    next submission starts a new one.
    """

    def __init__(self, limits: Limits, *, isolated: bool = True):
        self.limits = limits
        self.isolated = isolated
        self.process: subprocess.Popen | None = None
        self.scratch: str | None = None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        requests_read, self.requests = os.pipe()
        self.replies, replies_write = os.pipe()
        self._poll = select.poll()  # not select(): it fails on descriptors above 1023
        self._poll.register(self.replies, select.POLLIN)
        keep = [requests_read, replies_write]
        if self.isolated:
            scratch = "/tmp"
            command = self._bwrap_command()
        else:  # --no-sandbox: a private scratch folder, never the machine's /tmp itself
            self.scratch = scratch = tempfile.mkdtemp(prefix="kit-scratch-")
            command = [os.path.realpath(sys.executable), "-I", "-S", "-B", str(CHILD), str(KIT.parent), *_site_dirs()]
        environment = {
            "PATH": "/usr/bin:/bin", "HOME": scratch, "LANG": "C.UTF-8", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "PYTHONHASHSEED": "0", "KIT_FDS": f"{requests_read},{replies_write}", "KIT_SCRATCH": scratch,
            **({"KIT_WIPE_SHM": "1"} if self.isolated else {}),
        }
        self.stderr = tempfile.TemporaryFile()  # bubblewrap's and the interpreter's start-up errors
        self.process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.stderr,
            pass_fds=keep, preexec_fn=self._apply_rlimits, start_new_session=True, env=environment,
        )
        for fd in keep:
            os.close(fd)
        reply = self.receive(self.limits.startup_seconds, "starting the sandbox")
        if json.loads(reply[0]).get("zygote") is not True:
            self.kill()
            raise SandboxCrashed("the sandbox did not start properly")

    def _bwrap_command(self) -> list[str]:
        return [
            "bwrap", "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            *_runtime_binds(),
            "--ro-bind", str(KIT), "/grader/kit", "--ro-bind", str(CHILD), "/grader/child.py",
            "--proc", "/proc", "--dev", "/dev", "--size", str(self.limits.scratch_mb << 20), "--tmpfs", "/tmp",
            "--chdir", "/tmp", "--hostname", "sandbox",
            "--", os.path.realpath(sys.executable), "-I", "-S", "-B", "/grader/child.py", *_sandbox_site_dirs(),
        ]

    def _apply_rlimits(self) -> None:
        mb = 1 << 20
        for limit, value in (
            (resource.RLIMIT_AS, self.limits.memory_mb * mb),
            (resource.RLIMIT_NPROC, self.limits.processes),
            (resource.RLIMIT_FSIZE, self.limits.file_mb * mb),
            (resource.RLIMIT_NOFILE, self.limits.open_files),
            (resource.RLIMIT_CORE, 0),
        ):
            try:
                resource.setrlimit(limit, (value, value))
            except (ValueError, OSError):
                pass

    def kill(self) -> None:
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)  # bubblewrap's PID namespace takes every child with it
            except ProcessLookupError:
                pass
            self.process.wait()
            self.process = None
            for fd in (self.requests, self.replies):
                try:
                    os.close(fd)
                except OSError:
                    pass
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None

    # ---------------------------------------------------------------- framing

    def send(self, *parts: bytes) -> None:
        data = COUNT.pack(len(parts)) + b"".join(PART.pack(len(p)) + p for p in parts)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self.requests, view) :]
        except OSError:
            raise SandboxCrashed("the sandboxed process exited unexpectedly") from None

    def receive(self, timeout: float, doing: str) -> list[bytes]:
        deadline = time.monotonic() + timeout
        (count,) = COUNT.unpack(self._read(COUNT.size, deadline, doing))
        if count > 3 * 4096:
            raise SandboxCrashed("the sandboxed process sent a malformed reply")
        cap, used, found = (self.limits.frame_mb << 20) + (1 << 20), 0, []
        for _ in range(count):
            (size,) = PART.unpack(self._read(PART.size, deadline, doing))
            used += size
            if used > cap:
                raise SandboxCrashed(f"the reply of {doing} is larger than {self.limits.frame_mb} MB")
            found.append(self._read(size, deadline, doing))
        return found

    def _read(self, n: int, deadline: float, doing: str) -> bytes:
        chunks = []
        while n:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._poll.poll(remaining * 1000):
                raise SandboxTimeout(f"{doing} took longer than its time limit")
            chunk = os.read(self.replies, min(n, 1 << 20))
            if not chunk:
                raise SandboxCrashed(self._death_reason(doing))
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    def _death_reason(self, doing: str) -> str:
        code = self.process.wait(timeout=5) if self.process else None
        self.stderr.seek(0)
        last = self.stderr.read()[-2000:].decode(errors="replace").strip().splitlines()[-1:]
        return f"the sandbox exited during {doing} (exit status {code}{': ' + last[0] if last else ''})"


_zygotes: dict[tuple, Zygote] = {}


def shared_zygote(limits: Limits, isolated: bool) -> Zygote:
    """This process's zygote for these limits, started (again) when needed."""
    key = (limits, isolated)
    zygote = _zygotes.get(key)
    if zygote is None:
        zygote = _zygotes[key] = Zygote(limits, isolated=isolated)
    if not zygote.alive:
        zygote.kill()
        zygote.start()
    return zygote


def _exit_reason(status: int, doing: str) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        if number == signal.SIGXCPU:
            return f"{doing} used up the CPU-time limit"
        if number == signal.SIGKILL:
            return f"{doing} was killed (memory or resource limit)"
        return f"the submission's process died during {doing} (signal {signal.Signals(number).name})"
    return f"the submission's process exited during {doing} (exit status {os.WEXITSTATUS(status)})"


class Sandbox:
    """One submission's process: a fresh child of the zygote, ended or killed after use."""

    def __init__(self, module_name: str, source: str, limits: Limits, *, isolated: bool = True):
        self.module_name, self.source = module_name, source
        self.limits, self.isolated = limits, isolated
        self.zygote: Zygote | None = None
        self.load_error: str | None = None

    @property
    def alive(self) -> bool:
        return self.zygote is not None and self.zygote.alive

    def start(self) -> None:
        self.zygote = shared_zygote(self.limits, self.isolated)
        program = seccomp.no_new_processes_filter() if self.isolated else None
        request = {"module": self.module_name, "cpu_seconds": self.limits.cpu_seconds, "seccomp": program.hex() if program else None}
        self.zygote.send(json.dumps(request).encode())
        self.zygote.send(self.source.encode())
        status = self._status(self.zygote.receive(self.limits.startup_seconds, "importing the submission"), "importing the submission")
        self.load_error = status.get("error") if isinstance(status.get("error"), str) else None
        if self.load_error is not None or status.get("ready") is not True:
            self.load_error = self.load_error or "the submission could not be loaded"
            self._await_exit()

    def _status(self, parts: list[bytes], doing: str) -> dict:
        try:
            status = json.loads(parts[0]) if len(parts) == 1 else None
        except ValueError:
            status = None
        if not isinstance(status, dict):
            raise SandboxCrashed("the sandboxed process sent a malformed reply")
        if "child_exit" in status:
            raise ChildExited(_exit_reason(int(status["child_exit"]), doing))
        return status

    def _await_exit(self) -> None:
        try:
            parts = self.zygote.receive(self.limits.startup_seconds, "ending the submission")
            if "child_exit" not in json.loads(parts[0]):
                raise SandboxCrashed("unexpected reply")
        except (SandboxFailure, ValueError):
            self.zygote.kill()

    def batch(self, function: str, calls: list[Call], device: str, autograd: bool, timeout: float) -> list[Outcome]:
        header = {"function": function, "device": device, "autograd": autograd, "seeds": [c.seed for c in calls]}
        self.zygote.send(json.dumps(header).encode(), *(wire.encode((c.args, c.kwargs)) for c in calls))
        doing = f"{function}()"
        parts = self.zygote.receive(timeout, doing)
        if len(parts) != 3 * len(calls):
            self._status(parts, doing)
            raise SandboxCrashed("the sandboxed process sent a malformed reply")
        limits = wire.Limits(max_payload_bytes=self.limits.frame_mb << 20)
        outcomes = []
        for meta, output, inputs in zip(parts[0::3], parts[1::3], parts[2::3], strict=True):
            status = json.loads(meta)
            error = status.get("error") if isinstance(status, dict) else 0
            if error is not None and not isinstance(error, str):
                raise wire.WireError("malformed reply")
            if error is None:
                wire.decode(output, limits)  # sizes and structure validated before use
                wire.decode(inputs, limits)
            outcomes.append(outcome_from_frames(output or None, inputs or None, error[:500] if error else None, status.get("not_implemented") is True))
        return outcomes

    def end(self) -> None:
        if self.alive and self.load_error is None:
            try:
                self.zygote.send(json.dumps({"op": "end"}).encode())
            except SandboxFailure:
                return
            self._await_exit()

    def kill(self) -> None:
        if self.zygote is not None:
            self.zygote.kill()


class SandboxFailure(Exception):
    pass


class SandboxTimeout(SandboxFailure):
    pass


class SandboxCrashed(SandboxFailure):
    pass


class ChildExited(SandboxCrashed):
    """The submission's process died; the zygote is fine and has cleaned up after it."""


class SandboxRunner:
    """A `kit.harness.Runner` over a sandbox: a time-out or crash fails the current check at
    once (no shrinking) and the next request starts a fresh process for the submission."""

    def __init__(self, module_name: str, source: str, limits: Limits, *, isolated: bool = True):
        self.module_name, self.source = module_name, source
        self.limits, self.isolated = limits, isolated
        self.sandbox: Sandbox | None = None
        self.deadline = float("inf")
        self.restarts = 0

    def start(self) -> str | None:
        """Start the submission's process; return its load error, if any."""
        self.sandbox = Sandbox(self.module_name, self.source, self.limits, isolated=self.isolated)
        try:
            self.sandbox.start()
        except SandboxFailure as failure:
            self.sandbox.kill()
            self.sandbox = None
            return f"the submission could not be started: {failure}"
        return self.sandbox.load_error

    def budget(self, seconds: float) -> None:
        """Give the next check `seconds` of wall-clock time in all."""
        self.deadline = time.monotonic() + seconds

    def run(self, function: str, call: Call, device: str, *, autograd: bool = True) -> Outcome:
        return self.run_batch(function, [call], device, autograd=autograd)[0]

    def run_batch(self, function: str, calls: list[Call], device: str, *, autograd: bool = True) -> list[Outcome]:
        remaining = min(self.deadline - time.monotonic(), self.limits.call_seconds)
        if remaining <= 0:
            raise Abort("took longer than its time limit")
        if self.sandbox is None or self.sandbox.load_error is not None or not self.sandbox.alive:
            self.restarts += 1
            error = self.start()
            if error is not None:
                raise Abort(error)
        try:
            return self.sandbox.batch(function, calls, device, autograd, remaining)
        except ChildExited as failure:
            self.sandbox = None  # the child is gone; the zygote forks a new one on the next request
            raise Abort(str(failure)) from None
        except (SandboxFailure, wire.WireError, ValueError) as failure:
            self.sandbox.kill()  # a hang or a garbled stream: the whole zygote goes
            self.sandbox = None
            raise Abort(str(failure)) from None

    def close(self) -> None:
        if self.sandbox is not None:
            self.sandbox.end()
            self.sandbox = None

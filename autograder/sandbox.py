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


def _runtime_binds() -> list[str]:
    """Read-only binds for the interpreter, its standard library and site-packages."""
    paths = {"/usr", "/etc/ld.so.cache", "/etc/alternatives", sys.base_prefix, *_site_dirs()}
    args: list[str] = []
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


class Sandbox:
    """One submission's sandboxed process. Dies and restarts; never outlives the grader."""

    def __init__(self, module_file: Path, limits: Limits, *, isolated: bool = True):
        self.module_file = module_file
        self.limits = limits
        self.isolated = isolated
        self.process: subprocess.Popen | None = None
        self.load_error: str | None = None

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> None:
        self.stage = Path(tempfile.mkdtemp(prefix="kit-submission-"))
        staged = self.stage / self.module_file.name
        shutil.copyfile(self.module_file, staged)
        requests_read, self.requests = os.pipe()
        self.replies, replies_write = os.pipe()
        filter_fd = seccomp.filter_fd() if self.isolated else None
        keep = [requests_read, replies_write] + ([filter_fd] if filter_fd is not None else [])
        command = self._command(staged, filter_fd)

        self.stderr = tempfile.TemporaryFile()  # bubblewrap's and the interpreter's start-up errors
        self.process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.stderr,
            pass_fds=keep, preexec_fn=self._apply_rlimits, start_new_session=True,
            env={**self._environment(), "KIT_FDS": f"{requests_read},{replies_write}"},
        )
        for fd in keep:
            os.close(fd)
        reply = self._receive(self.limits.startup_seconds, "starting and importing the submission")
        status = json.loads(reply[0])
        self.load_error = status.get("error")
        if self.load_error is not None:
            self.kill()

    def _environment(self) -> dict[str, str]:
        return {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}

    def _command(self, staged: Path, filter_fd: int | None) -> list[str]:
        child = [os.path.realpath(sys.executable), "-I", "-S", "-B", "/grader/child.py" if self.isolated else str(CHILD)]
        if not self.isolated:
            return [*child, str(staged), *_site_dirs()]
        scratch = self.limits.scratch_mb << 20
        return [
            "bwrap", "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            *_runtime_binds(),
            "--ro-bind", str(KIT), "/grader/kit", "--ro-bind", str(CHILD), "/grader/child.py",
            "--ro-bind", str(self.stage), "/submission",
            "--proc", "/proc", "--dev", "/dev", "--size", str(scratch), "--tmpfs", "/tmp",
            "--chdir", "/tmp", "--hostname", "sandbox",
            *(["--seccomp", str(filter_fd)] if filter_fd is not None else []),
            "--", *child, f"/submission/{staged.name}", *_site_dirs(),
        ]

    def _apply_rlimits(self) -> None:
        mb = 1 << 20
        for limit, value in (
            (resource.RLIMIT_AS, self.limits.memory_mb * mb),
            (resource.RLIMIT_CPU, self.limits.cpu_seconds),
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
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()
            self.process = None
            for fd in (self.requests, self.replies):
                try:
                    os.close(fd)
                except OSError:
                    pass
        if getattr(self, "stage", None) is not None:
            shutil.rmtree(self.stage, ignore_errors=True)
            self.stage = None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    # ---------------------------------------------------------------- requests

    def call(self, function: str, call: Call, device: str, autograd: bool, timeout: float) -> Outcome:
        header = json.dumps({"function": function, "device": device, "autograd": autograd, "seed": call.seed}).encode()
        self._send(header, wire.encode((call.args, call.kwargs)))
        meta, output, inputs = self._receive(timeout, f"{function}()", parts=3)
        status = json.loads(meta)
        error, not_implemented = status.get("error"), status.get("not_implemented") is True
        if error is not None and not isinstance(error, str):
            raise wire.WireError("malformed reply")
        limits = wire.Limits(max_payload_bytes=self.limits.frame_mb << 20)
        if error is None:
            wire.decode(output, limits)  # validates sizes before the frames are used
            wire.decode(inputs, limits)
        return outcome_from_frames(output or None, inputs or None, error[:500] if error else None, not_implemented)

    def _send(self, *parts: bytes) -> None:
        data = COUNT.pack(len(parts)) + b"".join(PART.pack(len(p)) + p for p in parts)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self.requests, view) :]
        except (BrokenPipeError, OSError):
            raise SandboxCrashed("the sandboxed process exited unexpectedly") from None

    def _receive(self, timeout: float, doing: str, parts: int = 1) -> list[bytes]:
        deadline = time.monotonic() + timeout
        (count,) = COUNT.unpack(self._read(COUNT.size, deadline, doing))
        if count != parts:
            raise SandboxCrashed("the sandboxed process sent a malformed reply")
        found = []
        for _ in range(count):
            (size,) = PART.unpack(self._read(PART.size, deadline, doing))
            if size > (self.limits.frame_mb << 20) + (1 << 20):
                raise SandboxCrashed(f"the reply of {doing} is larger than {self.limits.frame_mb} MB")
            found.append(self._read(size, deadline, doing))
        return found

    def _read(self, n: int, deadline: float, doing: str) -> bytes:
        chunks = []
        while n:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.replies], [], [], remaining)[0]:
                raise SandboxTimeout(f"{doing} took longer than its time limit")
            chunk = os.read(self.replies, min(n, 1 << 20))
            if not chunk:
                raise SandboxCrashed(self._death_reason(doing))
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    def _death_reason(self, doing: str) -> str:
        code = self.process.wait(timeout=5) if self.process else None
        if code is not None and code < 0 and -code == signal.SIGXCPU:
            return f"{doing} used up the CPU-time limit"
        if code is not None and code in (-signal.SIGKILL, 137):
            return f"{doing} was killed (memory or resource limit)"
        self.stderr.seek(0)
        last = self.stderr.read()[-2000:].decode(errors="replace").strip().splitlines()[-1:]
        return f"the sandboxed process exited during {doing} (exit status {code}{': ' + last[0] if last else ''})"


class SandboxFailure(Exception):
    pass


class SandboxTimeout(SandboxFailure):
    pass


class SandboxCrashed(SandboxFailure):
    pass


class SandboxRunner:
    """A `kit.harness.Runner` over a sandbox: a time-out or crash kills the sandbox, fails the
    current check at once (no shrinking) and the next check starts a fresh sandbox."""

    def __init__(self, module_file: Path, limits: Limits, *, isolated: bool = True):
        self.sandbox = Sandbox(module_file, limits, isolated=isolated)
        self.limits = limits
        self.deadline = float("inf")
        self.restarts = 0

    def start(self) -> str | None:
        """Start the sandbox; return the submission's load error, if any."""
        try:
            self.sandbox.start()
        except SandboxFailure as failure:
            self.sandbox.kill()
            return f"the submission could not be started: {failure}"
        return self.sandbox.load_error

    def budget(self, seconds: float) -> None:
        """Give the next check `seconds` of wall-clock time in all."""
        self.deadline = time.monotonic() + seconds

    def run(self, function: str, call: Call, device: str, *, autograd: bool = True) -> Outcome:
        remaining = min(self.deadline - time.monotonic(), self.limits.call_seconds)
        if remaining <= 0:
            raise Abort("took longer than its time limit")
        if not self.sandbox.alive:
            self.restarts += 1
            error = self.start()
            if error is not None:
                raise Abort(error)
        try:
            return self.sandbox.call(function, call, device, autograd, remaining)
        except (SandboxFailure, wire.WireError, ValueError) as failure:
            self.sandbox.kill()
            raise Abort(str(failure)) from None

    def close(self) -> None:
        self.sandbox.kill()
